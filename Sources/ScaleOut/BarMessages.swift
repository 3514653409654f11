import HubProtocol
import TickhubCore

/// Bar series and alerts as the leading ingest relays them: the very `bars`, `bar` and `alert` messages its hub
/// encoded for its own clients (docs/protocol.md), read back here by an edge into the values its hub publishes.

/// `{"type":"bars","symbol","interval","source","bars":[{time,open,high,low,close,volume}…],"lastComplete"}`.
public struct BarSeriesMessage: Equatable, Sendable {
    public var key: BarKey
    public var bars: [Bar]
    public var source: QuoteSource?
    public var lastComplete: Bool

    public init(json bytes: [UInt8]) throws(RelayMessageError) {
        let f = try RelayFields(bytes, message: "bar series")
        key = try BarFields.key(f)
        source = try BarFields.source(f, required: false)
        lastComplete = try f.flag("lastComplete")
        var bars: [Bar] = []
        for element in try f.array("bars") {
            bars.append(try BarFields.bar(try RelayFields(element, message: "bar series bar")))
        }
        self.bars = bars
    }
}

/// `{"type":"bar","symbol","interval","time","open","high","low","close","volume","source"}`.
public struct BarUpdateMessage: Equatable, Sendable {
    public var key: BarKey
    public var bar: Bar
    public var source: QuoteSource

    public init(json bytes: [UInt8]) throws(RelayMessageError) {
        let f = try RelayFields(bytes, message: "bar update")
        key = try BarFields.key(f)
        bar = try BarFields.bar(f)
        guard let source = try BarFields.source(f, required: true) else { throw f.refuse("source", "a provider") }
        self.source = source
    }
}

/// Series the leader no longer follows (no edge's lease and no client of its own wants them): their updates stop.
public struct BarsReleasedMessage: Equatable, Sendable {
    public var keys: [BarKey]

    public init(_ keys: [BarKey]) { self.keys = keys }

    public var json: [UInt8] {
        var w = JSONWriter()
        w.beginObject()
        w.key("keys")
        BarFields.write(keys, into: &w)
        w.endObject()
        return w.bytes
    }

    public init(json bytes: [UInt8]) throws(RelayMessageError) {
        keys = try BarFields.keys(try RelayFields(bytes, message: "bars released"), "keys")
    }
}

/// `{"type":"alert","id","symbol","condition","level","price","time"}`.
public struct AlertMessage: Equatable, Sendable {
    public var fired: AlertFired

    public init(json bytes: [UInt8]) throws(RelayMessageError) {
        let f = try RelayFields(bytes, message: "alert")
        let name = try f.string("condition")
        guard let condition = AlertCondition(rawValue: name) else { throw f.refuse("condition", "one of \(AlertCondition.allCases.map(\.rawValue))") }
        fired = AlertFired(id: try f.string("id"), symbol: try f.string("symbol"), condition: condition,
                           level: try f.number("level"), price: try f.number("price"), time: try f.integer("time"))
    }
}

/// The fields bar messages share.
enum BarFields {
    static func key(_ f: RelayFields) throws(RelayMessageError) -> BarKey {
        let name = try f.string("interval")
        guard let interval = BarInterval(rawValue: name) else { throw f.refuse("interval", "one of \(BarInterval.allCases.map(\.rawValue))") }
        return BarKey(symbol: try f.string("symbol"), interval: interval)
    }

    static func source(_ f: RelayFields, required: Bool) throws(RelayMessageError) -> QuoteSource? {
        guard let name = try f.optionalString("source") else {
            if required { throw f.refuse("source", "a provider") }
            return nil
        }
        guard let source = QuoteSource(rawValue: name) else { throw f.refuse("source", "a provider the hub knows, not \(name)") }
        return source
    }

    static func bar(_ f: RelayFields) throws(RelayMessageError) -> Bar {
        Bar(time: try f.integer("time"), open: try f.number("open"), high: try f.number("high"), low: try f.number("low"),
            close: try f.number("close"), volume: try f.optionalNumber("volume"))
    }

    /// `[{"symbol","interval"}…]`: the series of a release, and of an edge's interest.
    static func keys(_ f: RelayFields, _ name: String) throws(RelayMessageError) -> [BarKey] {
        var keys: [BarKey] = []
        for element in try f.array(name) { keys.append(try key(try RelayFields(element, message: "\(f.message) \(name)"))) }
        return keys
    }

    static func write(_ keys: [BarKey], into w: inout JSONWriter) {
        w.beginArray()
        for key in keys {
            w.beginObject()
            w.field("symbol", key.symbol)
            w.field("interval", key.interval.rawValue)
            w.endObject()
        }
        w.endArray()
    }
}
