import HubProtocol
import TickhubCore

/// Bar series and alerts on `/stream` (docs/protocol.md): a client's series followed across shards (`ChartInterest`),
/// their symbols' quotes wanted upstream so the forming candle gets its trades, this shard's copy of each series
/// (`ChartView`), and the fired alerts for the `alerts` channel.
extension FanoutHub {
    // MARK: From upstream

    /// A whole series: this shard's copy, and at once the series for each subscriber here (replacing whatever of
    /// it waited). A series no shard follows (published after its release) is not kept.
    package func publishBarSeries(_ series: EncodedBarSeries) {
        guard place.interest.charts.isFollowed(series.key) else { return }
        charts.store(series)
        for client in clients.subscribers(of: series.key) { clients.deliverSeries(series.bytes, for: series.key, to: client) }
    }

    /// A bar's update, into the copy and to the series' subscribers, conflated per bar. An update for a series this
    /// shard has no copy of yet is not passed on: the series, when it comes, holds it.
    package func publishBar(_ update: EncodedBar) {
        guard charts.update(update), clients.isCharted(update.key) else { return }
        clients.deliver(update) { charts.snapshot(update.key) }
    }

    /// A fired alert: every `alerts` subscriber gets it, as a message that must arrive, after the quote that fired it.
    package func publishAlert(_ alert: EncodedAlert) {
        for client in clients.all where client.channels.contains(.alerts) { clients.sendAlert(alert.bytes, to: client) }
    }

    /// The hub released the series upstream: its updates no longer come, so the copy is forgotten, unless a client
    /// wanted it again since (the series then comes afresh).
    func forgetReleasedSeries(_ keys: [BarKey]) {
        for key in keys where !place.interest.charts.isFollowed(key) { charts.forget(key) }
    }

    // MARK: Clients

    /// `bars` of a `subscribe`: each bad item refused alone; each new series recorded, its snapshot sent when this
    /// shard has it, followed upstream when it is the first here, and its symbol's quotes wanted upstream. A symbol
    /// the hub already knows it cannot serve gets its error, once, as a `symbols` subscription would.
    func subscribeBars(_ items: [StreamRequest.BarsItem], _ client: ClientSession) {
        var firstHere: [BarKey] = [], instruments: [Instrument] = [], told: Set<String> = []
        items: for item in items {
            switch item.series() {
            case let .failure(refusal):
                reject(client, code: refusal.code, refusal.message, symbol: refusal.symbol)
            case let .success((instrument, interval)):
                let key = BarKey(symbol: instrument.symbol, interval: interval)
                if client.bars[key] != nil { continue }
                guard client.bars.count < configuration.maxBarSeriesPerClient else {
                    reject(client, code: "too_many_series",
                           "at most \(configuration.maxBarSeriesPerClient) bar series per connection", symbol: key.symbol)
                    break items
                }
                client.bars[key] = client.subscriptionsMade
                client.subscriptionsMade += 1
                interest.lineShareDirty = true
                if clients.joinSeries(key, client) { firstHere.append(key) }
                if let snapshot = charts.snapshot(key) { clients.deliverSeries(snapshot, for: key, to: client) }
                if let state = market.availability[key.symbol], state != .available, client.symbols[key.symbol] == nil,
                   told.insert(key.symbol).inserted {
                    let (code, message) = MarketView.describe(key.symbol, state)
                    clients.sendError(StreamMessages.error(code: code, message: message, symbol: key.symbol), to: client, earned: false)
                }
                instruments.append(instrument)
            }
        }
        if !firstHere.isEmpty { place.interest.charts.follow(firstHere, by: place.index) }
        want(instruments)
    }

    /// `bars` of an `unsubscribe`: a bad item refused alone, a series the client does not have ignored; what was
    /// waiting of the series is dropped.
    func unsubscribeBars(_ items: [StreamRequest.BarsItem], _ client: ClientSession) {
        var lastHere: [BarKey] = []
        let now = clock.nowMicros()
        for item in items {
            switch item.series() {
            case let .failure(refusal):
                reject(client, code: refusal.code, refusal.message, symbol: refusal.symbol)
            case let .success((instrument, interval)):
                let key = BarKey(symbol: instrument.symbol, interval: interval)
                guard client.bars.removeValue(forKey: key) != nil else { continue }
                client.pendingBars[key] = nil
                interest.lineShareDirty = true
                if clients.leaveSeries(key, client) { lastHere.append(key) }
                if !clients.isStreamed(key.symbol), !clients.isCharted(key.symbol) { interest.touch(key.symbol, now: now) }
            }
        }
        releaseSeries(lastHere)
    }

    /// A closing client's series: those it was the last here to follow are let go.
    func closeSeries(of client: ClientSession, now: Int64) {
        guard !client.bars.isEmpty else { return }
        let lastHere = client.bars.keys.filter { clients.leaveSeries($0, client) }
        for symbol in Set(client.bars.keys.map(\.symbol)) where !clients.isStreamed(symbol) && !clients.isCharted(symbol) {
            interest.touch(symbol, now: now)
        }
        releaseSeries(lastHere)
    }

    /// Series nobody here follows any more; those no shard follows are released upstream and forgotten (here now, on
    /// the other shards by `HubEvent`).
    private func releaseSeries(_ keys: [BarKey]) {
        guard !keys.isEmpty else { return }
        let gone = place.interest.charts.release(keys, by: place.index)
        guard !gone.isEmpty else { return }
        for key in gone { charts.forget(key) }
        host.tellEveryShard(.barsReleased(gone))
    }
}
