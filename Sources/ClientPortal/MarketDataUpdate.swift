import Foundation
import TickhubCore

/// One market-data message of the gateway for one contract, read field by field: a snapshot row
/// (`/iserver/marketdata/snapshot`) or a stream message (`{"topic":"smd+265598","conid":…,"_updated":…,"31":"382.89"}`).
///
/// A stream message carries only the fields that changed, so a field missing here says nothing, while a field
/// present without a readable number ("", "N/A", garbled) says the value is gone: `values` keeps that apart as
/// `.some(nil)`. The gateway's first answer for a contract only primes its stream (`{conid, conidEx}` and nothing
/// else); `isPriming` says so, and such an update changes no quote.
public struct MarketDataUpdate: Equatable, Sendable {
    public var conid: Int
    /// Milliseconds since the epoch of the gateway's update (`_updated`), when it says.
    public var updated: Int64?
    /// Each value field present, read; nil for one present without a number.
    public var values: [MarketDataField: FormattedValue?]
    /// Field 6509, when present and readable.
    public var availability: MarketDataAvailability?

    public init(conid: Int, updated: Int64? = nil, values: [MarketDataField: FormattedValue?] = [:],
                availability: MarketDataAvailability? = nil) {
        self.conid = conid
        self.updated = updated
        self.values = values
        self.availability = availability
    }

    /// The first reply for a contract: the gateway has started its stream and has no values to give yet.
    public var isPriming: Bool { values.isEmpty && availability == nil }

    /// Some value was marked "H": the instrument's trading is halted.
    public var isHalted: Bool { values.values.contains { $0?.isHalted == true } }

    /// The fields whose values are figures, not text: everything but the symbol, the delivery marker and availability.
    static let valueFields: [MarketDataField] = MarketDataField.allCases.filter {
        $0 != .symbol && $0 != .deliveryMarker && $0 != .availability
    }

    /// Reads one row or message. The contract comes from `conid`, else from the topic (`smd+265598`) or `conidEx`
    /// (`265598@SMART`); without one the message is refused.
    public static func decode(_ message: JSONValue) throws(ClientPortalDecodingError) -> MarketDataUpdate {
        guard let members = message.object else {
            throw ClientPortalDecodingError("market data: expected an object, got \(message.keyList)")
        }
        guard let conid = Lenient.conid(members["conid"])
            ?? members["topic"]?.string.flatMap(StreamTopic.conid(inMarketDataTopic:))
            ?? members["conidEx"].flatMap(Self.conid(inConidEx:))
        else {
            throw ClientPortalDecodingError("market data: no readable conid (keys \(message.keyList))")
        }
        var update = MarketDataUpdate(conid: conid, updated: Lenient.milliseconds(members["_updated"]))
        for field in valueFields {
            guard let raw = members[field.code] else { continue }
            update.values[field] = Self.read(raw, as: field)
        }
        if let code = members[MarketDataField.availability.code]?.string {
            update.availability = MarketDataAvailability(code: code)
        }
        return update
    }

    /// A snapshot's body: an array of rows. A row without a readable contract is left out and named in `refused`,
    /// so one bad row costs only itself.
    public static func decodeSnapshot(_ data: Data) throws(ClientPortalDecodingError) -> (updates: [MarketDataUpdate], refused: [String]) {
        let body = try Lenient.parse(data, what: "snapshot")
        guard let rows = body.array else {
            throw ClientPortalDecodingError("snapshot: expected an array of rows, got \(body.keyList)")
        }
        var updates: [MarketDataUpdate] = []
        var refused: [String] = []
        for row in rows {
            do { updates.append(try decode(row)) } catch { refused.append(String(describing: error)) }
        }
        return (updates, refused)
    }

    static func read(_ raw: JSONValue, as field: MarketDataField) -> FormattedValue? {
        switch raw {
        case let .string(text):
            return FormattedNumber.parse(text, percent: field == .changePercent || field == .impliedVolatility)
        case let .number(number):
            // IBKR's own example sends change % as a bare number (`"83": 0.04`).
            return number.isFinite ? FormattedValue(value: number) : nil
        default:
            return nil
        }
    }

    /// The digits before "@" in a conidEx ("265598@SMART", or "265598" alone).
    static func conid(inConidEx value: JSONValue) -> Int? {
        guard let text = Lenient.text(value) else { return nil }
        return Lenient.conid(.string(String(text.prefix { $0 != "@" })))
    }
}
