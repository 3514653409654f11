import Foundation
import NIOCore
import NIOHTTP1

/// One REST answer of a simulated gateway: a status and the text of its body (JSON unless it says otherwise).
struct GatewayReply {
    var status: HTTPResponseStatus
    var body: String
    var contentType = "application/json;charset=utf-8"
    /// Sent this long after the request, rather than at once (an answer that takes IBKR time to make).
    var delay: TimeAmount?
    /// Called on the loop once the answer is written.
    var whenSent: (() -> Void)?

    static func ok(_ body: String) -> GatewayReply { GatewayReply(status: .ok, body: body) }

    /// The Client Portal gateway's error body, `{"error":"…","statusCode":N}`.
    static func error(_ status: HTTPResponseStatus, _ message: String) -> GatewayReply {
        GatewayReply(status: status, body: json(["error": message, "statusCode": Int(status.code)]))
    }

    /// The answers the ClientPortal module has no encoder for (they carry nothing the transport reads but their
    /// flags), written with sorted keys so that they read the same every time.
    static func json(_ object: [String: Any]) -> String {
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }

    /// A request body or WebSocket message as a JSON object; nil when it is none.
    static func object(from text: some StringProtocol) -> [String: Any]? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(String(text).utf8), options: [.fragmentsAllowed])
        else { return nil }
        return object as? [String: Any]
    }
}
