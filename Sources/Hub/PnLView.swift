import HubProtocol
import TickhubCore

/// Positions and balances by broker, valued against the market view where the quotes are: the bodies of
/// `/api/portfolio/*` and `/api/brokers*`, the `pnl` channel's pushes, and the totals for the P&L history.
package struct PnLView {
    /// Positions by broker (IBKR's from the provider, others' from the database), and account balances by broker.
    package private(set) var holdings: [String: [Holding]] = [:]
    /// Positions each broker reports that Tickhub cannot value, listed with their reason and counted apart.
    package private(set) var unvalued: [String: [UnvaluedHolding]] = [:]
    /// Each synced broker's state (brokers whose positions come from their API, not from a live session).
    package private(set) var sync: [String: BrokerSyncStatus] = [:]
    package private(set) var balances: [String: [AccountBalance]] = [:]
    /// When each broker's balances last arrived, ms since the epoch.
    package private(set) var balancesArrived: [String: Int64] = [:]
    /// Quotes moved since the last push.
    var dirty = false
    /// A broker's positions themselves changed (a fill, a position opened or closed) since the last push: pushed
    /// at once, not at the next of the pushes paced for moving quotes.
    var positionsChanged = false
    var lastPush: Int64 = 0
    var lastSnapshot: Int64 = 0

    package init() {}

    /// Replaces one broker's holdings; returns what must be quoted to value them all: each held instrument, and
    /// the USD rate of each currency held.
    package mutating func setHoldings(_ broker: String, _ list: [Holding], unvalued kept: [UnvaluedHolding] = []) -> [Instrument] {
        if Self.positionKeys(holdings[broker] ?? [], unvalued[broker] ?? []) != Self.positionKeys(list, kept) { positionsChanged = true }
        holdings[broker] = list
        unvalued[broker] = kept.isEmpty ? nil : kept
        dirty = true
        var wanted: [Instrument] = list.map(\.instrument)
        for currency in Set(list.map(\.currency)) where currency != "USD" && currency.count == 3 {
            wanted.append(.forex(base: currency, quote: "USD"))
        }
        return wanted
    }

    /// What a holding is, without the figures that move with the market (the broker's own mark and P&L, which a
    /// broker reports again on its own schedule): a change of these is a trade.
    private static func positionKeys(_ list: [Holding], _ kept: [UnvaluedHolding]) -> Set<PositionKey> {
        Set(list.map { PositionKey(account: $0.account, symbol: $0.instrument.symbol, quantity: $0.quantity, averageCost: $0.averageCost) })
            .union(kept.map { PositionKey(account: $0.account, symbol: $0.symbol, quantity: $0.quantity, averageCost: $0.averageCost) })
    }

    private struct PositionKey: Hashable {
        var account: String
        var symbol: String
        var quantity: Double
        var averageCost: Double?
    }

    /// The `pnl` body carries no sync state: nothing to push again.
    package mutating func setSync(_ status: BrokerSyncStatus) {
        sync[status.broker] = status
    }

    /// Every broker's unvalued positions, in the order of the valued ones (by broker).
    var unvaluedList: [UnvaluedHolding] { unvalued.keys.sorted().flatMap { unvalued[$0] ?? [] } }

    var heldSymbols: Set<String> { Set(holdings.values.flatMap { $0.map(\.instrument.symbol) }) }

    package mutating func setBalances(_ broker: String, _ values: [AccountBalance], at now: Timestamp) {
        balances[broker] = values
        balancesArrived[broker] = now.milliseconds
    }

    package func valuations(_ market: MarketView) -> [PositionValuation] {
        let book = market.book
        let rates = PnLEngine.usdRates(from: book.entries.values.filter { $0.quote.symbol.contains(".") }.map(\.quote))
        return holdings.keys.sorted().flatMap { holdings[$0] ?? [] }
            .map { PnLEngine.value($0, quote: book[$0.instrument.symbol]?.quote, usdRates: rates) }
    }

    /// Totals for the history: the whole, each broker, each account.
    package func records(_ market: MarketView) -> [PnLRecord] {
        let valuations = valuations(market)
        let groups: [(PositionValuation) -> PnLScope] = [
            { _ in .total }, { .broker($0.holding.broker) }, { .account(broker: $0.holding.broker, accountId: $0.holding.account) },
        ]
        return groups.flatMap { key in
            PnLEngine.totals(valuations, by: key).map { scope, t in
                PnLRecord(scope: scope, marketValue: t.marketValue, unrealizedPnL: t.unrealizedPnL, dailyPnL: t.dailyPnL)
            }
        }
    }

    /// `{"positions":[…],"totals":{…},"byBroker":{…},"byAccount":{…}}`, for the API and the `pnl` channel.
    package func body(_ market: MarketView, now: Int64, type: String? = nil) -> [UInt8] {
        let valuations = valuations(market)
        var w = JSONWriter(capacity: 512 + 400 * valuations.count)
        w.beginObject()
        if let type { w.field("type", type) }
        w.field("t", now)
        // When the newest quote behind these figures reached the hub: `t − quoteT` is the valuation's delay.
        w.field("quoteT", valuations.compactMap { market.book[$0.holding.instrument.symbol]?.receivedAt }.max()?.microseconds)
        w.key("positions")
        w.beginArray()
        for v in valuations { Self.writePosition(v, market, at: Timestamp(microseconds: now), into: &w) }
        let kept = unvaluedList
        for u in kept { Self.writeUnvalued(u, into: &w) }
        w.endArray()
        Self.writeTotals(of: valuations, unvalued: kept, byAccount: true, into: &w)
        w.endObject()
        return w.bytes
    }

    /// `"totals":{…},"byBroker":{…}` and, when asked, `"byAccount":{…}` (keyed `broker:account`): the figures
    /// `/api/portfolio/pnl` and `/api/portfolio/combined/pnl` share.
    /// Unvalued positions count as positions and as `unvalued`, in no sum.
    static func writeTotals(of valuations: [PositionValuation], unvalued: [UnvaluedHolding], byAccount: Bool, into w: inout JSONWriter) {
        w.key("totals")
        writeTotals(totals(valuations, unvalued, by: { _ in "" }, { _ in "" })[""] ?? PnLTotals(), into: &w)
        var groupings: [(String, (PositionValuation) -> String, (UnvaluedHolding) -> String)] = [
            ("byBroker", { $0.holding.broker }, { $0.broker }),
        ]
        if byAccount {
            groupings.append(("byAccount", { "\($0.holding.broker):\($0.holding.account)" }, { "\($0.broker):\($0.account)" }))
        }
        for (name, key, unvaluedKey) in groupings {
            w.key(name)
            w.beginObject()
            let groups = totals(valuations, unvalued, by: key, unvaluedKey)
            for group in groups.keys.sorted() {
                w.key(group)
                writeTotals(groups[group]!, into: &w)
            }
            w.endObject()
        }
    }

    static func totals(_ valuations: [PositionValuation], _ unvalued: [UnvaluedHolding], by key: (PositionValuation) -> String,
                       _ unvaluedKey: (UnvaluedHolding) -> String) -> [String: PnLTotals] {
        var groups = PnLEngine.totals(valuations, by: key)
        for u in unvalued {
            groups[unvaluedKey(u), default: PnLTotals()].positions += 1
            groups[unvaluedKey(u), default: PnLTotals()].unvalued += 1
        }
        return groups
    }

    func allocationBody(_ market: MarketView) -> [UInt8] {
        let valuations = valuations(market)
        var w = JSONWriter()
        w.beginObject()
        for (name, key) in [("byBroker", { (v: PositionValuation) in v.holding.broker }),
                            ("bySymbol", { (v: PositionValuation) in v.holding.instrument.symbol })] {
            w.key(name)
            w.beginObject()
            let shares = PnLEngine.allocation(valuations, by: key)
            for group in shares.keys.sorted() { w.field(group, shares[group]!, decimals: PricePrecision.fractionDecimals) }
            w.endObject()
        }
        w.endObject()
        return w.bytes
    }

    /// Balances are summed across brokers as they report them (IBKR in the account's base currency), and shown in
    /// USD's cents. Each sum says when the oldest of its figures arrived: the sum is no fresher than that.
    func summaryBody(_ market: MarketView) -> [UInt8] {
        let totals = Self.totals(valuations(market), unvaluedList, by: { _ in "" }, { _ in "" })[""] ?? PnLTotals()
        func balance(_ tag: String) -> (sum: Double, arrived: Int64?)? {
            var sum = 0.0, found = false, arrived: Int64?
            for (broker, values) in balances {
                let figures = values.filter { $0.tag == tag }.compactMap { Double($0.value) }
                guard !figures.isEmpty else { continue }
                found = true
                sum += figures.reduce(0, +)
                if let at = balancesArrived[broker] { arrived = min(arrived ?? at, at) }
            }
            return found ? (sum, arrived) : nil
        }
        let usd = CurrencyMinorUnit.decimals("USD")
        let netLiquidation = balance("NetLiquidation"), cash = balance("TotalCashValue")
        var w = JSONWriter()
        w.beginObject()
        w.field("netLiquidation", netLiquidation?.sum, decimals: usd)
        w.field("netLiquidationUpdatedAt", netLiquidation?.arrived)
        w.field("cash", cash?.sum, decimals: usd)
        w.field("cashUpdatedAt", cash?.arrived)
        w.field("positions", totals.positions)
        w.field("marketValue", totals.marketValue, decimals: usd)
        w.field("unrealizedPnl", totals.unrealizedPnL, decimals: usd)
        w.field("dailyPnl", totals.dailyPnL, decimals: usd)
        w.field("unvalued", totals.unvalued)
        w.field("stale", totals.stale)
        w.endObject()
        return w.bytes
    }

    func brokersBody() -> [UInt8] {
        var w = JSONWriter()
        w.beginObject()
        w.key("brokers")
        w.beginArray()
        for broker in Set(holdings.keys).union(balances.keys).union(unvalued.keys).union(sync.keys).sorted() {
            w.beginObject()
            w.field("name", broker)
            w.key("accounts")
            w.beginArray()
            let accounts = Set((holdings[broker] ?? []).map(\.account)).union((balances[broker] ?? []).map(\.account))
                .union((unvalued[broker] ?? []).map(\.account)).union(sync[broker]?.accounts ?? [])
            for account in accounts.sorted() { w.value(account) }
            w.endArray()
            w.field("positions", (holdings[broker]?.count ?? 0) + (unvalued[broker]?.count ?? 0))
            w.field("unvalued", unvalued[broker]?.count ?? 0)
            if let status = sync[broker] {
                w.key("sync")
                BrokerSyncJSON.write(status, into: &w)
            }
            w.endObject()
        }
        w.endArray()
        w.endObject()
        return w.bytes
    }

    /// Nil for a broker the hub has heard nothing of.
    func brokerPositionsBody(_ broker: String, _ market: MarketView, now: Timestamp) -> [UInt8]? {
        guard holdings[broker] != nil || balances[broker] != nil || unvalued[broker] != nil || sync[broker] != nil else { return nil }
        var w = JSONWriter()
        w.beginObject()
        w.key("positions")
        w.beginArray()
        for v in valuations(market) where v.holding.broker == broker { Self.writePosition(v, market, at: now, into: &w) }
        for u in unvalued[broker] ?? [] { Self.writeUnvalued(u, into: &w) }
        w.endArray()
        w.endObject()
        return w.bytes
    }

    func brokerBalancesBody(_ broker: String) -> [UInt8]? {
        let known = holdings[broker] != nil || unvalued[broker] != nil || sync[broker] != nil
        guard let values = balances[broker] ?? (known ? [] : nil) else { return nil }
        var w = JSONWriter()
        w.beginObject()
        w.key("balances")
        AccountBalanceJSON.write(values, into: &w)
        w.endObject()
        return w.bytes
    }

    /// One valued position. Amounts are rounded to its currency's minor unit, each from its exact value; prices to
    /// the instrument's decimals. `quoteTimestamp` is the time (ms) of the quote the position is marked at;
    /// `marketOpen` its instrument's session at `now`, which tells a closed market from a silent feed.
    static func writePosition(_ v: PositionValuation, _ market: MarketView, at now: Timestamp, into w: inout JSONWriter) {
        let h = v.holding
        let quote = market.book[h.instrument.symbol]?.quote
        let money = CurrencyMinorUnit.decimals(h.currency)
        let price = PricePrecision.decimals(h.instrument.securityType)
        w.beginObject()
        w.field("broker", h.broker)
        w.field("account", h.account)
        w.field("symbol", h.instrument.symbol)
        w.field("secType", h.instrument.securityType.rawValue)
        w.field("quantity", h.quantity)
        w.field("avgCost", h.averageCost, decimals: PricePrecision.costDecimals)
        w.field("costPerUnit", h.costPerUnit, decimals: PricePrecision.costDecimals)
        w.field("multiplier", h.multiplier)
        w.field("currency", h.currency)
        w.field("marketPrice", v.mark?.price, decimals: price)
        w.field("markMethod", v.mark?.method.rawValue)
        w.field("quoteTimestamp", v.mark == nil ? nil : quote?.timestamp)
        w.field("marketOpen", QuoteEncoding.isMarketOpen(h.instrument.symbol, at: now))
        w.field("marketValue", v.marketValue, decimals: money)
        w.field("unrealizedPnl", v.unrealizedPnL, decimals: money)
        w.field("dailyPnl", v.dailyPnL, decimals: money)
        w.field("unrealizedPercent", v.unrealizedPercent, decimals: PricePrecision.percentDecimals)
        w.field("usdRate", v.usdRate, decimals: PricePrecision.decimals(.forex))
        w.field("quoteSource", v.mark?.source.rawValue)
        w.field("stale", v.stale)
        w.field("brokerUnrealizedPnl", h.brokerUnrealizedPnL, decimals: money)
        w.field("brokerMarketPrice", h.brokerMarketPrice, decimals: price)
        w.field("brokerClosePrice", h.brokerClosePrice, decimals: price)
        if h.instrument.securityType == .option {
            // Underlying shares the position moves like: delta per share × contracts × shares per contract.
            let delta = quote?.greeks?.delta
            w.field("delta", delta, decimals: PricePrecision.modelDecimals)
            w.field("deltaExposure", delta.map { $0 * h.quantity * h.multiplier }, decimals: 2)
        }
        w.endObject()
    }

    /// A position Tickhub cannot value, as the broker gave it: no price, no P&L, the reason instead.
    static func writeUnvalued(_ u: UnvaluedHolding, into w: inout JSONWriter) {
        w.beginObject()
        w.field("broker", u.broker)
        w.field("account", u.account)
        w.field("symbol", u.symbol)
        w.field("secType", u.secType)
        w.field("quantity", u.quantity)
        w.field("avgCost", u.averageCost, decimals: PricePrecision.costDecimals)
        w.field("multiplier", u.multiplier)
        w.field("currency", u.currency)
        w.field("valued", false)
        w.field("unvaluedReason", u.reason)
        w.endObject()
    }

    /// Totals are in USD, each rounded once from the sum of the unrounded positions.
    static func writeTotals(_ t: PnLTotals, into w: inout JSONWriter) {
        let usd = CurrencyMinorUnit.decimals("USD")
        w.beginObject()
        w.field("positions", t.positions)
        w.field("marketValue", t.marketValue, decimals: usd)
        w.field("unrealizedPnl", t.unrealizedPnL, decimals: usd)
        w.field("dailyPnl", t.dailyPnL, decimals: usd)
        w.field("unvalued", t.unvalued)
        w.field("stale", t.stale)
        w.endObject()
    }
}
