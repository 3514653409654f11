import HubProtocol
import TickhubCore

/// The wire form of bars on `/stream` (docs/protocol.md): prices with the instrument's decimals
/// (`PricePrecision`), times in ms since the epoch.
package enum BarEncoding {
    /// `{"type":"bars","symbol","interval","source","bars":[…],"lastComplete"}`: a whole series. Without `type`, the
    /// body `GET /api/market-data/bars/{symbol}` answers with.
    package static func series(_ key: BarKey, bars: some Sequence<Bar>, source: QuoteSource?, lastComplete: Bool,
                               type: String? = "bars") -> [UInt8] {
        let decimals = decimals(key.symbol)
        var w = JSONWriter(capacity: 128)
        w.beginObject()
        if let type { w.field("type", type) }
        w.field("symbol", key.symbol)
        w.field("interval", key.interval.rawValue)
        w.field("source", source?.rawValue)
        w.key("bars")
        w.beginArray()
        for bar in bars {
            w.beginObject()
            write(bar, decimals: decimals, into: &w)
            w.endObject()
        }
        w.endArray()
        w.field("lastComplete", lastComplete)
        w.endObject()
        return w.bytes
    }

    /// `{"type":"bar","symbol","interval","time","open","high","low","close","volume","source"}`: one bar's update.
    package static func update(_ key: BarKey, _ bar: Bar, source: QuoteSource) -> [UInt8] {
        var w = JSONWriter(capacity: 200)
        w.beginObject()
        w.field("type", "bar")
        w.field("symbol", key.symbol)
        w.field("interval", key.interval.rawValue)
        write(bar, decimals: decimals(key.symbol), into: &w)
        w.field("source", source.rawValue)
        w.endObject()
        return w.bytes
    }

    private static func write(_ bar: Bar, decimals: Int, into w: inout JSONWriter) {
        w.field("time", bar.time)
        w.field("open", bar.open, decimals: decimals)
        w.field("high", bar.high, decimals: decimals)
        w.field("low", bar.low, decimals: decimals)
        w.field("close", bar.close, decimals: decimals)
        // Crypto trades in fractions: a sum of them carries float noise past the eighth decimal.
        w.field("volume", bar.volume, decimals: 8)
    }

    private static func decimals(_ symbol: String) -> Int {
        PricePrecision.decimals(QuoteEncoding.instrument(of: symbol).securityType)
    }
}
