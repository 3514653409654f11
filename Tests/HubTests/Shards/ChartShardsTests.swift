import Foundation
import Testing
import TickhubCore

import HubProtocol
import HubTestSupport
@testable import Hub

/// Bar series, alerts and standing interest across shards: a series is followed once for the hub, every shard keeps
/// its copy, and what is hub-wide reaches every shard's clients.
@Suite struct ChartShardsTests {
    let time = ManualClock()
    static let key = BarKey(symbol: "AAPL", interval: .oneMinute)
    static let minute: Int64 = 1_800_000_000_000 - 1_800_000_000_000 % 60_000

    func connect(_ hub: FanoutHub) -> (ClientSession, FakeConnection) { hub.openTestClient() }

    func send(_ text: String, from client: ClientSession, to hub: FanoutHub) { hub.take(text, from: client) }

    func chart(on hub: FanoutHub) -> (ClientSession, FakeConnection) {
        let (client, connection) = connect(hub)
        send(#"{"op":"subscribe","bars":[{"symbol":"AAPL","interval":"1m"}]}"#, from: client, to: hub)
        return (client, connection)
    }

    static func series(_ closes: [Double]) -> [Bar] {
        closes.enumerated().map { index, close in
            Bar(time: minute + Int64(index) * 60_000, open: close, high: close, low: close, close: close, volume: 10)
        }
    }

    @Test func aSeriesIsFollowedOnTheFirstWantAnywhereAndReleasedOnTheLast() async {
        let shards = TestShards(2, clock: time)
        let (first, _) = chart(on: shards[0])
        let (second, _) = chart(on: shards[1])
        let (third, _) = chart(on: shards[1])
        #expect(shards.interest.charts.followers(of: Self.key) == [0, 1])
        send(#"{"op":"unsubscribe","bars":[{"symbol":"AAPL","interval":"1m"}]}"#, from: first, to: shards[0])
        shards[1].close(second)
        #expect(shards.interest.charts.isFollowed(Self.key), "a client on shard 1 still wants it")
        shards.broadcast.post(.barSeries(EncodedBarSeries(Self.key, bars: Self.series([100, 101]), source: .ibkr, lastComplete: false)))
        #expect(shards.hubs.allSatisfy { $0.charts.bars(Self.key)?.count == 2 }, "every shard keeps its copy")
        shards[1].close(third)
        #expect(!shards.interest.charts.isFollowed(Self.key))
        #expect(shards.hubs.allSatisfy { $0.charts.count == 0 }, "a copy that no longer gets updates is forgotten everywhere")
        #expect(await shards.charts.commands(through: shards.interest.charts) == ["follow AAPL 1m", "release AAPL 1m"])
        // Its symbol was followed once for quotes, for the bars on both shards.
        #expect(await shards.upstreamCommands() == ["subscribe AAPL"])
    }

    @Test func theSeriesAndItsUpdatesReachEveryShardEncodedOnce() {
        let shards = TestShards(2, clock: time)
        let subscribers = [chart(on: shards[0]), chart(on: shards[1])]
        for (_, connection) in subscribers { connection.choked = true }
        shards.broadcast.post(.barSeries(EncodedBarSeries(Self.key, bars: Self.series([100, 101]), source: .ibkr, lastComplete: false)))
        let update = Bar(time: Self.minute + 60_000, open: 101, high: 102, low: 101, close: 102, volume: 20)
        shards.broadcast.post(.bar(EncodedBar(Self.key, update, source: .ibkr)))
        let pending = subscribers.map { $0.0.pendingBars[Self.key] }
        #expect(pending.allSatisfy { $0?.snapshot != nil && $0?.snapshot === pending[0]?.snapshot })
        #expect(pending.allSatisfy { $0?.updates.first?.bytes != nil && $0?.updates.first?.bytes === pending[0]?.updates.first?.bytes })
        // A client arriving later on the other shard gets that shard's copy, with the update in it, at once.
        let (_, late) = chart(on: shards[1])
        let bars = late.messages.first { $0["type"] as? String == "bars" }?["bars"] as? [[String: Any]]
        #expect(bars?.map { $0["close"] as? Double } == [100, 102])
    }

    @Test func anAlertReachesTheChannelsSubscribersOnEveryShard() {
        let shards = TestShards(3, clock: time)
        let listeners = shards.hubs.map { hub in
            let (client, connection) = connect(hub)
            send(#"{"op":"subscribe","channels":["alerts"]}"#, from: client, to: hub)
            return connection
        }
        let fired = AlertFired(id: "r1", symbol: "EUR.USD", condition: .above, level: 1.09, price: 1.0900123456, time: 1_800_000_000_000)
        shards.broadcast.post(.alert(EncodedAlert(fired)))
        for hub in shards.hubs { hub.flushWrites() }
        for connection in listeners {
            let alerts = connection.messages.filter { $0["type"] as? String == "alert" }
            #expect(alerts.count == 1)
            #expect(alerts.first?["price"] as? Double == 1.090012)
        }
    }

    @Test func standingInterestKeepsASymbolFollowedWhateverTheClientsWant() async {
        let shards = TestShards(2, clock: time) { $0.releaseIdleSymbolsSeconds = 0 }
        #expect(shards.interest.setStanding([.stock("AAPL"), .stock("MSFT")], owner: "alerts").isEmpty)
        let (client, _) = connect(shards[0])
        send(#"{"op":"subscribe","symbols":["AAPL"]}"#, from: client, to: shards[0])
        shards[0].close(client)
        shards[0].releaseIdleSymbols(now: time.now + 1)
        #expect(shards.interest.isFollowed("AAPL"), "the alert rules still want it")
        // The owner's new set replaces the old: MSFT, which nobody else wants, is released and returned.
        #expect(shards.interest.setStanding([.stock("AAPL")], owner: "alerts") == ["MSFT"])
        #expect(shards.interest.setStanding([], owner: "alerts") == ["AAPL"])
        #expect(shards.interest.followed.isEmpty)
        #expect(await shards.upstreamCommands() == ["subscribe AAPL,MSFT", "unsubscribe MSFT", "unsubscribe AAPL"])
    }

    @Test func aStandingSymbolAClientFollowsIsReleasedOnlyWhenBothLetGo() async {
        let shards = TestShards(2, clock: time) { $0.releaseIdleSymbolsSeconds = 0 }
        let (client, _) = chart(on: shards[1])
        shards.interest.setStanding([.stock("AAPL")], owner: "alerts")
        #expect(shards.interest.setStanding([], owner: "alerts").isEmpty, "the chart still wants its trades")
        shards[1].close(client)
        shards[1].releaseIdleSymbols(now: time.now + 1)
        #expect(!shards.interest.isFollowed("AAPL"))
        #expect(await shards.upstreamCommands() == ["subscribe AAPL", "unsubscribe AAPL"])
    }
}
