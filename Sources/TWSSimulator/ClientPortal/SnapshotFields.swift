internal import ClientPortal
import Foundation
import TickhubCore

/// A walk's state as the Client Portal's market-data fields, each written as the gateway writes it (the
/// ClientPortal module's `FieldText`: prices plain, sizes grouped, volume abbreviated, the prior close marked "C"
/// while nothing traded this session).
enum SnapshotFields {
    /// What the account may see of a symbol.
    enum Entitlement { case live, delayed, notSubscribed }

    /// The fields a request without `fields` gets: last, bid, ask, change, change %, prior close.
    static let defaultFields: [MarketDataField] = [.last, .bid, .ask, .change, .changePercent, .priorClose]

    /// Field 6509: R real-time, D delayed, Z frozen (market shut), Y frozen delayed, N not subscribed; then "p"
    /// (consolidated) and "B" (top of book), as the gateway writes it.
    static func availability(_ entitlement: Entitlement, marketOpen: Bool) -> MarketDataAvailability {
        switch entitlement {
        case .live: MarketDataAvailability(timeline: marketOpen ? .realTime : .frozen, structure: "pB")
        case .delayed: MarketDataAvailability(timeline: marketOpen ? .delayed : .frozenDelayed, structure: "pB")
        case .notSubscribed: MarketDataAvailability(timeline: .notSubscribed)
        }
    }

    /// Every field this simulator fills for `walk` as it stands (a field that does not apply is absent).
    static func values(
        of walk: PriceWalk, symbol: String, entitlement: Entitlement, marketOpen: Bool, halted: Bool = false
    ) -> [MarketDataField: String] {
        var fields: [MarketDataField: String] = [
            .availability: availability(entitlement, marketOpen: marketOpen).code,
            .symbol: symbol,
        ]
        guard entitlement != .notSubscribed else { return fields }
        let decimals = decimals(of: walk.minTick)
        let price = { (value: Double) in FieldText.price(value, decimals: decimals) }
        fields[.bid] = price(walk.bid)
        fields[.ask] = price(walk.ask)
        fields[.bidSize] = FieldText.size(walk.bidSize)
        fields[.askSize] = FieldText.size(walk.askSize)
        fields[.high] = price(walk.high)
        fields[.low] = price(walk.low)
        fields[.open] = price(walk.open)
        fields[.priorClose] = price(walk.close)
        // FX has no trades: its last is the midpoint, as TWS's. A stock with no trade in this run's session shows
        // its prior close, marked.
        let traded = walk.hasTrades ? (walk.day != nil && walk.volume > 0) : true
        let last = walk.hasTrades ? walk.last : walk.midpoint
        if halted {
            fields[.last] = FieldText.halted(traded ? last : walk.close, decimals: decimals)
        } else if traded {
            fields[.last] = price(last)
            let change = last - walk.close
            fields[.change] = price(change)
            fields[.changePercent] = String(format: "%.2f%%", walk.close == 0 ? 0 : change / walk.close * 100)
        } else {
            fields[.last] = FieldText.priorClose(walk.close, decimals: decimals)
        }
        if walk.hasTrades {
            fields[.lastSize] = FieldText.size(walk.lastSize)
            fields[.volume] = FieldText.volume(walk.volume)
            fields[.volumeLong] = FieldText.volumeLong(walk.volume)
            if !marketOpen, traded { fields[.todayClose] = price(last) }
        }
        if let valuation = walk.valuation {
            fields[.delta] = String(format: "%.4f", valuation.delta)
            fields[.gamma] = String(format: "%.4f", valuation.gamma)
            fields[.theta] = String(format: "%.4f", valuation.theta)
            fields[.vega] = String(format: "%.4f", valuation.vega)
            if let sigma = walk.modelVolatility { fields[.impliedVolatility] = String(format: "%.1f%%", sigma * 100) }
        }
        return fields
    }

    /// A price's decimal places: its tick's, and at least 2 (EUR.USD's 0.00005 gives 5).
    static func decimals(of tick: Double) -> Int {
        var places = 2
        while places < 8 {
            let scaled = tick * pow(10, Double(places))
            if abs(scaled.rounded() - scaled) < 1e-9 { break }
            places += 1
        }
        return places
    }
}
