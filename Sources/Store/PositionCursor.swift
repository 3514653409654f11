import Foundation

/// Where a page of open positions ends: the sort key of its last row (broker, account, symbol, origin, id), so
/// the next page starts right after it however rows are added or closed in between. Clients see it as an opaque
/// token.
public struct PositionCursor: Equatable, Sendable {
    public var broker: String
    public var accountId: String
    public var symbol: String
    public var origin: String
    public var id: Int64

    public init(after record: PositionRecord) {
        broker = record.broker
        accountId = record.accountId
        symbol = record.symbol
        origin = record.origin.rawValue
        id = record.id ?? 0
    }

    /// The token as clients send it back; nil for anything this hub did not hand out.
    public init?(token: String) {
        var base64 = token.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        guard token.utf8.count <= 1024, let data = Data(base64Encoded: base64),
              let fields = try? JSONSerialization.jsonObject(with: data) as? [Any], fields.count == 5,
              let broker = fields[0] as? String, let accountId = fields[1] as? String, let symbol = fields[2] as? String,
              let origin = fields[3] as? String, let id = (fields[4] as? NSNumber)?.int64Value
        else { return nil }
        (self.broker, self.accountId, self.symbol, self.origin, self.id) = (broker, accountId, symbol, origin, id)
    }

    /// Base64url of a JSON array: safe in a query string as it is.
    public var token: String {
        let data = (try? JSONSerialization.data(withJSONObject: [broker, accountId, symbol, origin, NSNumber(value: id)])) ?? Data()
        return data.base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }
}
