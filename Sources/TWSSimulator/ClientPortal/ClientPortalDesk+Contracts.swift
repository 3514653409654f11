internal import ClientPortal
import Foundation
import TickhubCore

/// The contract services beyond stocks: options by underlying, month, strike and right (`/iserver/secdef/info`),
/// forex pairs by currency (`/iserver/currency/pairs`). Every contract answered is a listing the engine knows by
/// its conid from then on, so it snapshots and streams like a stock.
extension ClientPortalDesk {
    /// Months ahead, from the simulated month, in which options are listed.
    static let optionMonthsListed = 36

    /// `MMMYY` codes of the months with options, from the simulated month on.
    func optionMonths() -> [String] {
        let calendar = Self.utcCalendar
        let today = Date(timeIntervalSince1970: engine.simulatedTime)
        return (0..<Self.optionMonthsListed).compactMap { ahead in
            calendar.date(byAdding: .month, value: ahead, to: today).map { date in
                let parts = calendar.dateComponents([.year, .month], from: date)
                return OptionContract.monthNames[(parts.month ?? 1) - 1] + String(format: "%02d", (parts.year ?? 2000) % 100)
            }
        }
    }

    /// `/iserver/secdef/info?conid=<underlying>&sectype=OPT&month=MAR25&strike=250&right=P`: the month's options at
    /// that strike and right. As the TWS side lists any option on a listed stock, so here: one expiring on every
    /// weekday of the month not yet past.
    func optionInfo(_ query: [String: String]) -> GatewayReply {
        guard let text = query["conid"], let conid = Int(text) else { return .error(.badRequest, "Bad Request: conid is required") }
        guard let underlying = engine.listingsByConId[conid], underlying.instrument.securityType == .stock else {
            return .error(.badRequest, "Bad Request: no stock with conid \(conid) to list options of")
        }
        guard query["sectype"]?.uppercased() == SecurityType.option.rawValue else {
            return .error(.badRequest, "Bad Request: this simulator lists options only (sectype=OPT)")
        }
        guard let month = query["month"]?.uppercased(), optionMonths().contains(month) else {
            return .error(.badRequest, "Bad Request: no options listed in month '\(query["month"] ?? "")'")
        }
        guard let strikeText = query["strike"], let strike = Double(strikeText), strike > 0, strike.isFinite else {
            return .error(.badRequest, "Bad Request: strike must be a positive number")
        }
        guard let rightText = query["right"]?.uppercased(), let right = OptionTerms.Right(rawValue: String(rightText.prefix(1))) else {
            return .error(.badRequest, "Bad Request: right must be C or P")
        }
        let symbol = underlying.instrument.symbol
        let contracts = expiries(in: month).compactMap { expiry -> OptionContract? in
            let terms = OptionTerms(underlying: symbol, expiry: expiry, right: right, strike: strike)
            guard let listing = engine.listing(for: .option(terms)) else { return nil }
            return OptionContract(
                conid: listing.conId, symbol: symbol, right: right.rawValue, strike: strike, maturityDate: expiry,
                multiplier: listing.instrument.multiplier, tradingClass: symbol, desc1: symbol,
                desc2: Self.optionDescription(terms))
        }
        return .ok(OptionContract.json(contracts))
    }

    /// `YYYYMMDD` of every weekday in `month` (`MAR25`) from the simulated day on.
    func expiries(in month: String) -> [String] {
        guard month.count == 5, let index = OptionContract.monthNames.firstIndex(of: String(month.prefix(3))),
              let year = Int(month.suffix(2))
        else { return [] }
        let calendar = Self.utcCalendar
        let today = calendar.startOfDay(for: Date(timeIntervalSince1970: engine.simulatedTime))
        guard let first = calendar.date(from: DateComponents(year: 2000 + year, month: index + 1, day: 1)),
              let days = calendar.range(of: .day, in: .month, for: first)
        else { return [] }
        return days.compactMap { day -> String? in
            guard let date = calendar.date(from: DateComponents(year: 2000 + year, month: index + 1, day: day)),
                  date >= today, !calendar.isDateInWeekend(date)
            else { return nil }
            return String(format: "%04d%02d%02d", 2000 + year, index + 1, day)
        }
    }

    /// IBKR's desc2: "MAR 21 '25 250 Put".
    static func optionDescription(_ terms: OptionTerms) -> String {
        let month = OptionContract.monthNames[(Int(terms.expiry.dropFirst(4).prefix(2)) ?? 1) - 1]
        let strike = terms.strike == terms.strike.rounded() ? String(Int(terms.strike)) : String(terms.strike)
        return "\(month) \(terms.expiry.suffix(2)) '\(terms.expiry.dropFirst(2).prefix(2)) \(strike) \(terms.right == .call ? "Call" : "Put")"
    }

    /// `/iserver/currency/pairs?currency=EUR`: the pairs listed with that currency first.
    func currencyPairs(_ currency: String?) -> GatewayReply {
        guard let currency = currency?.trimmingCharacters(in: .whitespaces).uppercased(), currency.count == 3 else {
            return .error(.badRequest, "Bad Request: currency must be a three-letter code")
        }
        let pairs = engine.configuration.universe.listings.values
            .filter { $0.instrument.securityType == .forex && $0.instrument.root == currency }
            .sorted { $0.instrument.symbol < $1.instrument.symbol }
            .map { CurrencyPair(symbol: $0.instrument.symbol, conid: $0.conId, ccyPair: $0.instrument.currency) }
        return .ok(CurrencyPair.json([currency: pairs]))
    }

    static let utcCalendar: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()
}
