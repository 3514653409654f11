import Foundation
import TickhubCore

/// The answer of `/iserver/marketdata/history`: `{"symbol":"AAPL","text":"APPLE INC","barLength":60,
/// "volumeFactor":100,"startTime":"20250513-13:30:00","data":[{"o":…,"c":…,"h":…,"l":…,"v":…,"t":<ms>},…],…}`.
///
/// IBKR stamps each bar with its start in milliseconds since the epoch (a daily bar with its session's opening
/// moment, 13:30 UTC for a US stock); `v` is the volume divided by `volumeFactor` (100 for US stocks: IBKR's
/// "reported volume = actual volume/100"), and 0 where there is none (midpoints, bid/ask).
public struct MarketDataHistory: Equatable, Sendable {
    public struct Row: Equatable, Sendable {
        /// The bar's start, ms since the epoch.
        public var t: Int64
        public var o: Double
        public var h: Double
        public var l: Double
        public var c: Double
        /// In units of the answer's `volumeFactor`; nil when the row has none.
        public var v: Double?

        public init(t: Int64, o: Double, h: Double, l: Double, c: Double, v: Double? = nil) {
            self.t = t
            self.o = o
            self.h = h
            self.l = l
            self.c = c
            self.v = v
        }
    }

    public var symbol: String?
    public var text: String?
    /// Seconds in a bar, as the gateway understood the request's `bar`.
    public var barLength: Int?
    /// What `v` is to be multiplied by; nil when the answer gives none (taken as 1).
    public var volumeFactor: Double?
    /// The period's start as `yyyyMMdd-HH:mm:ss` UTC.
    public var startTime: String?
    /// `mdAvailability`, kept as read ("S" streaming, "R" real time, "D" delayed…).
    public var availability: String?
    public var rows: [Row]
    /// Rows left out because a time or a price could not be read.
    public var refused: Int

    public init(symbol: String? = nil, text: String? = nil, barLength: Int? = nil, volumeFactor: Double? = nil,
                startTime: String? = nil, availability: String? = nil, rows: [Row], refused: Int = 0) {
        self.symbol = symbol
        self.text = text
        self.barLength = barLength
        self.volumeFactor = volumeFactor
        self.startTime = startTime
        self.availability = availability
        self.rows = rows
        self.refused = refused
    }

    /// Reads the answer. No `data` is no bars (IBKR leaves it out for a span without trading); IBKR's
    /// `{"error":…}` and a body that is not an object are errors.
    public static func decode(_ data: Data) throws(ClientPortalDecodingError) -> MarketDataHistory {
        let body = try Lenient.parse(data, what: "market data history")
        if let error = body["error"]?.string { throw ClientPortalDecodingError("market data history: \(error)") }
        guard body.isObject else {
            throw ClientPortalDecodingError("market data history: expected an object, got \(body.keyList)")
        }
        var rows: [Row] = []
        var refused = 0
        let items: [JSONValue]
        switch body["data"] {
        case nil, .null?: items = []
        case let value?:
            guard let array = value.array else {
                throw ClientPortalDecodingError("market data history: data is not an array")
            }
            items = array
        }
        for item in items {
            guard let t = Lenient.milliseconds(item["t"]), let o = Lenient.number(item["o"]), let h = Lenient.number(item["h"]),
                  let l = Lenient.number(item["l"]), let c = Lenient.number(item["c"])
            else {
                refused += 1
                continue
            }
            rows.append(Row(t: t, o: o, h: h, l: l, c: c, v: Lenient.number(item["v"])))
        }
        let factor = Lenient.number(body["volumeFactor"]).flatMap { $0 > 0 ? $0 : nil }
        return MarketDataHistory(
            symbol: body["symbol"]?.string, text: body["text"]?.string,
            barLength: Lenient.number(body["barLength"]).flatMap { $0 > 0 && $0 < 1e9 ? Int($0) : nil },
            volumeFactor: factor, startTime: body["startTime"]?.string, availability: body["mdAvailability"]?.string,
            rows: rows, refused: refused)
    }

    /// The rows as the hub's bars at `interval`, oldest first. Intraday bars are labelled by the start of their
    /// interval in UTC (`BarInterval.start`), as the TWS transport labels them, so that IBKR's 09:30 hourly bar and
    /// the candle the hub builds from trades for 09:00-10:00 are one candle. A daily bar is 00:00 UTC of its trading
    /// date: IBKR stamps it with the session's opening moment, and the date eight hours on is the trading date for
    /// every session the hub knows (a US stock's 13:30 or 14:30 UTC, FX's 22:00 UTC the evening before, Tokyo's
    /// 00:00 UTC). Volume is `v × volumeFactor`, nil when `hasVolume` is false (midpoint bars carry 0, which is not
    /// a volume). Rows that are not a candle are dropped; rows landing on one start are merged.
    public func bars(interval: BarInterval, hasVolume: Bool) -> [Bar] {
        let factor = volumeFactor ?? 1
        var out: [Bar] = []
        for row in rows.sorted(by: { $0.t < $1.t }) {
            let time = interval == .oneDay
                ? BarInterval.oneDay.start(of: row.t + Self.tradingDateShift) : interval.start(of: row.t)
            let volume = hasVolume ? row.v.flatMap { $0 >= 0 && ($0 * factor).isFinite ? $0 * factor : nil } : nil
            let bar = Bar(time: time, open: row.o, high: row.h, low: row.l, close: row.c, volume: volume)
            guard bar.isConsistent else { continue }
            if var last = out.last, last.time == bar.time {
                last.high = max(last.high, bar.high)
                last.low = min(last.low, bar.low)
                last.close = bar.close
                if let more = bar.volume { last.volume = (last.volume ?? 0) + more }
                out[out.count - 1] = last
            } else {
                out.append(bar)
            }
        }
        return out
    }

    /// Eight hours, in ms: from a daily bar's stamp (its session's opening moment) into its trading date.
    static let tradingDateShift: Int64 = 8 * 3_600_000

    /// The answer for the simulator, in IBKR's key order.
    public func json(timePeriod: String, outsideRth: Bool) -> String {
        var fields: [String] = []
        if let symbol { fields.append("\"symbol\":\(JSONText.quoted(symbol))") }
        if let text { fields.append("\"text\":\(JSONText.quoted(text))") }
        fields.append("\"priceFactor\":100")
        if let startTime { fields.append("\"startTime\":\(JSONText.quoted(startTime))") }
        fields.append("\"timePeriod\":\(JSONText.quoted(timePeriod))")
        if let barLength { fields.append("\"barLength\":\(barLength)") }
        fields.append("\"mdAvailability\":\(JSONText.quoted(availability ?? "S"))")
        fields.append("\"outsideRth\":\(JSONText.bool(outsideRth))")
        if let volumeFactor { fields.append("\"volumeFactor\":\(JSONText.number(volumeFactor))") }
        fields.append("\"direction\":-1")
        fields.append("\"messageVersion\":2")
        let data = rows.map { row in
            "{\"o\":\(JSONText.number(row.o)),\"c\":\(JSONText.number(row.c)),\"h\":\(JSONText.number(row.h)),"
                + "\"l\":\(JSONText.number(row.l)),\"v\":\(JSONText.number(row.v ?? 0)),\"t\":\(row.t)}"
        }
        fields.append("\"data\":[" + data.joined(separator: ",") + "]")
        // IBKR's own examples count one less than the bars they carry.
        fields.append("\"points\":\(max(0, rows.count - 1))")
        fields.append("\"mktDataDelay\":0")
        return "{" + fields.joined(separator: ",") + "}"
    }
}
