import TickhubCore

/// A synced broker's status as JSON: `/api/health`'s `brokers` entries, `/api/brokers`' `sync`, and the message an
/// ingest relays to its edges, all one object.
public enum BrokerSyncJSON {
    public static func write(_ s: BrokerSyncStatus, into w: inout JSONWriter) {
        w.beginObject()
        w.field("name", s.broker)
        w.field("state", s.state.rawValue)
        w.field("detail", s.detail)
        w.key("accounts")
        w.beginArray()
        for account in s.accounts { w.value(account) }
        w.endArray()
        w.field("lastSyncAt", s.lastSyncAt)
        w.endObject()
    }
}
