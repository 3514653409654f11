import HubProtocol
import TickhubCore

/// The broker link's status as the leading ingest relays it on `status.ibkr`: the fields of `/api/ibkr/status`
/// under the same names, and what that answer rounds or leaves out (the exact backoff, unknown messages), so that an
/// edge holds the very value the ingest does and serves the same answer from it.
public struct BrokerStatusMessage: Equatable, Sendable {
    public var status: BrokerConnectionStatus

    public init(_ status: BrokerConnectionStatus) { self.status = status }

    public var json: [UInt8] {
        var w = JSONWriter()
        BrokerStatusJSON.write(status, exact: true, into: &w)
        return w.bytes
    }

    public init(json bytes: [UInt8]) throws(RelayMessageError) {
        let f = try RelayFields(bytes, message: "broker status")
        let state: BrokerConnectionState
        switch try f.string("state") {
        case "disconnected": state = .disconnected
        case "connecting": state = .connecting
        case "ready": state = .ready
        case "degraded":
            var reasons = Set<DegradedReason>()
            for name in try f.strings("degraded") {
                guard let reason = DegradedReason(rawValue: name) else { throw f.refuse("degraded", "reasons the hub knows, not \(name)") }
                reasons.insert(reason)
            }
            state = .degraded(reasons)
        case "reconnecting": state = .reconnecting(attempt: Int(try f.integer("attempt")), delaySeconds: try f.number("retryInSeconds"))
        case let other: throw f.refuse("state", "a state the hub knows, not \(other)")
        }
        var status = BrokerConnectionStatus(
            state: state, host: try f.string("host"), port: Int(try f.integer("port")), clientId: Int(try f.integer("clientId")),
            serverVersion: try f.optionalInteger("serverVersion").map { Int($0) }, connectedSince: try f.optionalInteger("connectedSince"),
            lastError: try f.optionalString("lastError"), accounts: try f.strings("accounts"), linesInUse: Int(try f.integer("linesInUse")),
            lineBudget: Int(try f.integer("lineBudget")), messagesInPerSecond: try f.number("messagesInPerSecond"),
            messagesOutPerSecond: try f.number("messagesOutPerSecond"), unknownMessages: Int(try f.integer("unknownMessages")),
            connections: Int(try f.integer("connections")), transport: try f.string("transport"))
        if let g = try f.object("gateway", message: "gateway") {
            status.gateway = GatewaySessionStatus(
                serverName: try g.optionalString("serverName"), serverVersion: try g.optionalString("serverVersion"),
                requestsLast10s: Int(try g.integer("requestsLast10s")), tooManyRequests: Int(try g.integer("tooManyRequests")),
                penaltyUntil: try g.optionalInteger("penaltyUntil"))
        }
        self.status = status
    }
}
