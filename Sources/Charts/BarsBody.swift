import HubProtocol
import TickhubCore

/// A series as the API writes it: `{"symbol","interval","source","bars":[{"time","open","high","low","close",
/// "volume"}],"lastComplete"}`, prices at the instrument's precision, times in ms.
enum BarsBody {
    static func series(_ key: BarKey, _ bars: [Bar], source: QuoteSource?, lastComplete: Bool, type: String?, decimals: Int) -> [UInt8] {
        var w = JSONWriter(capacity: 64 + bars.count * 96)
        w.beginObject()
        if let type { w.field("type", type) }
        w.field("symbol", key.symbol)
        w.field("interval", key.interval.rawValue)
        w.field("source", source?.rawValue)
        w.key("bars")
        w.beginArray()
        for bar in bars {
            w.beginObject()
            w.field("time", bar.time)
            w.field("open", bar.open, decimals: decimals)
            w.field("high", bar.high, decimals: decimals)
            w.field("low", bar.low, decimals: decimals)
            w.field("close", bar.close, decimals: decimals)
            w.field("volume", bar.volume)
            w.endObject()
        }
        w.endArray()
        w.field("lastComplete", lastComplete)
        w.endObject()
        return w.bytes
    }
}
