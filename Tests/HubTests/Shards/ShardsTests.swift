import Foundation
import Testing
import TickhubCore

import HubProtocol
import HubTestSupport
@testable import Hub

/// The hub as several shards, without threads or sockets: what is hub-wide stays hub-wide, whichever shard a client
/// or a request landed on.
@Suite struct ShardsTests {
    let time = ManualClock()

    func quote(_ symbol: String, bid: Double) -> Quote {
        var quote = Quote(symbol: symbol, source: .ibkr, timestamp: 1_800_000_000_000)
        quote.bid = bid
        quote.ask = bid + 0.1
        return quote
    }

    func connect(_ hub: FanoutHub, publisher: Bool = false) -> (ClientSession, FakeConnection) { hub.openTestClient(publisher: publisher) }

    func send(_ text: String, from client: ClientSession, to hub: FanoutHub) { hub.take(text, from: client) }

    func subscribe(_ symbols: [String], on hub: FanoutHub) -> (ClientSession, FakeConnection) {
        let (client, connection) = connect(hub)
        let list = symbols.map { "\"\($0)\"" }.joined(separator: ",")
        send(#"{"op":"subscribe","symbols":[\#(list)]}"#, from: client, to: hub)
        return (client, connection)
    }

    // MARK: Fan to every shard

    @Test func anUpdateIsEncodedOnceAndEveryShardsSubscribersGetTheSameBytes() {
        let shards = TestShards(2, clock: time)
        let subscribers = [subscribe(["AAPL"], on: shards[0]), subscribe(["AAPL"], on: shards[1]), subscribe(["AAPL"], on: shards[1])]
        for (_, connection) in subscribers { connection.choked = true }
        shards.broadcast.publish(quote("AAPL", bid: 100), receivedAt: Timestamp(microseconds: 5))
        shards.broadcast.publish(quote("AAPL", bid: 101), receivedAt: Timestamp(microseconds: 6))
        let pending = subscribers.map { $0.0.pending["AAPL"]?.bytes }
        #expect(pending.allSatisfy { $0 != nil && $0 === pending[0] }, "each shard encoded the update again")
        for (client, connection) in subscribers {
            connection.choked = false
            _ = shards.hubs.first { $0.clients[client.id] === client }?.writable(client)
            #expect(connection.quotes("AAPL").map { $0["seq"] as? Int } == [2], "one numbering for the whole hub")
            #expect(connection.quotes("AAPL").first?["bid"] as? Double == 101)
        }
        // Both shards hold the same book: an HTTP request on either is answered from it, with the same bytes.
        #expect(shards[0].market.book["AAPL"]?.sequence == 2 && shards[1].market.book["AAPL"]?.sequence == 2)
    }

    @Test func hubWideEventsReachEveryShard() {
        let shards = TestShards(3, clock: time)
        let watchers = shards.hubs.map { hub in
            let (client, connection) = connect(hub)
            send(#"{"op":"subscribe","symbols":["MSFT"],"channels":["status"]}"#, from: client, to: hub)
            return connection
        }
        shards.broadcast.post(.brokerStatus(BrokerConnectionStatus(state: .ready, host: "127.0.0.1", port: 7497, clientId: 1)))
        shards.broadcast.post(.sourceChanged(symbol: "MSFT", from: nil, to: .ibkr, reason: "first"))
        shards.broadcast.post(.sourceChanged(symbol: "MSFT", from: .ibkr, to: .yahoo, reason: "IBKR went quiet"))
        let holding = Holding(broker: "other", account: "A1", instrument: .stock("IBM"), quantity: 10, averageCost: 100)
        shards.broadcast.post(.holdings(broker: "other", [holding], unvalued: []))
        shards.broadcast.post(.databaseProblem("disk full", write: .positions))
        for hub in shards.hubs { hub.flushWrites() }
        for (hub, connection) in zip(shards.hubs, watchers) {
            let statuses = connection.messages.filter { $0["type"] as? String == "status" }
            #expect(statuses.contains { ($0["ibkr"] as? [String: Any])?["state"] as? String == "ready" })
            #expect(statuses.contains { $0["symbol"] as? String == "MSFT" && $0["source"] as? String == "yahoo" })
            #expect(hub.pnl.holdings["other"]?.count == 1)
            #expect(hub.databaseProblem == "disk full")
        }
    }

    @Test func aFailedWriteIsClearedOnlyByASuccessOfItsOwnKind() {
        let shards = TestShards(1, clock: time)
        let hub = shards.hubs[0]
        shards.broadcast.post(.databaseProblem("a position write failed: disk full", write: .positions))
        // The last quotes saved on time say nothing of whether positions can be written.
        shards.broadcast.post(.databaseProblem(nil, write: .lastQuotes))
        hub.flushWrites()
        #expect(hub.databaseProblem == "a position write failed: disk full")
        shards.broadcast.post(.databaseProblem("cannot save last quotes", write: .lastQuotes))
        hub.flushWrites()
        #expect(hub.databaseProblem == "a position write failed: disk full; cannot save last quotes")
        shards.broadcast.post(.databaseProblem(nil, write: .positions))
        shards.broadcast.post(.databaseProblem(nil, write: .lastQuotes))
        hub.flushWrites()
        #expect(hub.databaseProblem == nil)
    }

    @Test func clientIdsAreUniqueAcrossShardsSoUpstreamTellsPublishersApart() {
        let shards = TestShards(2, clock: time)
        var ids: [Int] = []
        for _ in 0..<3 {
            for hub in shards.hubs { ids.append(connect(hub, publisher: true).0.id) }
        }
        #expect(Set(ids).count == ids.count, "\(ids)")
    }

    // MARK: Interest union

    @Test func aSymbolIsSubscribedOnceAndReleasedOnlyWhenNoShardWantsIt() async {
        let shards = TestShards(2, clock: time) { $0.releaseIdleSymbolsSeconds = 0 }
        let (first, _) = subscribe(["AAPL", "MSFT"], on: shards[0])
        let (second, _) = subscribe(["AAPL"], on: shards[1])
        shards.broadcast.publish(quote("AAPL", bid: 1), receivedAt: time.clock.now())
        #expect(shards.interest.followers(of: "AAPL") == [0, 1])

        shards[0].close(first)
        shards[0].releaseIdleSymbols(now: time.now + 1)
        // Shard 0 lets AAPL go, but shard 1 streams it: still followed upstream, still quoted on both shards.
        #expect(!shards[0].interest.isFollowed("AAPL") && shards.interest.followers(of: "AAPL") == [1])
        #expect(shards[0].market.book["AAPL"] != nil)

        shards[1].close(second)
        shards[1].releaseIdleSymbols(now: time.now + 1)
        #expect(shards.interest.followed.isEmpty)
        // Released upstream: every shard forgets the quote that no longer comes.
        #expect(shards[0].market.book["AAPL"] == nil && shards[1].market.book["AAPL"] == nil)
        #expect(await shards.upstreamCommands() == ["subscribe AAPL,MSFT", "unsubscribe MSFT", "unsubscribe AAPL"])
    }

    @Test func theBudgetCountsWhatTheWholeHubFollows() async {
        let shards = TestShards(2, clock: time) { $0.maxUpstreamSymbols = 2 }
        _ = subscribe(["AAPL", "MSFT"], on: shards[0])
        let (_, refused) = subscribe(["IBM"], on: shards[1])
        #expect(refused.errors() == ["unavailable"], "a third symbol, on another shard, went past the hub's budget")
        let (_, shared) = subscribe(["AAPL"], on: shards[1])
        #expect(shared.errors().isEmpty, "a symbol another shard follows costs nothing")
        #expect(shards[1].metrics.symbolsRefusedAtCapacity == 1)
        #expect(await shards.upstreamCommands() == ["subscribe AAPL,MSFT"])
    }

    @Test func theFairShareRanksEveryShardsClientsTogether() async {
        let shards = TestShards(2, clock: time, recordingPriorities: true)
        _ = subscribe(["A", "B", "C"], on: shards[0])
        _ = subscribe(["D", "E"], on: shards[1])
        for hub in shards.hubs { hub.housekeeping(secondElapsed: false) }
        let commands = await shards.upstreamCommands()
        // Each client's first symbol before any client's second, whichever shard it is on.
        #expect(commands.last == "prioritize A,D,B,E,C", "\(commands)")
    }

    // MARK: Figures

    @Test func healthAndMetricsCountEveryShardWhicheverAnswers() async throws {
        let shards = TestShards(2, clock: time)
        _ = subscribe(["AAPL", "MSFT"], on: shards[0])
        _ = subscribe(["AAPL"], on: shards[0])
        _ = subscribe(["IBM"], on: shards[1])
        _ = connect(shards[1], publisher: true)
        shards.broadcast.publish(quote("AAPL", bid: 1), receivedAt: time.clock.now())
        for hub in shards.hubs { hub.flushWrites() }
        let get = { (path: String) in HTTPRequest(method: .get, path: path, headers: ["host": "127.0.0.1:8080"]) }

        let health = try #require(await shards[1].answer(get("/api/health")))
        let body = try #require(try JSONSerialization.jsonObject(with: Data(health.body)) as? [String: Any])
        #expect(body["clients"] as? Int == 3 && body["publishers"] as? Int == 1 && body["subscriptions"] as? Int == 4)
        #expect(body["symbols"] as? Int == 3, "the symbols the whole hub follows")
        let perShard = try #require(body["shards"] as? [[String: Any]])
        #expect(perShard.map { $0["clients"] as? Int } == [2, 1])

        let metrics = try #require(await shards[0].answer(get("/metrics"))).text
        let lines = metrics.split(separator: "\n").map(String.init)
        for expected in ["tickhub_clients 3", "tickhub_subscriptions 4", "tickhub_publishers 1", "tickhub_updates_in_total 1",
                         "tickhub_updates_out_total 2", #"tickhub_shard_clients{shard="1"} 1"#] {
            #expect(lines.contains(expected), "missing \(expected)")
        }
    }
}
