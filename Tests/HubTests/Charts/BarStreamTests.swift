import Foundation
import Testing
import TickhubCore

import HubProtocol
import HubTestSupport
@testable import Hub

/// Bar series on `/stream`, against fake connections and a fake chart upstream: the snapshot, the updates and their
/// conflation, what a bar subscription makes the hub follow, and the bad items.
@Suite struct BarStreamTests {
    let host = FakeHost()
    let time = ManualClock()
    /// A whole minute, in ms.
    static let minute: Int64 = 1_800_000_000_000 - 1_800_000_000_000 % 60_000
    static let aapl = BarKey(symbol: "AAPL", interval: .oneMinute)

    func makeHub(_ adjust: (inout ServerConfiguration) -> Void = { _ in }) -> FanoutHub {
        FanoutHub.forTesting(host: host, clock: time, adjust)
    }

    func connect(_ hub: FanoutHub) -> (ClientSession, FakeConnection) { hub.openTestClient() }

    func send(_ text: String, from client: ClientSession, to hub: FanoutHub) { hub.take(text, from: client) }

    static func bar(_ index: Int64, close: Double, volume: Double? = 100) -> Bar {
        Bar(time: minute + index * 60_000, open: 100, high: max(100, close), low: min(100, close), close: close, volume: volume)
    }

    static func series(_ count: Int64, key: BarKey = aapl) -> EncodedBarSeries {
        EncodedBarSeries(key, bars: (0..<count).map { bar($0, close: 100 + Double($0)) }, source: .ibkr, lastComplete: false)
    }

    func chartCommands(of hub: FanoutHub) async -> [String] { await host.charts.commands(through: hub.place.interest.charts) }

    func upstreamCommands(of hub: FanoutHub) async -> [String] {
        hub.interest.union.commands.send(.unsubscribe(["END"]))
        var seen: [String] = []
        for await command in host.upstream.commands {
            if command == "unsubscribe END" { break }
            seen.append(command)
        }
        return seen
    }

    func messages(_ connection: FakeConnection, _ type: String) -> [[String: Any]] {
        connection.messages.filter { $0["type"] as? String == type }
    }

    // MARK: Snapshot

    @Test func theSeriesGoesAtOnceToASubscriberWhenTheShardHasIt() async {
        let hub = makeHub()
        let (first, _) = connect(hub)
        send(#"{"op":"subscribe","bars":[{"symbol":"aapl","interval":"1m"}]}"#, from: first, to: hub)
        hub.publishBarSeries(Self.series(3))
        hub.publishBar(EncodedBar(Self.aapl, Self.bar(3, close: 104.5), source: .ibkr))
        hub.flushWrites()

        let (late, connection) = connect(hub)
        send(#"{"op":"subscribe","bars":[{"symbol":"AAPL","interval":"1m"}]}"#, from: late, to: hub)
        let snapshots = messages(connection, "bars")
        #expect(snapshots.count == 1, "the shard's copy, at once")
        let snapshot = snapshots.first ?? [:]
        #expect(snapshot["symbol"] as? String == "AAPL" && snapshot["interval"] as? String == "1m")
        #expect(snapshot["source"] as? String == "ibkr")
        #expect(snapshot["lastComplete"] as? Bool == false)
        let bars = snapshot["bars"] as? [[String: Any]] ?? []
        // The copy took the update: four bars, the newest the update's.
        #expect(bars.map { $0["time"] as? Int64 } == (0..<4).map { Self.minute + $0 * 60_000 })
        #expect(bars.last?["close"] as? Double == 104.5)
        #expect(bars.first?["volume"] as? Double == 100)
        #expect(messages(connection, "bar").isEmpty)
        // One follow upstream for the series, and its symbol's quotes.
        #expect(await chartCommands(of: hub) == ["follow AAPL 1m"])
        #expect(await upstreamCommands(of: hub) == ["subscribe AAPL"])
    }

    @Test func aSubscriberBeforeTheSeriesArrivesGetsItOnArrivalThenUpdates() {
        let hub = makeHub()
        let (client, connection) = connect(hub)
        send(#"{"op":"subscribe","bars":[{"symbol":"AAPL","interval":"1m"}]}"#, from: client, to: hub)
        #expect(connection.frames.isEmpty, "nothing to send before the series")
        // An update before the series is not passed on: the series holds it.
        hub.publishBar(EncodedBar(Self.aapl, Self.bar(0, close: 101), source: .ibkr))
        hub.flushWrites()
        #expect(connection.frames.isEmpty)
        hub.publishBarSeries(Self.series(2))
        hub.flushWrites()
        #expect(messages(connection, "bars").count == 1)
        #expect((messages(connection, "bars").first?["bars"] as? [Any])?.count == 2)
        hub.publishBar(EncodedBar(Self.aapl, Self.bar(1, close: 102.25), source: .ibkr))
        hub.flushWrites()
        let updates = messages(connection, "bar")
        #expect(updates.count == 1)
        let update = updates.first ?? [:]
        #expect(update["symbol"] as? String == "AAPL" && update["interval"] as? String == "1m" && update["source"] as? String == "ibkr")
        #expect(update["time"] as? Int64 == Self.minute + 60_000)
        #expect(update["close"] as? Double == 102.25 && update["open"] as? Double == 100 && update["volume"] as? Double == 100)
    }

    @Test func pricesKeepTheInstrumentsDecimalsAndAMissingVolumeIsNull() {
        let hub = makeHub()
        let (client, connection) = connect(hub)
        send(#"{"op":"subscribe","bars":[{"symbol":"EUR.USD","interval":"5m"},{"symbol":"MSFT","interval":"1d"}]}"#, from: client, to: hub)
        let fx = BarKey(symbol: "EUR.USD", interval: .fiveMinutes)
        let fxBar = Bar(time: Self.minute, open: 1.0841234567, high: 1.0851, low: 1.0831, close: 1.0845, volume: nil)
        hub.publishBarSeries(EncodedBarSeries(fx, bars: [fxBar], source: .yahoo, lastComplete: true))
        let msft = BarKey(symbol: "MSFT", interval: .oneDay)
        hub.publishBarSeries(EncodedBarSeries(msft, bars: [Bar(time: Self.minute, open: 410.123456, high: 411, low: 409, close: 410.1 + 0.2)],
                                              source: nil, lastComplete: true))
        hub.flushWrites()
        let text = String(decoding: connection.frames.joined(), as: UTF8.self)
        #expect(text.contains(#""open":1.084123,"#), "FX: six decimals")
        #expect(text.contains(#""volume":null"#))
        #expect(text.contains(#""open":410.1235,"#), "stocks: four decimals")
        #expect(text.contains(#""close":410.3,"#))
        #expect(text.contains(#""source":null"#))
    }

    // MARK: Conflation

    @Test func aStalledClientGetsTheNewestOfEachBarAndNoCompletedBarIsDropped() {
        let hub = makeHub()
        let (slow, slowConnection) = connect(hub)
        let (fast, fastConnection) = connect(hub)
        for client in [slow, fast] { send(#"{"op":"subscribe","bars":[{"symbol":"AAPL","interval":"1m"}]}"#, from: client, to: hub) }
        hub.publishBarSeries(Self.series(1))
        hub.flushWrites()
        slowConnection.choked = true
        let steps: [(Int64, Double)] = [(0, 101), (0, 102), (0, 103), (1, 104), (1, 105)]
        for (index, close) in steps {
            hub.publishBar(EncodedBar(Self.aapl, Self.bar(index, close: close), source: .ibkr))
            hub.flushWrites()
        }
        #expect(messages(fastConnection, "bar").count == 5, "a client that reads gets every update")
        #expect(slowConnection.frames.count == 1, "only the series went before it stalled")
        slowConnection.choked = false
        #expect(hub.writable(slow))
        #expect(slowConnection.frames.count == 2, "what waited goes in one frame")
        let updates = messages(slowConnection, "bar")
        // The first minute's bar completed at 103: the next bar's first update did not take its place.
        #expect(updates.map { $0["time"] as? Int64 } == [Self.minute, Self.minute + 60_000])
        #expect(updates.map { $0["close"] as? Double } == [103, 105])
    }

    @Test func updatesOfOneBarShareTheirBytesAcrossSubscribers() {
        let hub = makeHub()
        let subscribers = (0..<3).map { _ in connect(hub) }
        for (client, connection) in subscribers {
            send(#"{"op":"subscribe","bars":[{"symbol":"AAPL","interval":"1m"}]}"#, from: client, to: hub)
            connection.choked = true
        }
        hub.publishBarSeries(Self.series(2))
        hub.publishBar(EncodedBar(Self.aapl, Self.bar(1, close: 99), source: .ibkr))
        let snapshots = subscribers.map { $0.0.pendingBars[Self.aapl]?.snapshot }
        let updates = subscribers.map { $0.0.pendingBars[Self.aapl]?.updates.first?.bytes }
        #expect(snapshots.allSatisfy { $0 != nil && $0 === snapshots[0] }, "the series was encoded again")
        #expect(updates.allSatisfy { $0 != nil && $0 === updates[0] }, "the update was encoded again")
    }

    @Test func aClientFarBehindGetsTheSeriesInsteadOfAPileOfBars() {
        let hub = makeHub()
        let (client, connection) = connect(hub)
        send(#"{"op":"subscribe","bars":[{"symbol":"AAPL","interval":"1m"}]}"#, from: client, to: hub)
        hub.publishBarSeries(Self.series(1))
        hub.flushWrites()
        connection.choked = true
        let count = Int64(StreamClients.maxPendingBarUpdates) + 4
        for index in 1...count { hub.publishBar(EncodedBar(Self.aapl, Self.bar(index, close: 100 + Double(index)), source: .ibkr)) }
        #expect(client.pendingBars[Self.aapl]?.messageCount ?? 0 <= StreamClients.maxPendingBarUpdates)
        connection.choked = false
        #expect(hub.writable(client))
        // The whole series as it stands, then what came after it: every bar is there, the newest last.
        let latest = messages(connection, "bars").last?["bars"] as? [[String: Any]] ?? []
        let later = messages(connection, "bar").filter { ($0["time"] as? Int64 ?? 0) > (latest.last?["time"] as? Int64 ?? .max) }
        let times = latest.compactMap { $0["time"] as? Int64 } + later.compactMap { $0["time"] as? Int64 }
        #expect(times == (0...count).map { Self.minute + $0 * 60_000 })
    }

    // MARK: What a bar subscription follows

    @Test func aBarSubscriptionKeepsItsSymbolFollowedWithoutSendingItsQuotes() async {
        let hub = makeHub { $0.releaseIdleSymbolsSeconds = 60 }
        let (client, connection) = connect(hub)
        send(#"{"op":"subscribe","bars":[{"symbol":"AAPL","interval":"1m"}]}"#, from: client, to: hub)
        var quote = Quote(symbol: "AAPL", source: .ibkr, timestamp: 1_800_000_000_000)
        quote.last = 230.1
        hub.publish(quote, receivedAt: Timestamp(microseconds: time.now))
        hub.flushWrites()
        #expect(connection.quotes("AAPL").isEmpty, "quotes only for a symbol subscribed")
        time.advance(seconds: 120)
        hub.releaseIdleSymbols(now: time.now)
        #expect(hub.interest.isFollowed("AAPL"), "released while a series wants its trades")
        send(#"{"op":"unsubscribe","bars":[{"symbol":"AAPL","interval":"1m"}]}"#, from: client, to: hub)
        time.advance(seconds: 30)
        hub.releaseIdleSymbols(now: time.now)
        #expect(hub.interest.isFollowed("AAPL"), "released within the grace period")
        time.advance(seconds: 31)
        hub.releaseIdleSymbols(now: time.now)
        #expect(!hub.interest.isFollowed("AAPL"))
        #expect(await upstreamCommands(of: hub) == ["subscribe AAPL", "unsubscribe AAPL"])
        #expect(await chartCommands(of: hub) == ["follow AAPL 1m", "release AAPL 1m"])
    }

    @Test func aSeriesOfASymbolNoProviderKnowsSaysSoOnce() {
        let hub = makeHub()
        let (early, earlyConnection) = connect(hub)
        send(#"{"op":"subscribe","bars":[{"symbol":"ZZZZ","interval":"1m"},{"symbol":"ZZZZ","interval":"1d"}]}"#, from: early, to: hub)
        hub.setAvailability("ZZZZ", .unknown)
        hub.flushWrites()
        #expect(earlyConnection.errors() == ["unknown_symbol"], "a series' subscriber learns why no candle will form")
        let (late, lateConnection) = connect(hub)
        send(#"{"op":"subscribe","symbols":["ZZZZ"],"bars":[{"symbol":"ZZZZ","interval":"1m"},{"symbol":"ZZZZ","interval":"5m"}]}"#,
             from: late, to: hub)
        #expect(lateConnection.errors() == ["unknown_symbol"], "once for the symbol, not again per series")
    }

    @Test func quotesAndBarsOfOneSymbolAreSubscribedApart() async {
        let hub = makeHub { $0.releaseIdleSymbolsSeconds = 0 }
        let (client, connection) = connect(hub)
        send(#"{"op":"subscribe","symbols":["AAPL"],"bars":[{"symbol":"AAPL","interval":"1m"},{"symbol":"AAPL","interval":"5m"}]}"#,
             from: client, to: hub)
        send(#"{"op":"unsubscribe","symbols":["AAPL"],"bars":[{"symbol":"AAPL","interval":"5m"}]}"#, from: client, to: hub)
        hub.releaseIdleSymbols(now: time.now + 1)
        #expect(hub.interest.isFollowed("AAPL"), "the 1m series still wants it")
        hub.close(client)
        hub.releaseIdleSymbols(now: time.now + 1)
        #expect(!hub.interest.isFollowed("AAPL"))
        #expect(connection.errors().isEmpty)
        #expect(await chartCommands(of: hub) == ["follow AAPL 1m,AAPL 5m", "release AAPL 5m", "release AAPL 1m"])
    }

    @Test func aReleasedSeriesIsForgottenAndOnePublishedLateIsNotKept() {
        let hub = makeHub()
        let (client, _) = connect(hub)
        send(#"{"op":"subscribe","bars":[{"symbol":"AAPL","interval":"1m"}]}"#, from: client, to: hub)
        hub.publishBarSeries(Self.series(2))
        #expect(hub.charts.bars(Self.aapl)?.count == 2)
        send(#"{"op":"unsubscribe","bars":[{"symbol":"AAPL","interval":"1m"}]}"#, from: client, to: hub)
        #expect(hub.charts.bars(Self.aapl) == nil)
        hub.publishBarSeries(Self.series(2))
        #expect(hub.charts.count == 0)
    }

    @Test func unsubscribingDropsWhatWaitedOfTheSeries() {
        let hub = makeHub()
        let (client, connection) = connect(hub)
        send(#"{"op":"subscribe","bars":[{"symbol":"AAPL","interval":"1m"},{"symbol":"AAPL","interval":"1h"}]}"#, from: client, to: hub)
        connection.choked = true
        hub.publishBarSeries(Self.series(2))
        send(#"{"op":"unsubscribe","bars":[{"symbol":"AAPL","interval":"1m"}]}"#, from: client, to: hub)
        #expect(client.pendingBars.isEmpty)
        #expect(client.bars.keys.map(\.description) == ["AAPL 1h"])
    }

    @Test func aSeriesRanksItsSymbolInTheFairShareLikeASubscriptionMadeThen() {
        let hub = makeHub()
        let (first, _) = connect(hub)
        let (second, _) = connect(hub)
        send(#"{"op":"subscribe","bars":[{"symbol":"ZZZ","interval":"1m"}]}"#, from: first, to: hub)
        send(#"{"op":"subscribe","symbols":["AAA","BBB"]}"#, from: first, to: hub)
        send(#"{"op":"subscribe","symbols":["CCC"],"bars":[{"symbol":"AAA","interval":"5m"}]}"#, from: second, to: hub)
        // First places: ZZZ (a series) and CCC; then AAA, second for both clients (one as a series); then BBB.
        #expect(hub.interest.fairShareOrder(hub.clients.all) == ["CCC", "ZZZ", "AAA", "BBB"])
    }

    // MARK: Bad items and limits

    @Test func eachBadItemIsRefusedAloneAndTheOthersAreTaken() async {
        let hub = makeHub()
        let (client, connection) = connect(hub)
        send(#"{"op":"subscribe","bars":[{"symbol":"AAPL","interval":"2m"},{"symbol":"a b c","interval":"1m"},7,{"interval":"1m"},{"symbol":"MSFT"},{"symbol":"msft","interval":"1h"}]}"#,
             from: client, to: hub)
        let errors = messages(connection, "error")
        #expect(errors.map { $0["code"] as? String } == ["bad_interval", "invalid_symbol", "invalid_symbol", "invalid_symbol", "bad_interval"])
        #expect((errors.first?["message"] as? String)?.contains("1m, 5m, 15m, 30m, 1h, 1d") == true)
        #expect(errors.first?["symbol"] as? String == "AAPL")
        #expect(errors[1]["symbol"] as? String == "a b c")
        #expect(errors[2]["symbol"] is NSNull)
        #expect(errors[4]["symbol"] as? String == "MSFT")
        #expect(client.bars.keys.map(\.description) == ["MSFT 1h"])
        #expect(await chartCommands(of: hub) == ["follow MSFT 1h"])
        #expect(await upstreamCommands(of: hub) == ["subscribe MSFT"], "a refused item follows nothing")
    }

    @Test func aClientHasAtMostItsShareOfSeries() {
        let hub = makeHub { $0.maxBarSeriesPerClient = 2 }
        let (client, connection) = connect(hub)
        send(#"{"op":"subscribe","bars":[{"symbol":"A","interval":"1m"},{"symbol":"A","interval":"1m"},{"symbol":"B","interval":"1m"},{"symbol":"C","interval":"1m"},{"symbol":"D","interval":"1m"}]}"#,
             from: client, to: hub)
        #expect(connection.errors() == ["too_many_series"], "the rest of the list is ignored")
        #expect(messages(connection, "error").first?["symbol"] as? String == "C")
        #expect(client.bars.count == 2)
    }

    @Test func aBarsListThatIsNotAnArrayIsABadRequest() {
        let hub = makeHub()
        let (client, connection) = connect(hub)
        send(#"{"op":"subscribe","bars":{"symbol":"AAPL","interval":"1m"}}"#, from: client, to: hub)
        #expect(connection.errors() == ["bad_request"])
        #expect(client.bars.isEmpty)
    }
}
