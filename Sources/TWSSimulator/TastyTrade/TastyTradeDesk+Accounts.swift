import Foundation
import TastyTrade
import TickhubCore

/// A position's prices in the simulated market now.
struct TastyTradeMarks {
    /// The bid/ask midpoint, as TastyTrade marks.
    var mark: Double
    /// The previous session's close.
    var close: Double
}

extension TastyTradeDesk {
    func accountList() -> GatewayReply {
        .ok(String(decoding: TastyAccount.listJSON(accounts.map {
            TastyAccount(
                accountNumber: $0.accountNumber, nickname: $0.nickname, marginOrCash: $0.marginOrCash,
                accountTypeName: $0.accountTypeName, isClosed: false, authorityLevel: "owner")
        }), as: UTF8.self))
    }

    /// The walk behind a Tickhub symbol, made on first use; nil when the market has no such instrument.
    func walk(_ symbol: String) -> PriceWalk? {
        guard let instrument = try? SymbolGrammar.parse(symbol), let listing = engine.listing(for: instrument) else { return nil }
        return engine.walk(for: listing)
    }

    func marks(_ pricing: TastyTradeSimulatedAccount.Pricing) -> TastyTradeMarks? {
        switch pricing {
        case let .walk(symbol):
            guard let walk = walk(symbol) else { return nil }
            return TastyTradeMarks(mark: walk.midpoint, close: walk.close)
        case let .scaled(symbol, factor, tick):
            guard let walk = walk(symbol), tick > 0 else { return nil }
            let onGrid = { (price: Double) in (price * factor / tick).rounded() * tick }
            return TastyTradeMarks(mark: onGrid(walk.midpoint), close: onGrid(walk.close))
        }
    }

    func position(_ held: TastyTradeSimulatedAccount.Position, of account: TastyTradeSimulatedAccount, marks withMarks: Bool) -> TastyPosition {
        let marks = marks(held.pricing)
        let round = { (value: Double) in (value * 1e6).rounded() / 1e6 }
        var position = TastyPosition(
            accountNumber: account.accountNumber, symbol: held.symbol, instrumentType: held.instrumentType,
            underlyingSymbol: held.underlyingSymbol, quantity: held.quantity, averageOpenPrice: round(held.averageOpenPrice),
            closePrice: marks.map { round($0.close) }, mark: withMarks ? marks.map { round($0.mark) } : nil,
            multiplier: held.multiplier,
            // The effect of closing it: selling a long brings a credit, buying back a short costs a debit.
            costEffect: held.quantity < 0 ? "Debit" : "Credit", expiresAt: held.expiresAt,
            updatedAt: Self.timestamp(milliseconds: held.updatedAt > 0 ? held.updatedAt : nowMilliseconds),
            realizedDayGain: (held.realizedDayGain * 100).rounded() / 100)
        position.streamerSymbol = held.streamerSymbol ?? Self.streamerSymbol(held.pricing)
        return position
    }

    static func streamerSymbol(_ pricing: TastyTradeSimulatedAccount.Pricing) -> String? {
        guard case let .walk(symbol) = pricing, let instrument = try? SymbolGrammar.parse(symbol) else { return nil }
        return TastySymbol.streamerSymbol(instrument)
    }

    func positions(of account: TastyTradeSimulatedAccount, marks: Bool) -> [TastyPosition] {
        account.positions.map { position($0, of: account, marks: marks) }
    }

    /// Balances from cash and the positions at their marks. A future's notional is no value of the account's:
    /// only its gain since it was opened counts (marked to market).
    func balance(of account: TastyTradeSimulatedAccount) -> TastyBalance {
        var longEquity = 0.0, shortEquity = 0.0, longDerivative = 0.0, shortDerivative = 0.0, futuresGain = 0.0
        for held in account.positions {
            guard let mark = marks(held.pricing)?.mark else { continue }
            let value = mark * held.quantity * held.multiplier
            switch held.instrumentType {
            case .equity, .cryptocurrency:
                if value >= 0 { longEquity += value } else { shortEquity += value }
            case .equityOption, .futureOption:
                if value >= 0 { longDerivative += value } else { shortDerivative += value }
            case .future:
                futuresGain += (mark - held.averageOpenPrice) * held.quantity * held.multiplier
            }
        }
        let money = { (value: Double) in (value * 100).rounded() / 100 }
        let netLiquidation = account.cash + longEquity + shortEquity + longDerivative + shortDerivative + futuresGain
        let margin = account.marginOrCash == "Margin"
        // Reg T-like: a quarter of long stock, three tenths of short stock, all of short options' value.
        let maintenance = margin ? longEquity * 0.25 + abs(shortEquity) * 0.3 + abs(shortDerivative) : 0
        var balance = TastyBalance(accountNumber: account.accountNumber)
        balance.cashBalance = money(account.cash)
        balance.netLiquidatingValue = money(netLiquidation)
        balance.marginEquity = money(netLiquidation)
        balance.maintenanceRequirement = money(maintenance)
        balance.equityBuyingPower = money(margin ? max(0, netLiquidation - maintenance) * 2 : max(0, account.cash))
        balance.derivativeBuyingPower = money(margin ? max(0, netLiquidation - maintenance) : max(0, account.cash))
        balance.dayTradingBuyingPower = 0
        balance.longEquityValue = money(longEquity)
        balance.shortEquityValue = money(shortEquity)
        balance.longDerivativeValue = money(longDerivative)
        balance.shortDerivativeValue = money(shortDerivative)
        balance.pendingCash = 0
        balance.updatedAt = Self.timestamp(milliseconds: nowMilliseconds)
        return balance
    }

    // MARK: Fills

    /// A trade in `account`: `quantity` signed (a buy is positive), at `price` or else the mark now. It changes the
    /// position (opening one, adding at a new average, reducing with a realized gain, or turning it around) and the
    /// cash, and the account's streamers hear of both at once. Returns the position as it now stands.
    func fill(account number: String, symbol: String, quantity: Double, price: Double?) throws(TastyTradeFillError) -> TastyPosition {
        guard quantity.isFinite, quantity != 0 else { throw TastyTradeFillError("a fill needs a quantity other than 0") }
        guard let accountIndex = accounts.firstIndex(where: { $0.accountNumber == number }) else {
            throw TastyTradeFillError("no account \(number) (accounts: \(accounts.map(\.accountNumber).joined(separator: ", ")))")
        }
        let index: Int
        if let held = accounts[accountIndex].positions.firstIndex(where: { $0.symbol == symbol }) {
            index = held
        } else {
            accounts[accountIndex].positions.append(try newPosition(symbol))
            index = accounts[accountIndex].positions.count - 1
        }
        var held = accounts[accountIndex].positions[index]
        guard let fillPrice = price ?? marks(held.pricing)?.mark, fillPrice.isFinite, fillPrice >= 0 else {
            throw TastyTradeFillError("no price for \(symbol): give one")
        }
        let before = held.quantity
        let after = before + quantity
        // The part of the fill that closes what was held, and the part that opens (adds, or the far side of zero).
        let closing = before * quantity < 0 ? min(abs(quantity), abs(before)) : 0
        let opening = abs(quantity) - closing
        let realized = closing * (fillPrice - held.averageOpenPrice) * (before > 0 ? 1 : -1) * held.multiplier
        if opening > 0 {
            let kept = abs(before) - closing
            held.averageOpenPrice = (kept * held.averageOpenPrice + opening * fillPrice) / (kept + opening)
        }
        held.quantity = after
        held.realizedDayGain += realized
        held.updatedAt = nowMilliseconds
        // A future moves no cash on the trade (margin holds it): only what it realizes. The rest pay or get paid.
        let cashChange = held.instrumentType == .future ? realized : -quantity * fillPrice * held.multiplier
        accounts[accountIndex].cash += cashChange
        accounts[accountIndex].positions[index] = held
        counters.fills += 1
        let account = accounts[accountIndex]
        let position = position(held, of: account, marks: false)
        announce(position: position, balance: balance(of: account), batched: counters.fills % 2 == 0)
        logger.notice("TastyTrade fill: \(number) \(quantity > 0 ? "bought" : "sold") \(abs(quantity)) \(symbol) at \(fillPrice); now \(after)")
        return position
    }

    /// A position not held yet, in any kind Tickhub's grammar names (a stock, an equity option, a coin) and the
    /// simulated market prices.
    private func newPosition(_ symbol: String) throws(TastyTradeFillError) -> TastyTradeSimulatedAccount.Position {
        let instrument: Instrument
        switch TastySymbol.instrument(orderSymbol: symbol, type: nil) {
        case let .success(mapped): instrument = mapped
        case let .failure(unmapped): throw TastyTradeFillError("\(symbol) cannot be opened here: \(unmapped.reason)")
        }
        let type: TastyInstrumentType
        switch instrument.securityType {
        case .stock: type = .equity
        case .option: type = .equityOption
        case .crypto: type = .cryptocurrency
        default: throw TastyTradeFillError("\(symbol) cannot be opened here: TastyTrade holds no \(instrument.securityType.rawValue)")
        }
        guard engine.listing(for: instrument) != nil else {
            throw TastyTradeFillError("\(symbol) is not in the simulated market")
        }
        let underlying = instrument.option?.underlying ?? symbol
        return TastyTradeSimulatedAccount.Position(
            symbol: symbol, instrumentType: type, underlyingSymbol: underlying, quantity: 0, averageOpenPrice: 0,
            multiplier: instrument.multiplier, pricing: .walk(instrument.symbol))
    }
}

/// Why a fill was refused.
public struct TastyTradeFillError: Error, CustomStringConvertible, Sendable {
    public var description: String
    init(_ description: String) { self.description = description }
}
