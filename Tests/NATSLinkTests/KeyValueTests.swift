import NATSLink
import NATSTestSupport
import Testing

@Suite("NATS key-value buckets against a real server")
struct KeyValueTests {
    @Test func revisionCheckedWritesTellALostRaceApart() async throws {
        let server = try NATSServerProcess()
        let first = try NATSConnection.connect(server.clientOptions(name: "ingest-a")) { _ in }
        let second = try NATSConnection.connect(server.clientOptions(name: "ingest-b")) { _ in }
        defer { first.close(); second.close() }
        let mine = try await first.keyValue("tickhub-leader", ttl: nil)
        let theirs = try await second.keyValue("tickhub-leader", ttl: nil)  // binds the same bucket

        #expect(try await mine.get("leader") == nil)
        let created = try await mine.create("leader", Array("a".utf8))
        await #expect(throws: NATSError.keyExists) { try await theirs.create("leader", Array("b".utf8)) }
        #expect(try await theirs.get("leader") == NATSKeyValueEntry(value: Array("a".utf8), revision: created))

        let renewed = try await mine.update("leader", Array("a".utf8), lastRevision: created)
        #expect(renewed > created)
        // A writer holding the old revision has lost: its update fails, the value stays.
        await #expect(throws: NATSError.wrongRevision) { try await theirs.update("leader", Array("b".utf8), lastRevision: created) }
        #expect(try await mine.get("leader")?.value == Array("a".utf8))

        // Deleted, the key counts as absent: create works over the marker, and only once.
        try await mine.delete("leader")
        #expect(try await theirs.get("leader") == nil)
        let taken = try await theirs.create("leader", Array("b".utf8))
        #expect(taken > renewed)
        await #expect(throws: NATSError.keyExists) { try await mine.create("leader", Array("a".utf8)) }
        #expect(try await mine.get("leader") == NATSKeyValueEntry(value: Array("b".utf8), revision: taken))
    }

    @Test func putGetAndKeys() async throws {
        let server = try NATSServerProcess()
        let connection = try NATSConnection.connect(server.clientOptions()) { _ in }
        defer { connection.close() }
        let quotes = try await connection.keyValue("tickhub-quotes", ttl: nil)
        #expect(try await quotes.keys() == [])
        let one = try await quotes.put("BRK_B", [1, 2, 3])
        let two = try await quotes.put("ES=FUT", [])
        let three = try await quotes.put("BRK_B", [4])
        #expect(one < two && two < three)
        #expect(try await quotes.get("BRK_B") == NATSKeyValueEntry(value: [4], revision: three))
        #expect(try await quotes.get("ES=FUT") == NATSKeyValueEntry(value: [], revision: two))
        #expect(Set(try await quotes.keys()) == ["BRK_B", "ES=FUT"])
        try await quotes.delete("ES=FUT")
        #expect(try await quotes.keys() == ["BRK_B"])

        // Names NATS refuses are refused before anything is sent.
        await #expect(throws: NATSError.invalidName("BRK B")) { try await quotes.put("BRK B", [1]) }
        await #expect(throws: NATSError.invalidName(".AAPL")) { _ = try await quotes.get(".AAPL") }
        await #expect(throws: NATSError.invalidName("tickhub.quotes")) { _ = try await connection.keyValue("tickhub.quotes", ttl: nil) }
    }

    @Test func writesSentWithoutWaitingLandInOrder() async throws {
        let server = try NATSServerProcess()
        let connection = try NATSConnection.connect(server.clientOptions()) { _ in }
        defer { connection.close() }
        let quotes = try await connection.keyValue("tickhub-quotes", ttl: nil)
        let symbols = (0..<10).map { "SYM\($0)" }
        for round in 0..<200 {
            for symbol in symbols { try quotes.putNoWait(symbol, Array("\(symbol):\(round)".utf8)) }
        }
        try await quotes.waitForWrites(timeout: .seconds(10))
        for symbol in symbols {
            #expect(try await quotes.get(symbol)?.value == Array("\(symbol):199".utf8))
        }
        #expect(connection.statistics().keyValueWritesFailed == 0)
    }

    @Test func aWriteSentWithoutWaitingThatFailsIsCounted() async throws {
        let server = try NATSServerProcess()
        let connection = try NATSConnection.connect(server.clientOptions()) { _ in }
        defer { connection.close() }
        let quotes = try await connection.keyValue("tickhub-quotes", ttl: nil)
        try await quotes.put("AAPL", [1])
        // The bucket's stream removed behind its back, through JetStream's own API: nothing stores the writes now.
        let answer = try await connection.request("$JS.API.STREAM.DELETE.KV_tickhub-quotes", [], timeout: .seconds(5))
        #expect(String(decoding: answer.data, as: UTF8.self).contains("\"success\":true"))
        try quotes.putNoWait("AAPL", [2])
        try quotes.putNoWait("MSFT", [3])
        try await quotes.waitForWrites(timeout: .seconds(10))
        #expect(connection.statistics().keyValueWritesFailed == 2)
    }

    @Test func aLeaseExpiresAfterItsTimeToLive() async throws {
        let server = try NATSServerProcess()
        let connection = try NATSConnection.connect(server.clientOptions()) { _ in }
        defer { connection.close() }
        let leases = try await connection.keyValue("tickhub-leases", ttl: .seconds(1))
        let clock = ContinuousClock()
        let written = clock.now
        try await leases.create("leader", Array("a".utf8))
        await #expect(throws: NATSError.keyExists) { try await leases.create("leader", Array("b".utf8)) }

        // Nothing announces an expiry: look every 100 ms, for at most 10 s.
        var expiredAfter: Duration?
        for _ in 0..<100 {
            if try await leases.get("leader") == nil {
                expiredAfter = clock.now - written
                break
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        let after = try #require(expiredAfter)
        #expect(after >= .seconds(1))
        // Once expired, the next candidate's create wins.
        #expect(try await leases.create("leader", Array("b".utf8)) > 0)
        #expect(try await leases.get("leader")?.value == Array("b".utf8))
    }
}
