import TastyTrade
import TickhubCore

/// DXLink's market events merged into Tickhub's quote: Quote (the book), Trade (last, size, the day's volume),
/// Summary (the session's open, high, low and the previous close), Greeks (an option's implied volatility and
/// sensitivities, as dxFeed's model computes them). A field an event carries replaces the quote's,
/// dxFeed's "no value" clearing it; a field it does not carry leaves the quote's as it was.
extension Quote {
    /// Applies one event to the quote; true when something changed.
    mutating func apply(_ event: DXLinkEvent) -> Bool {
        let before = self
        switch event.type {
        case "Quote":
            update(&bid, event, "bidPrice", price)
            update(&ask, event, "askPrice", price)
            update(&bidSize, event, "bidSize", size)
            update(&askSize, event, "askSize", size)
        case "Trade":
            update(&last, event, "price", price)
            update(&lastSize, event, "size", size)
            update(&volume, event, "dayVolume", size)
            if event.values.keys.contains("time") {
                lastTradeTime = event["time"].flatMap { $0 > 0 && $0 < 9.2e18 ? Int64($0) : nil }
            }
        case "Summary":
            update(&open, event, "dayOpenPrice", price)
            update(&high, event, "dayHighPrice", price)
            update(&low, event, "dayLowPrice", price)
            update(&close, event, "prevDayClosePrice", price)
        case "Greeks":
            var figures = greeks ?? OptionGreeks()
            update(&figures.impliedVolatility, event, "volatility") { $0 >= 0 ? $0 : nil }
            update(&figures.delta, event, "delta") { abs($0) <= 1 ? $0 : nil }
            update(&figures.gamma, event, "gamma") { $0 }
            update(&figures.theta, event, "theta") { $0 }
            update(&figures.vega, event, "vega") { $0 }
            greeks = figures == OptionGreeks() ? nil : figures
        default:
            break
        }
        return self != before
    }

    private func update(_ field: inout Double?, _ event: DXLinkEvent, _ name: String, _ accept: (Double) -> Double?) {
        guard event.values.keys.contains(name) else { return }
        field = event[name].flatMap(accept)
    }

    /// A price is positive: dxFeed's 0 bid is no bid, not a bid of zero.
    private func price(_ value: Double) -> Double? { value > 0 ? value : nil }

    private func size(_ value: Double) -> Double? { value >= 0 ? value : nil }
}
