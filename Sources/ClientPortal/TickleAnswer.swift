import Foundation
import TickhubCore

/// `/tickle`'s answer: the session token a WebSocket without the gateway's cookie sends, and the brokerage
/// session's state.
public struct TickleAnswer: Equatable, Sendable {
    public var session: String
    /// Milliseconds until the single sign-on session expires, when given.
    public var ssoExpires: Int64?
    /// The gateway's own spelling, `collission`: another login took the session over.
    public var collision: Bool
    public var userId: String?
    /// Nil when the gateway has no brokerage session to describe (before `/iserver/auth/ssodh/init`).
    public var authStatus: AuthStatus?

    public init(session: String, ssoExpires: Int64? = nil, collision: Bool = false, userId: String? = nil, authStatus: AuthStatus? = nil) {
        self.session = session
        self.ssoExpires = ssoExpires
        self.collision = collision
        self.userId = userId
        self.authStatus = authStatus
    }

    public static func decode(_ data: Data) throws(ClientPortalDecodingError) -> TickleAnswer {
        let body = try Lenient.parse(data, what: "tickle")
        guard body.isObject else { throw ClientPortalDecodingError("tickle: expected an object, got \(body.keyList)") }
        guard let session = body["session"]?.string, !session.isEmpty else {
            throw ClientPortalDecodingError("tickle: no session token (keys \(body.keyList))")
        }
        var authStatus: AuthStatus?
        if let status = body["iserver"]?["authStatus"] { authStatus = try AuthStatus.decode(status) }
        return TickleAnswer(
            session: session,
            ssoExpires: Lenient.milliseconds(body["ssoExpires"]),
            collision: Lenient.bool(body["collission"] ?? body["collision"]) ?? false,
            userId: Lenient.text(body["userId"]),
            authStatus: authStatus)
    }

    /// The body for the simulator.
    public var json: String {
        var members = ["\"session\":\(JSONText.quoted(session))"]
        if let ssoExpires { members.append("\"ssoExpires\":\(ssoExpires)") }
        members.append("\"collission\":\(JSONText.bool(collision))")
        if let userId { members.append("\"userId\":" + (Int64(userId).map { String($0) } == userId ? userId : JSONText.quoted(userId))) }
        if let authStatus { members.append("\"iserver\":{\"authStatus\":\(authStatus.json)}") }
        return "{" + members.joined(separator: ",") + "}"
    }
}
