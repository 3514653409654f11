import GRDB
import TickhubCore

/// A chart bar as a row of table `bar`: one per (symbol, interval, bar start), with the provider that gave it.
public struct BarRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "bar"

    public var symbol: String
    /// A `BarInterval` raw value (`1m` … `1d`).
    public var interval: String
    /// The bar's start, ms since the epoch.
    public var time: Int64
    public var open: Double
    public var high: Double
    public var low: Double
    public var close: Double
    public var volume: Double?
    /// A `QuoteSource` raw value, kept as text so a source this build does not know does not break loading.
    public var source: String

    public init(_ bar: Bar, key: BarKey, source: QuoteSource) {
        symbol = key.symbol
        interval = key.interval.rawValue
        time = bar.time
        open = bar.open
        high = bar.high
        low = bar.low
        close = bar.close
        volume = bar.volume
        self.source = source.rawValue
    }

    /// The bar and its source as a row holds them, or nil for a row that cannot be read back whole (a value of
    /// the wrong type, an unknown source, prices the charts could not draw): such a row is skipped, never trusted.
    /// Read value by value, because decoding a row whose column holds text where a number belongs would trap.
    static func bar(in row: Row) -> (bar: Bar, source: QuoteSource)? {
        func number(_ column: String) -> Double? { Double.fromDatabaseValue(row[column] as DatabaseValue) }
        guard let time = Int64.fromDatabaseValue(row["time"] as DatabaseValue),
              let open = number("open"), let high = number("high"), let low = number("low"), let close = number("close"),
              let sourceText = String.fromDatabaseValue(row["source"] as DatabaseValue),
              let source = QuoteSource(rawValue: sourceText)
        else { return nil }
        let volumeValue = row["volume"] as DatabaseValue
        let volume = number("volume")
        guard volumeValue.isNull || volume?.isFinite == true else { return nil }
        let bar = Bar(time: time, open: open, high: high, low: low, close: close, volume: volume)
        return bar.isConsistent ? (bar, source) : nil
    }
}
