import Foundation
import TickhubCore

/// The brokerage session's state, as `/iserver/auth/status` answers, the `/tickle` answer nests (`iserver.authStatus`)
/// and the stream's `sts` message carries (`args`).
///
/// A flag the gateway leaves out claims nothing: not authenticated, not connected, not competing.
public struct AuthStatus: Equatable, Sendable {
    /// Logged in with a brokerage session (market data and orders need it).
    public var authenticated: Bool
    /// Another session (TWS, the mobile app, a second gateway) holds this username's brokerage session.
    public var competing: Bool
    /// Connected to IBKR's backend.
    public var connected: Bool
    public var message: String
    /// Why a login failed, when it did (`fail`).
    public var fail: String
    public var serverName: String?
    public var serverVersion: String?

    public init(authenticated: Bool, competing: Bool = false, connected: Bool = true, message: String = "", fail: String = "",
                serverName: String? = nil, serverVersion: String? = nil) {
        self.authenticated = authenticated
        self.competing = competing
        self.connected = connected
        self.message = message
        self.fail = fail
        self.serverName = serverName
        self.serverVersion = serverVersion
    }

    /// Reads the status object itself.
    public static func decode(_ value: JSONValue) throws(ClientPortalDecodingError) -> AuthStatus {
        guard value.isObject else { throw ClientPortalDecodingError("auth status: expected an object, got \(value.keyList)") }
        guard value["authenticated"] != nil || value["connected"] != nil || value["competing"] != nil else {
            throw ClientPortalDecodingError("auth status: none of authenticated, connected, competing (keys \(value.keyList))")
        }
        return AuthStatus(
            authenticated: Lenient.bool(value["authenticated"]) ?? false,
            competing: Lenient.bool(value["competing"]) ?? false,
            connected: Lenient.bool(value["connected"]) ?? false,
            message: value["message"]?.string ?? "",
            fail: value["fail"]?.string ?? "",
            serverName: value["serverInfo"]?["serverName"]?.string ?? value["serverName"]?.string,
            serverVersion: value["serverInfo"]?["serverVersion"]?.string ?? value["serverVersion"]?.string)
    }

    /// Reads `/iserver/auth/status`'s (or `/iserver/auth/ssodh/init`'s) body.
    public static func decode(_ data: Data) throws(ClientPortalDecodingError) -> AuthStatus {
        try decode(try Lenient.parse(data, what: "auth status"))
    }

    /// The body `/iserver/auth/status` answers with, for the simulator.
    public var json: String {
        var members = [
            "\"authenticated\":\(JSONText.bool(authenticated))", "\"competing\":\(JSONText.bool(competing))",
            "\"connected\":\(JSONText.bool(connected))", "\"message\":\(JSONText.quoted(message))",
        ]
        if !fail.isEmpty { members.append("\"fail\":\(JSONText.quoted(fail))") }
        let info = [("serverName", serverName), ("serverVersion", serverVersion)].compactMap { key, value in
            value.map { "\"\(key)\":\(JSONText.quoted($0))" }
        }
        if !info.isEmpty { members.append("\"serverInfo\":{" + info.joined(separator: ",") + "}") }
        return "{" + members.joined(separator: ",") + "}"
    }
}
