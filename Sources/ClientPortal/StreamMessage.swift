import Foundation
import TickhubCore

/// A message of the gateway's WebSocket, classified by its topic.
public enum StreamMessage: Equatable, Sendable {
    /// `smd+<conid>`: the fields of one contract that changed (or its priming reply).
    case marketData(MarketDataUpdate)
    /// `system` with `hb`: the gateway's heartbeat, with its clock (ms) when given.
    case heartbeat(Int64?)
    /// `system` with `success`: the socket is logged in as this user.
    case connected(user: String)
    /// `sts`: the brokerage session's state changed (logged out, competing, back).
    case authStatus(AuthStatus)
    /// `{"message":"waiting for session"}`: the socket has no cookie and waits for `{"session":…}`.
    case waitingForSession
    /// `ntf`: a notification for the user; shown, never acted on.
    case notification(String)
    /// `blt`: a bulletin (exchange or IBKR news); shown, never acted on.
    case bulletin(String)
    /// A topic the hub does not subscribe to (orders, P&L, echoes) or a `system` message of another kind.
    case other(topic: String)
    /// Not a message the hub can read; the reason says why.
    case unreadable(String)

    /// Classifies one text frame. Never throws: a frame the hub cannot read is `.unreadable`, and the stream goes on.
    public static func decode(_ data: Data) -> StreamMessage {
        guard let body = try? JSONValue.decode(data) else { return .unreadable("not JSON (\(data.count) bytes)") }
        guard body.isObject else { return .unreadable("expected an object, got \(body.keyList)") }
        guard let topic = body["topic"]?.string else {
            if body["message"]?.string?.lowercased() == "waiting for session" { return .waitingForSession }
            return .unreadable("no topic (keys \(body.keyList))")
        }
        if topic.hasPrefix("smd+") {
            do { return .marketData(try MarketDataUpdate.decode(body)) } catch { return .unreadable(String(describing: error)) }
        }
        switch topic {
        case "system":
            if let beat = body["hb"] { return .heartbeat(Lenient.milliseconds(beat)) }
            if let user = body["success"]?.string { return .connected(user: user) }
            return .other(topic: topic)
        case "sts":
            guard let args = body["args"] else { return .unreadable("sts without args") }
            do { return .authStatus(try AuthStatus.decode(args)) } catch { return .unreadable(String(describing: error)) }
        case "ntf":
            return .notification(text(of: body["args"]))
        case "blt":
            return .bulletin(text(of: body["args"]))
        default:
            return .other(topic: String(topic.prefix(64)))
        }
    }

    /// A notification's or bulletin's words: its `text` or `message`, else nothing.
    private static func text(of args: JSONValue?) -> String {
        let text = args?["text"]?.string ?? args?["message"]?.string ?? args?.string ?? ""
        return String(text.prefix(1_000))
    }
}
