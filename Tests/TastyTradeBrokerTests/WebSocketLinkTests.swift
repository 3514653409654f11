import NIOSSL
import TWSSimulator
import Testing

@testable import TastyTradeBroker
@testable import WebSocketClient

@Suite struct WebSocketLinkTests {
    enum Event: Sendable, Equatable {
        case text(String)
        case closed
    }

    /// The server's script: "echo X" → X, "split" → three fragments, "ping" → a ping, "bye" → a close frame,
    /// "flood" → fragments past the client's bound.
    static func script(_ text: String) -> [LoopbackWebSocketServer.Reply] {
        switch text {
        case "split": [.fragments(["{\"a\":", "[1,2", "]}"])]
        case "ping": [.ping("p-1")]
        case "bye": [.close]
        case "flood": [.fragments([String(repeating: "x", count: 600), String(repeating: "y", count: 600)])]
        default: text.hasPrefix("echo ") ? [.text(String(text.dropFirst(5)))] : []
        }
    }

    func open(_ server: LoopbackWebSocketServer, _ events: Mailbox<Event>, path: String = "/ws") async throws -> WebSocketLink {
        try await WebSocketLink.open(
            url: "ws://127.0.0.1:\(server.port)\(path)", headers: ["User-Agent": "tickhub/test"], timeout: .seconds(5),
            maxMessageBytes: 1000, onText: { events.put(.text($0)) }, onClose: { events.put(.closed) })
    }

    @Test func textBothWaysFragmentsJoinedPingsAnswered() async throws {
        let server = try await LoopbackWebSocketServer(script: Self.script)
        defer { Task { await server.stop() } }
        let events = Mailbox<Event>()
        let link = try await open(server, events)
        link.send("echo héllo")
        try await events.first("the echo") { $0 == .text("héllo") }
        link.send("split")
        try await events.first("the joined fragments") { $0 == .text("{\"a\":[1,2]}") }
        link.send("ping")
        link.send("echo after the ping")
        try await events.first("the message after the ping") { $0 == .text("after the ping") }
        try await server.pongs.first("the pong") { $0 == "p-1" }
        #expect(server.pongs.items == ["p-1"])
        #expect(link.isOpen)
        link.close()
        try await events.first("the close") { $0 == .closed }
        #expect(events.items.filter { $0 == .closed }.count == 1)
    }

    @Test func aServerCloseOrDropEndsTheLinkOnce() async throws {
        let server = try await LoopbackWebSocketServer(script: Self.script)
        defer { Task { await server.stop() } }
        let events = Mailbox<Event>()
        let link = try await open(server, events)
        link.send("bye")
        try await events.first("the close after the server's close frame") { $0 == .closed }
        #expect(!link.isOpen)

        let dropped = Mailbox<Event>()
        _ = try await open(server, dropped)
        server.dropClients()
        try await dropped.first("the close after a drop") { $0 == .closed }
    }

    @Test func aMessagePastTheBoundClosesTheLink() async throws {
        let server = try await LoopbackWebSocketServer(script: Self.script)
        defer { Task { await server.stop() } }
        let events = Mailbox<Event>()
        let link = try await open(server, events)
        link.send("flood")
        try await events.first("the close after too large a message") { $0 == .closed }
        #expect(!events.items.contains { if case let .text(text) = $0 { text.count > 1000 } else { false } })
    }

    @Test func refusalsAndBadURLsThrow() async throws {
        let server = try await LoopbackWebSocketServer(script: Self.script)
        defer { Task { await server.stop() } }
        let events = Mailbox<Event>()
        await #expect(throws: WebSocketLink.Failure.refused(status: 404)) { try await open(server, events, path: "/nowhere") }
        await #expect(throws: WebSocketLink.Failure.self) {
            try await WebSocketLink.open(url: "http://127.0.0.1:1/", onText: { _ in }, onClose: {})
        }
        #expect(events.count == 0)
    }

    @Test func wssVerifiesTheServerAndCarriesText() async throws {
        let certificate = try SelfSignedCertificate()
        let serverTLS = try NIOSSLContext(configuration: .makeServerConfiguration(
            certificateChain: [.certificate(try NIOSSLCertificate(bytes: Array(certificate.certificatePEM.utf8), format: .pem))],
            privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(certificate.privateKeyPEM.utf8), format: .pem))))
        let server = try await LoopbackWebSocketServer(tls: serverTLS, script: Self.script)
        defer { Task { await server.stop() } }
        var trusting = TLSConfiguration.makeClientConfiguration()
        trusting.trustRoots = .certificates([try NIOSSLCertificate(bytes: Array(certificate.certificatePEM.utf8), format: .pem)])
        let events = Mailbox<Event>()
        let link = try await WebSocketLink.open(
            url: "wss://localhost:\(server.port)/ws", timeout: .seconds(5), tls: trusting,
            onText: { events.put(.text($0)) }, onClose: { events.put(.closed) })
        link.send("echo over tls")
        try await events.first("the echo over TLS") { $0 == .text("over tls") }
        link.close()
        // Verification is on by default: a certificate no system root signed is refused.
        await #expect(throws: (any Error).self) {
            try await WebSocketLink.open(url: "wss://localhost:\(server.port)/ws", timeout: .seconds(5), onText: { _ in }, onClose: {})
        }
    }

    @Test func endpointsFromURLs() throws {
        let secure = try WebSocketLink.Endpoint(url: "wss://streamer.tastyworks.com")
        #expect(secure.secure && secure.host == "streamer.tastyworks.com" && secure.port == 443 && secure.target == "/")
        #expect(secure.hostHeader == "streamer.tastyworks.com")
        let local = try WebSocketLink.Endpoint(url: "ws://127.0.0.1:8123/dxlink?x=1")
        #expect(!local.secure && local.host == "127.0.0.1" && local.port == 8123 && local.target == "/dxlink?x=1")
        #expect(local.hostHeader == "127.0.0.1:8123")
        #expect(throws: WebSocketLink.Failure.self) { try WebSocketLink.Endpoint(url: "wss://") }
    }
}
