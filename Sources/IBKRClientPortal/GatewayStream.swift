import ClientPortal
import NIOCore
import NIOSSL
import WebSocketClient

/// The gateway's WebSocket (`wss://host:port/v1/api/ws`), a WebSocketLink: text messages in, handed to `onText` on
/// the link's loop; text messages out. Opened with the session's token both as the gateway's `api` cookie and, once
/// open, as `{"session":…}`, so either way the gateway authenticates sockets works. A closed socket is reported once
/// through `onClose`; the session decides whether to open another.
final class GatewayStream: Sendable {
    private let link: WebSocketLink

    private init(link: WebSocketLink) { self.link = link }

    static func open(
        host: String, port: Int, tls: TLSConfiguration, token: String, on loop: EventLoop, timeout: TimeAmount = .seconds(10),
        onText: @escaping @Sendable (String) -> Void, onClose: @escaping @Sendable () -> Void
    ) async throws -> GatewayStream {
        let name = host.contains(":") ? "[\(host)]" : host
        let link = try await WebSocketLink.open(
            url: "wss://\(name):\(port)/v1/api/ws", headers: ["User-Agent": "tickhub", "Cookie": "api=\(token)"],
            timeout: .nanoseconds(timeout.nanoseconds), tls: tls, group: loop, onText: onText, onClose: onClose)
        link.send(StreamCommand.session(token).text)
        return GatewayStream(link: link)
    }

    /// Sends one text message.
    func send(_ text: String) { link.send(text) }

    var isOpen: Bool { link.isOpen }

    /// Closes with 1000; `onClose` follows.
    func close() { link.close() }
}
