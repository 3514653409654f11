import Foundation
import Glibc
import Testing
import TickhubCore

import Hub
import HubTestSupport
@testable import LwsHost

/// A server fed another hub's quotes (an edge's), on real sockets: the bytes reach its WebSocket clients exactly as
/// they came, and a lost feed re-sends them stale with the same `seq`. (A test process has no bind tap, so one
/// service thread; `FeedRelayTests` covers several shards.)
@Suite(.serialized) struct FedServerTests {
    func entry(_ symbol: String, bid: Double, seq: UInt64, t: Int64) -> QuoteBook.Entry {
        var quote = Quote(symbol: symbol, source: .ibkr, timestamp: t / 1_000)
        quote.bid = bid
        quote.ask = bid + 0.02
        quote.last = bid + 0.01
        quote.close = bid - 1.234
        return QuoteBook.Entry(quote: quote, sequence: seq, receivedAt: Timestamp(microseconds: t))
    }

    @Test func anotherHubsQuoteReachesClientsAsItCameAndGoesStaleWithItsSeq() async throws {
        var configuration = ServerConfiguration()
        configuration.port = 0
        configuration.threads = 1
        let upstream = RecordingUpstream()
        let server = TickhubServer(configuration: configuration, wiring: HubWiring(upstream: upstream))
        let port = try await server.start()
        defer { Task { await server.stop() } }

        var clients: [RawWebSocket] = []
        for _ in 0..<2 {
            let client = try RawWebSocket(port: port)
            try client.send(#"{"op":"subscribe","symbols":["AAPL"]}"#)
            clients.append(client)
        }
        // The symbol is followed upstream once wanted; a pong answers after each client's subscribe was taken.
        #expect(await first(upstream.commands, within: 5) == "subscribe AAPL")
        for client in clients {
            try client.send(#"{"op":"ping","id":"after-subscribe"}"#)
            _ = try client.messages(until: { $0["type"] as? String == "pong" })
        }

        let bytes = QuoteEncoding.encode(entry("AAPL", bid: 230.09, seq: 517, t: 1_795_320_831_924_126))
        #expect(server.publishEncoded(bytes) == .published(symbol: "AAPL", sequence: 517))
        for client in clients {
            let frame = try client.frame(until: { String(decoding: $0, as: UTF8.self).contains(#""type":"quote""#) })
            #expect(frame == bytes, "the bytes were not passed on as they came")
        }

        // Neither bytes that are not a quote nor an older seq reach anyone; both are counted.
        guard case .refused = server.publishEncoded(Array("{\"type\":\"quote\",\"symbol\":".utf8)) else {
            Issue.record("truncated bytes were not refused")
            return
        }
        #expect(server.publishEncoded(QuoteEncoding.encode(entry("AAPL", bid: 1, seq: 516, t: 1))) == .superseded)
        #expect(server.relayedQuoteFigures == (refused: 1, superseded: 1))

        server.markAllStale(reason: "the link to the ingest is lost")
        for client in clients {
            // The stale quote goes out before the notice, so that a client told is never left with a live-looking one.
            let seen = try client.messages(until: { $0["feed"] != nil })
            let notice = try #require(seen.first { $0["feed"] != nil })
            #expect(notice["type"] as? String == "status" && notice["feed"] as? String == "lost")
            #expect(notice["reason"] as? String == "the link to the ingest is lost")
            let stale = try #require(seen.last { $0["type"] as? String == "quote" })
            #expect(stale["stale"] as? Bool == true && stale["seq"] as? Int == 517 && stale["t"] as? Int == 1_795_320_831_924_126)
            #expect(stale["bid"] as? Double == 230.09 && stale["change"] as? Double == 1.244)
        }
        for client in clients { client.close() }
        await server.stop()
    }

    /// The first element of a stream, or nil when none comes in time.
    func first(_ stream: AsyncStream<String>, within seconds: Double) async -> String? {
        await withTaskGroup(of: String?.self) { group in
            group.addTask { for await element in stream { return element }; return nil }
            group.addTask { try? await Task.sleep(for: .seconds(seconds)); return nil }
            let winner = await group.next() ?? nil
            group.cancelAll()
            return winner
        }
    }
}

/// A WebSocket client on a plain socket, enough to read what the hub sends: the handshake, masked text frames out,
/// unmasked frames in. Every read waits at most five seconds.
final class RawWebSocket {
    let descriptor: Int32
    private var buffered: [UInt8] = []
    /// Messages read off frames and not yet handed to the test.
    private var unread: [[String: Any]] = []

    init(port: Int) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw Failure("connect: errno \(errno)") }
        try write(Array("GET /stream HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n".utf8))
        while !String(decoding: buffered, as: UTF8.self).contains("\r\n\r\n") { try fill() }
        let text = String(decoding: buffered, as: UTF8.self)
        guard text.hasPrefix("HTTP/1.1 101") else { throw Failure("no upgrade: \(text)") }
        let end = text.utf8.count - (text.components(separatedBy: "\r\n\r\n").dropFirst().joined(separator: "\r\n\r\n")).utf8.count
        buffered.removeFirst(end)
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    func close() { Glibc.close(descriptor) }

    func send(_ text: String) throws {
        let payload = Array(text.utf8)
        var frame: [UInt8] = [0x81]
        if payload.count < 126 { frame.append(0x80 | UInt8(payload.count)) } else {
            frame += [0x80 | 126, UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)]
        }
        let mask: [UInt8] = [0x12, 0x34, 0x56, 0x78]
        frame += mask
        frame += payload.enumerated().map { $0.element ^ mask[$0.offset % 4] }
        try write(frame)
    }

    private func write(_ bytes: [UInt8]) throws {
        let sent = bytes.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, 0) }
        guard sent == bytes.count else { throw Failure("send: errno \(errno)") }
    }

    private func fill() throws {
        var chunk = [UInt8](repeating: 0, count: 65_536)
        let count = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { throw Failure("nothing read in 5 s (errno \(errno))") }
        buffered += chunk[..<count]
    }

    private func take(_ count: Int) throws -> [UInt8] {
        while buffered.count < count { try fill() }
        defer { buffered.removeFirst(count) }
        return Array(buffered[..<count])
    }

    /// The next text frame's payload (pings and other control frames passed over).
    func nextFrame() throws -> [UInt8] {
        while true {
            let head = try take(2)
            var length = Int(head[1] & 0x7F)
            if length == 126 { length = try take(2).reduce(0) { $0 << 8 | Int($1) } }
            if length == 127 { length = try take(8).reduce(0) { $0 << 8 | Int($1) } }
            let payload = try take(length)
            if head[0] & 0x0F == 1 { return payload }
        }
    }

    /// Frames read until one satisfies `wanted` (at most 50): that one.
    func frame(until wanted: ([UInt8]) -> Bool) throws -> [UInt8] {
        for _ in 0..<50 {
            let frame = try nextFrame()
            if wanted(frame) { return frame }
        }
        throw Failure("50 frames without the one wanted")
    }

    /// Messages read (a frame holds one or an array) up to and including the first that satisfies `wanted`.
    func messages(until wanted: ([String: Any]) -> Bool) throws -> [[String: Any]] {
        var seen: [[String: Any]] = []
        for _ in 0..<50 {
            while !unread.isEmpty {
                let message = unread.removeFirst()
                seen.append(message)
                if wanted(message) { return seen }
            }
            let value = try JSONSerialization.jsonObject(with: Data(try nextFrame()))
            unread = (value as? [String: Any]).map { [$0] } ?? (value as? [[String: Any]] ?? [])
        }
        throw Failure("50 frames without the message wanted")
    }
}
