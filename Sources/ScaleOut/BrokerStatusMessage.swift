import HubProtocol
import TickhubCore

/// The broker link's status as the leading ingest relays it on `status.ibkr`: the fields of `/api/ibkr/status`
/// under the same names, and what that answer rounds or leaves out (the exact backoff, unknown messages), so that an
/// edge holds the very value the ingest does and serves the same answer from it.
public struct BrokerStatusMessage: Equatable, Sendable {
    public var status: BrokerConnectionStatus

    public init(_ status: BrokerConnectionStatus) { self.status = status }

    public var json: [UInt8] {
        let s = status
        var w = JSONWriter()
        w.beginObject()
        w.field("state", s.state.name)
        switch s.state {
        case let .degraded(reasons):
            w.key("degraded")
            w.beginArray()
            for reason in reasons.map(\.rawValue).sorted() { w.value(reason) }
            w.endArray()
        case let .reconnecting(attempt, delay):
            w.field("attempt", attempt)
            w.field("retryInSeconds", delay)
        default: break
        }
        w.field("transport", s.transport)
        w.field("host", s.host)
        w.field("port", s.port)
        w.field("clientId", s.clientId)
        w.field("serverVersion", s.serverVersion.map { Int64($0) })
        w.field("connectedSince", s.connectedSince)
        w.field("lastError", s.lastError)
        w.key("accounts")
        w.beginArray()
        for account in s.accounts { w.value(account) }
        w.endArray()
        w.field("linesInUse", s.linesInUse)
        w.field("lineBudget", s.lineBudget)
        w.field("messagesInPerSecond", s.messagesInPerSecond)
        w.field("messagesOutPerSecond", s.messagesOutPerSecond)
        w.field("unknownMessages", s.unknownMessages)
        w.field("connections", s.connections)
        if let gateway = s.gateway {
            w.key("gateway")
            w.beginObject()
            w.field("serverName", gateway.serverName)
            w.field("serverVersion", gateway.serverVersion)
            w.field("requestsLast10s", gateway.requestsLast10s)
            w.field("tooManyRequests", gateway.tooManyRequests)
            w.field("penaltyUntil", gateway.penaltyUntil)
            w.endObject()
        }
        w.endObject()
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
