import Foundation
import NATSLink
import NATSTestSupport
import Testing

@Suite("NATS order and latency against a real server", .serialized)
struct OrderAndLatencyTests {
    /// One publisher's messages reach a subscriber in the order sent (what keeps a symbol's `seq` from going down at
    /// an edge); the time each took through the server is printed, not asserted (the machine is shared).
    @Test(arguments: [false, true]) func aPublishersMessagesArriveInOrder(sendImmediately: Bool) async throws {
        let server = try NATSServerProcess()
        var options = server.clientOptions(name: "ingest")
        options.sendImmediately = sendImmediately
        let publisher = try NATSConnection.connect(options) { _ in }
        let subscriber = try NATSConnection.connect(server.clientOptions(name: "edge")) { _ in }
        defer { publisher.close(); subscriber.close() }
        let count = 10_000
        let received = Gathered<(sequence: UInt64, latency: UInt64)>()
        _ = try subscriber.subscribe("tickhub.quote.>") { message in
            let arrived = DispatchTime.now().uptimeNanoseconds
            let sequence = message.data.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            let sent = message.data.dropFirst(8).prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            received.append((sequence, arrived - sent))
        }
        try await subscriber.flush(timeout: .seconds(5))

        // A quote's size on the wire (~300 bytes): the sequence, the send time, then padding.
        let padding = [UInt8](repeating: 0x20, count: 284)
        func send(_ sequence: UInt64) throws {
            let sent = DispatchTime.now().uptimeNanoseconds
            let head = (0..<8).map { UInt8(truncatingIfNeeded: sequence >> (56 - 8 * $0)) }
                + (0..<8).map { UInt8(truncatingIfNeeded: sent >> (56 - 8 * $0)) }
            try publisher.publish("tickhub.quote.AAPL", head + padding, headers: ["Tickhub-Epoch": "1"])
        }
        // A burst, as fast as the publisher can: the rate, and the latency of a queue.
        let started = DispatchTime.now().uptimeNanoseconds
        for sequence in 1...UInt64(count) { try send(sequence) }
        try #require(await received.wait(forCount: count, timeout: .seconds(90)))
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        // Then 1,000 paced a millisecond apart: the latency of one hop through the server.
        let paced = 1_000
        for sequence in UInt64(count + 1)...UInt64(count + paced) {
            try send(sequence)
            try await Task.sleep(for: .milliseconds(1))
        }
        try #require(await received.wait(forCount: count + paced, timeout: .seconds(90)))
        let items = received.items
        #expect(items.map(\.sequence) == Array(1...UInt64(count + paced)))

        func percentiles(_ latencies: [UInt64]) -> String {
            let sorted = latencies.sorted()
            func at(_ p: Double) -> Int { Int(sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))] / 1_000) }
            return "p50 \(at(0.5)) µs, p99 \(at(0.99)) µs, max \(at(1)) µs"
        }
        print("NATS loopback, sendImmediately \(sendImmediately), \(count) messages of 300 bytes with a header in a burst: \(Int(Double(count) / elapsed)) a second, "
            + "publish to handler \(percentiles(items.prefix(count).map(\.latency)))")
        print("NATS loopback, sendImmediately \(sendImmediately), \(paced) messages paced 1 ms apart: publish to handler \(percentiles(items.suffix(paced).map(\.latency)))")
    }

    /// Each acknowledged write's revision is above the last (what the leader's epoch and a symbol's kept quote rely
    /// on); the time an acknowledged write and a read take is printed.
    @Test func keyValueRevisionsOnlyGrow() async throws {
        let server = try NATSServerProcess()
        let connection = try NATSConnection.connect(server.clientOptions()) { _ in }
        defer { connection.close() }
        let bucket = try await connection.keyValue("tickhub-leader", ttl: .seconds(3))
        let clock = ContinuousClock()
        var writes: [Duration] = []
        var reads: [Duration] = []
        var last: UInt64 = 0
        for round in 0..<200 {
            let started = clock.now
            let revision = try await round == 0 ? bucket.create("leader", [1]) : bucket.update("leader", [1], lastRevision: last)
            writes.append(clock.now - started)
            #expect(revision > last)
            last = revision
            let read = clock.now
            #expect(try await bucket.get("leader")?.revision == revision)
            reads.append(clock.now - read)
        }
        func p50(_ durations: [Duration]) -> Duration { durations.sorted()[durations.count / 2] }
        func p99(_ durations: [Duration]) -> Duration { durations.sorted()[durations.count * 99 / 100] }
        print("NATS key-value on loopback, 200 rounds: update p50 \(p50(writes)), p99 \(p99(writes)); get p50 \(p50(reads)), p99 \(p99(reads))")
    }
}
