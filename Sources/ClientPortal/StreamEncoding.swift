import Foundation
import TickhubCore

/// The gateway's side of the stream and the snapshot, written as the gateway writes them, so that the simulator and
/// the transport share one layout (the transport reads them back through `StreamMessage` and `MarketDataUpdate`).
public enum StreamEncoding {
    /// `{"topic":"smd+<conid>","conid":<conid>,"_updated":<ms>,"31":"382.89",…}`: only the fields given (the changed
    /// ones), in field order, their values as the gateway's strings (see `FieldText`).
    public static func marketData(conid: Int, updated: Int64, fields: [MarketDataField: String]) -> String {
        "{\"topic\":\"smd+\(conid)\",\"conid\":\(conid),\"_updated\":\(updated)" + members(fields) + "}"
    }

    /// One row of a snapshot's array. Without fields it is the priming reply (`{"conidEx":"265598","conid":265598}`).
    public static func snapshotRow(conid: Int, updated: Int64?, fields: [MarketDataField: String]) -> String {
        var row = "{\"conidEx\":\"\(conid)\",\"conid\":\(conid)"
        if !fields.isEmpty, let updated { row += ",\"_updated\":\(updated)" }
        return row + members(fields) + "}"
    }

    public static func heartbeat(_ milliseconds: Int64) -> String { "{\"topic\":\"system\",\"hb\":\(milliseconds)}" }

    public static func connected(user: String) -> String { "{\"topic\":\"system\",\"success\":\(JSONText.quoted(user))}" }

    public static func authStatus(_ status: AuthStatus) -> String { "{\"topic\":\"sts\",\"args\":\(status.json)}" }

    public static let waitingForSession = "{\"message\":\"waiting for session\"}"

    private static func members(_ fields: [MarketDataField: String]) -> String {
        fields.sorted { $0.key < $1.key }.map { ",\"\($0.key.code)\":\(JSONText.quoted($0.value))" }.joined()
    }
}

/// Field values as the gateway writes them: prices plain, sizes grouped, volume formatted, the prefixes.
public enum FieldText {
    /// A price with `decimals` places ("382.89").
    public static func price(_ value: Double, decimals: Int = 2) -> String {
        guard value.isFinite else { return "" }
        return FormattedNumber.formatGrouped(value, decimals: decimals).replacingOccurrences(of: ",", with: "")
    }

    /// The last price before the session's first trade: the prior close, marked "C".
    public static func priorClose(_ value: Double, decimals: Int = 2) -> String { "C" + price(value, decimals: decimals) }

    /// The last price of a halted instrument, marked "H".
    public static func halted(_ value: Double, decimals: Int = 2) -> String { "H" + price(value, decimals: decimals) }

    /// A size with thousands separators ("1,300").
    public static func size(_ value: Double) -> String { FormattedNumber.formatGrouped(value) }

    /// Field 87's rounded volume ("1.2K").
    public static func volume(_ value: Double) -> String { FormattedNumber.formatVolume(value) }

    /// Field 7762's exact volume (digits only).
    public static func volumeLong(_ value: Double) -> String { price(value, decimals: 0) }
}
