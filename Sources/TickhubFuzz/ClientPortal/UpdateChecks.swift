import Foundation
import FuzzSupport
import ClientPortal
import TickhubCore

/// One decoded update, alone and applied to a quote twice (empty, then one already holding values).
func checkUpdate(_ update: MarketDataUpdate) {
    invariant(update.conid >= 1, "conid \(update.conid)")
    for (field, value) in update.values {
        if let value { invariant(value.value.isFinite, "field \(field.code) read as \(value.value)") }
    }
    let base = Quote(symbol: "AAPL", source: .ibkr, timestamp: 1)
    var seeded = base
    seeded.bid = 100; seeded.ask = 101; seeded.last = 100.5; seeded.volume = 1_234_567; seeded.close = 99
    for start in [base, seeded] {
        var quote = start
        let changed = quote.apply(update, receivedAt: 1_765_000_000_000)
        if update.isPriming { invariant(!changed && quote == start, "a priming reply changed the quote") }
        checkQuote(quote)
        var again = quote
        invariant(!again.apply(update, receivedAt: 1_765_000_000_001) && again == quote, "an update applied twice changed the quote again")
    }
}

func checkQuote(_ quote: Quote) {
    for (name, price) in [("bid", quote.bid), ("ask", quote.ask), ("last", quote.last), ("high", quote.high), ("low", quote.low),
                          ("open", quote.open), ("close", quote.close)] {
        if let price { invariant(price.isFinite && price > 0, "\(name) \(price)") }
    }
    for (name, size) in [("bidSize", quote.bidSize), ("askSize", quote.askSize), ("lastSize", quote.lastSize), ("volume", quote.volume)] {
        if let size { invariant(size.isFinite && size >= 0, "\(name) \(size)") }
    }
    if let greeks = quote.greeks {
        for value in [greeks.delta, greeks.gamma, greeks.theta, greeks.vega, greeks.impliedVolatility] {
            if let value { invariant(value.isFinite, "a greek of \(value)") }
        }
    }
    invariant(quote.source == .ibkr, "a gateway quote from \(quote.source)")
}

/// A formatted number: finite, and its own spelling reads back as itself.
func checkFormatted(_ text: String) {
    for percent in [false, true] {
        guard let read = FormattedNumber.parse(text, percent: percent) else { continue }
        invariant(read.value.isFinite, "\(text) read as \(read.value)")
        guard !read.isApproximate, abs(read.value) < 1e15 else { continue }
        let whole = read.value.rounded() == read.value
        if whole {
            let grouped = FormattedNumber.formatGrouped(read.value)
            invariant(FormattedNumber.parse(grouped)?.value == read.value, "\(read.value) written \(grouped) read back differently")
        }
    }
}

func checkPositions(_ positions: [PortfolioPosition]) {
    for position in positions {
        invariant(position.conid >= 1, "a position with conid \(position.conid)")
        invariant(position.quantity.isFinite, "a quantity of \(position.quantity)")
        for value in [position.marketPrice, position.marketValue, position.avgCost, position.avgPrice, position.unrealizedPnl,
                      position.realizedPnl, position.multiplier, position.strike] {
            if let value { invariant(value.isFinite, "a position figure of \(value)") }
        }
        if let multiplier = position.multiplier { invariant(multiplier > 0, "a multiplier of \(multiplier)") }
    }
    let body = "[" + positions.map(\.json).joined(separator: ",") + "]"
    let again = try? PortfolioPosition.decodePage(Data(body.utf8))
    invariant(again?.positions == positions && again?.refused.isEmpty == true, "positions did not survive their encoding")
}

func checkSummary(_ entries: [String: AccountSummaryEntry]) {
    for (key, entry) in entries {
        invariant(key == key.lowercased(), "a summary key \(key) not lower case")
        if let amount = entry.amount { invariant(amount.isFinite, "\(key) of \(amount)") }
    }
    invariant((try? AccountSummary.decode(Data(AccountSummary.json(entries).utf8))) == entries, "the summary did not survive its encoding")
    for balance in AccountSummary.balances(entries, account: "U1", baseCurrency: "USD") {
        invariant(Double(balance.value)?.isFinite == true, "a balance \(balance.tag) written \(balance.value)")
    }
}
