import HubProtocol
import Foundation
import TickhubCore

/// Positions and live P&L: valued on the fan-out thread, where the quotes are.
extension FanoutHub {
    /// Replaces one broker's holdings (IBKR's from the provider, others' from the store).
    package func setHoldings(_ broker: String, _ list: [Holding]) {
        holdings[broker] = list
        // Held instruments must be quoted, and non-USD ones need their FX rate to be converted.
        var wanted: [Instrument] = list.map(\.instrument)
        for currency in Set(list.map(\.currency)) where currency != "USD" && currency.count == 3 {
            wanted.append(.forex(base: currency, quote: "USD"))
        }
        held = Set(holdings.values.flatMap { $0.map(\.instrument.symbol) })
        want(wanted, held: true)
        pnlDirty = true
    }

    package func setBalances(_ broker: String, _ values: [AccountBalance]) {
        balances[broker] = values
    }

    package func allHoldings() -> [Holding] {
        holdings.keys.sorted().flatMap { holdings[$0] ?? [] }
    }

    package func valuations() -> [PositionValuation] {
        let rates = PnLEngine.usdRates(from: book.entries.values.filter { $0.quote.symbol.contains(".") }.map(\.quote))
        return allHoldings().map { PnLEngine.value($0, quote: book[$0.instrument.symbol]?.quote, usdRates: rates) }
    }

    /// `{"positions":[…],"totals":{…},"byBroker":{…},"byAccount":{…}}`, for the API and the `pnl` channel.
    package func pnlBody(type: String? = nil) -> [UInt8] {
        let valuations = valuations()
        var w = JSONWriter(capacity: 512 + 400 * valuations.count)
        w.beginObject()
        if let type { w.field("type", type) }
        w.field("t", Self.nowMicros())
        // When the newest quote behind these figures reached the hub: `t − quoteT` is the valuation's delay.
        w.field("quoteT", valuations.compactMap { book[$0.holding.instrument.symbol]?.receivedAt }.max())
        w.key("positions")
        w.beginArray()
        for v in valuations { writePosition(v, into: &w) }
        w.endArray()
        w.key("totals")
        writeTotals(PnLEngine.totals(valuations, by: { _ in "" })[""] ?? PnLTotals(), into: &w)
        for (name, key) in [("byBroker", { (v: PositionValuation) in v.holding.broker }),
                            ("byAccount", { (v: PositionValuation) in "\(v.holding.broker):\(v.holding.account)" })] {
            w.key(name)
            w.beginObject()
            let groups = PnLEngine.totals(valuations, by: key)
            for group in groups.keys.sorted() {
                w.key(group)
                writeTotals(groups[group]!, into: &w)
            }
            w.endObject()
        }
        w.endObject()
        return w.bytes
    }

    package func writePosition(_ v: PositionValuation, into w: inout JSONWriter) {
        let h = v.holding
        w.beginObject()
        w.field("broker", h.broker)
        w.field("account", h.account)
        w.field("symbol", h.instrument.symbol)
        w.field("secType", h.instrument.securityType.rawValue)
        w.field("quantity", h.quantity)
        w.field("avgCost", h.averageCost)
        w.field("costPerUnit", h.costPerUnit)
        w.field("multiplier", h.multiplier)
        w.field("currency", h.currency)
        w.field("mark", v.mark?.price)
        w.field("markMethod", v.mark?.method.rawValue)
        w.field("marketValue", v.marketValue)
        w.field("unrealizedPnl", v.unrealizedPnL)
        w.field("dailyPnl", v.dailyPnL)
        w.field("unrealizedPercent", v.unrealizedPercent.map { ($0 * 100).rounded() / 100 })
        w.field("usdRate", v.usdRate)
        w.field("quoteSource", v.mark?.source.rawValue)
        w.field("stale", v.stale)
        w.field("brokerUnrealizedPnl", h.brokerUnrealizedPnL)
        w.endObject()
    }

    package func writeTotals(_ t: PnLTotals, into w: inout JSONWriter) {
        w.beginObject()
        w.field("positions", t.positions)
        w.field("marketValue", t.marketValue)
        w.field("unrealizedPnl", t.unrealizedPnL)
        w.field("dailyPnl", t.dailyPnL)
        w.field("unvalued", t.unvalued)
        w.field("stale", t.stale)
        w.endObject()
    }

    package func allocationBody() -> [UInt8] {
        let valuations = valuations()
        var w = JSONWriter()
        w.beginObject()
        for (name, key) in [("byBroker", { (v: PositionValuation) in v.holding.broker }),
                            ("bySymbol", { (v: PositionValuation) in v.holding.instrument.symbol })] {
            w.key(name)
            w.beginObject()
            let shares = PnLEngine.allocation(valuations, by: key)
            for group in shares.keys.sorted() { w.field(group, (shares[group]! * 1e6).rounded() / 1e6) }
            w.endObject()
        }
        w.endObject()
        return w.bytes
    }

    package func summaryBody() -> [UInt8] {
        let valuations = valuations()
        let totals = PnLEngine.totals(valuations, by: { _ in "" })[""] ?? PnLTotals()
        func balance(_ tag: String) -> Double? {
            let values = balances.values.flatMap { $0 }.filter { $0.tag == tag }.compactMap { Double($0.value) }
            return values.isEmpty ? nil : values.reduce(0, +)
        }
        var w = JSONWriter()
        w.beginObject()
        w.field("netLiquidation", balance("NetLiquidation"))
        w.field("cash", balance("TotalCashValue"))
        w.field("positions", totals.positions)
        w.field("marketValue", totals.marketValue)
        w.field("unrealizedPnl", totals.unrealizedPnL)
        w.field("dailyPnl", totals.dailyPnL)
        w.field("stale", totals.stale)
        w.endObject()
        return w.bytes
    }

    package func brokersBody() -> [UInt8] {
        var w = JSONWriter()
        w.beginObject()
        w.key("brokers")
        w.beginArray()
        for broker in Set(holdings.keys).union(balances.keys).sorted() {
            w.beginObject()
            w.field("name", broker)
            w.key("accounts")
            w.beginArray()
            let accounts = Set((holdings[broker] ?? []).map(\.account)).union((balances[broker] ?? []).map(\.account))
            for account in accounts.sorted() { w.value(account) }
            w.endArray()
            w.field("positions", holdings[broker]?.count ?? 0)
            w.endObject()
        }
        w.endArray()
        w.endObject()
        return w.bytes
    }

    package func brokerPositionsBody(_ broker: String) -> [UInt8]? {
        guard holdings[broker] != nil || balances[broker] != nil else { return nil }
        let valuations = valuations().filter { $0.holding.broker == broker }
        var w = JSONWriter()
        w.beginObject()
        w.key("positions")
        w.beginArray()
        for v in valuations { writePosition(v, into: &w) }
        w.endArray()
        w.endObject()
        return w.bytes
    }

    package func brokerBalancesBody(_ broker: String) -> [UInt8]? {
        guard let values = balances[broker] ?? (holdings[broker] != nil ? [] : nil) else { return nil }
        var w = JSONWriter()
        w.beginObject()
        w.key("balances")
        w.beginArray()
        for v in values {
            w.beginObject()
            w.field("account", v.account)
            w.field("tag", v.tag)
            w.field("value", v.value)
            w.field("currency", v.currency)
            w.endObject()
        }
        w.endArray()
        w.endObject()
        return w.bytes
    }

    /// Pushes P&L to `pnl` subscribers when quotes of held symbols moved, at most `pnlPerSecond` times a second.
    package func pushPnLIfDue(now: Int64) {
        guard pnlDirty, now - lastPnLPush >= Int64(1_000_000 / max(configuration.pnlPerSecond, 0.1)) else { return }
        let subscribers = clients.values.filter { $0.channels.contains(.pnl) }
        pnlDirty = false
        lastPnLPush = now
        guard !subscribers.isEmpty else { return }
        // One encoding for every subscriber; a slow one keeps only the newest (it replaces the pending one).
        let update = ClientSession.PendingUpdate(bytes: SharedBytes(pnlBody(type: "pnl")), receivedAt: now)
        for client in subscribers {
            client.pending[Self.pnlKey] = update
            requestWrite(client)
        }
    }

    /// Every minute: totals for the P&L history. Every ten seconds: the book, for the next start.
    package func persist(now: Int64) {
        if now - lastSnapshot >= Int64(configuration.snapshotSeconds * 1_000_000), !holdings.isEmpty {
            lastSnapshot = now
            let valuations = valuations()
            var records: [PnLRecord] = []
            let groups: [(String, (PositionValuation) -> String)] = [
                ("total", { _ in "total" }), ("broker", { "broker:\($0.holding.broker)" }),
                ("account", { "account:\($0.holding.broker):\($0.holding.account)" }),
            ]
            for (_, key) in groups {
                for (scope, t) in PnLEngine.totals(valuations, by: key) {
                    records.append(PnLRecord(scope: scope, marketValue: t.marketValue, unrealizedPnL: t.unrealizedPnL, dailyPnL: t.dailyPnL))
                }
            }
            let backend = server.backend, server = server
            Task { server.reportDatabase(await backend.recordPnL(records)) }
        }
        if now - lastQuoteSave >= 10_000_000 {
            lastQuoteSave = now
            let quotes = book.entries.values.filter { !$0.quote.stale && $0.quote.hasPrice }.map(\.quote)
            guard !quotes.isEmpty else { return }
            let backend = server.backend, server = server
            Task { server.reportDatabase(await backend.saveQuotes(quotes)) }
        }
    }

    /// The pending-update key for P&L: not a valid symbol, so it never collides with one.
    package static let pnlKey = "#pnl"
}
