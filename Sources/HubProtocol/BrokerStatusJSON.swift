import TickhubCore

/// The broker link's status as JSON: the object of `/api/ibkr/status` and of the stream's `status` messages, and,
/// `exact`, the same object with what the API rounds or leaves out (the backoff to the nanosecond, unknown
/// messages) for a hub that passes it on to another.
public enum BrokerStatusJSON {
    public static func write(_ s: BrokerConnectionStatus, exact: Bool = false, into w: inout JSONWriter) {
        w.beginObject()
        w.field("state", s.state.name)
        w.field("transport", s.transport)
        if case let .degraded(reasons) = s.state {
            w.key("degraded")
            w.beginArray()
            for reason in reasons.map(\.rawValue).sorted() { w.value(reason) }
            w.endArray()
        }
        if case let .reconnecting(attempt, delay) = s.state {
            w.field("attempt", attempt)
            w.field("retryInSeconds", exact ? delay : (delay * 10).rounded() / 10)
        }
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
        if exact { w.field("unknownMessages", s.unknownMessages) }
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
    }
}
