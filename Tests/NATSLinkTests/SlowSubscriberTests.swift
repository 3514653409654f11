import Foundation
import NATSLink
import NATSTestSupport
import Testing

@Suite("A slow subscriber against a real server")
struct SlowSubscriberTests {
    /// An edge that stops reading (a raw client that subscribes and never reads its socket) is cut off by the
    /// server as a slow consumer; the publisher and a healthy subscriber carry on at their pace meanwhile.
    @Test func aSubscriberThatStopsReadingNeverSlowsThePublisherOrTheOthers() async throws {
        // A small allowance per client, so the stuck one overflows it quickly.
        let server = try NATSServerProcess(configuration: "max_pending: 2MB\nwrite_deadline: \"1s\"\n")
        let publisher = try NATSConnection.connect(server.clientOptions(name: "ingest")) { _ in }
        let healthy = try NATSConnection.connect(server.clientOptions(name: "edge")) { _ in }
        defer { publisher.close(); healthy.close() }
        let received = Gathered<Int>()
        let counter = Counter()
        _ = try healthy.subscribe("tickhub.quote.>") { _ in received.append(counter.next()) }
        try await healthy.flush(timeout: .seconds(5))

        // 20 MB of quote-sized messages a burst, ten times what a client may have pending.
        let count = 70_000
        let payload = [UInt8](repeating: 0x41, count: 300)
        let clock = ContinuousClock()
        func burst() async throws -> Duration {
            let started = clock.now
            for _ in 0..<count { try publisher.publish("tickhub.quote.AAPL", payload) }
            try await publisher.flush(timeout: .seconds(10))
            return clock.now - started
        }
        // Once alone, then beside a subscriber that stops reading.
        let alone = try await burst()
        try #require(await received.wait(forCount: count, timeout: .seconds(180)))
        let stuck = try StuckSubscriber(port: server.port, subject: "tickhub.quote.>")
        defer { stuck.close() }
        try await stuck.subscribed(timeout: .seconds(5))
        let beside = try await burst()
        try #require(await received.wait(forCount: 2 * count, timeout: .seconds(180)))
        #expect(received.items.count == 2 * count)

        // The server says so in its log; nothing announces it otherwise, so look every 50 ms for at most 10 s.
        var cutOff = false
        for _ in 0..<200 where !cutOff {
            cutOff = server.log.contains("Slow Consumer")
            if !cutOff { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(cutOff)
        print("\(count) messages of 300 bytes published in \(alone) alone, in \(beside) beside a stuck subscriber (cut off); "
            + "the healthy subscriber received all \(2 * count)")
    }
}

final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func next() -> Int { lock.withLock { value += 1; return value } }
}

/// A client speaking NATS's text protocol on a bare socket with a small receive buffer, which subscribes and then
/// never reads: what a hung edge looks like to the server.
final class StuckSubscriber: @unchecked Sendable {
    private let fd: Int32

    init(port: Int, subject: String) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var small: Int32 = 4096
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, socklen_t(MemoryLayout<Int32>.size))
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw POSIXError(.ECONNREFUSED) }
        let hello = "CONNECT {\"verbose\":false,\"pedantic\":false,\"name\":\"stuck-edge\"}\r\nSUB \(subject) 1\r\nPING\r\n"
        _ = hello.withCString { send(fd, $0, strlen($0), 0) }
    }

    /// Reads up to the server's PONG (so the SUB is in place), and from then on reads nothing.
    func subscribed(timeout: Duration) async throws {
        var seen = ""
        var buffer = [UInt8](repeating: 0, count: 4096)
        let deadline = ContinuousClock.now + timeout
        while !seen.contains("PONG"), ContinuousClock.now < deadline {
            let n = recv(fd, &buffer, buffer.count, 0)
            guard n > 0 else { break }
            seen += String(decoding: buffer[0..<n], as: UTF8.self)
        }
        guard seen.contains("PONG") else { throw POSIXError(.ETIMEDOUT) }
    }

    func close() {
        Glibc.close(fd)
    }
}
