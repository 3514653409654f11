import TickhubCore

/// An account balance as JSON, `{account, tag, value, currency}` with the value as the broker wrote it: the API's
/// balances and the ones a leading ingest relays.
public enum AccountBalanceJSON {
    public static func write(_ balances: [AccountBalance], into w: inout JSONWriter) {
        w.beginArray()
        for b in balances {
            w.beginObject()
            w.field("account", b.account)
            w.field("tag", b.tag)
            w.field("value", b.value)
            w.field("currency", b.currency)
            w.endObject()
        }
        w.endArray()
    }
}
