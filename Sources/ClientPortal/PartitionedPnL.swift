import Foundation
import TickhubCore

/// One row of `/iserver/account/pnl/partitioned`: `{"upnl":{"U1234567.Core":{"dpl":…,"nl":…,"upl":…,"el":…,"mv":…}}}`,
/// keyed by account and model ("Core" for an account's own holdings).
public struct PartitionedPnL: Equatable, Sendable {
    public var account: String
    /// The part after the account's dot ("Core").
    public var model: String
    /// Daily P&L.
    public var dailyPnl: Double?
    /// Net liquidation.
    public var netLiquidation: Double?
    public var unrealizedPnl: Double?
    /// Excess liquidity.
    public var excessLiquidity: Double?
    /// Market value of the positions.
    public var marketValue: Double?

    public init(account: String, model: String = "Core", dailyPnl: Double? = nil, netLiquidation: Double? = nil,
                unrealizedPnl: Double? = nil, excessLiquidity: Double? = nil, marketValue: Double? = nil) {
        self.account = account
        self.model = model
        self.dailyPnl = dailyPnl
        self.netLiquidation = netLiquidation
        self.unrealizedPnl = unrealizedPnl
        self.excessLiquidity = excessLiquidity
        self.marketValue = marketValue
    }

    /// The rows, ordered by key. A key without a dot, or a row that is not an object, is left out.
    public static func decode(_ data: Data) throws(ClientPortalDecodingError) -> [PartitionedPnL] {
        let body = try Lenient.parse(data, what: "partitioned pnl")
        guard let rows = body["upnl"]?.object else {
            throw ClientPortalDecodingError("partitioned pnl: no upnl object (keys \(body.keyList))")
        }
        return rows.sorted { $0.key < $1.key }.compactMap { key, row in
            guard row.isObject, let dot = key.lastIndex(of: "."), dot != key.startIndex else { return nil }
            return PartitionedPnL(
                account: String(key[..<dot]), model: String(key[key.index(after: dot)...]),
                dailyPnl: Lenient.number(row["dpl"]), netLiquidation: Lenient.number(row["nl"]),
                unrealizedPnl: Lenient.number(row["upl"]), excessLiquidity: Lenient.number(row["el"]),
                marketValue: Lenient.number(row["mv"]))
        }
    }

    public static func json(_ rows: [PartitionedPnL]) -> String {
        func number(_ value: Double?) -> String { value.map(JSONText.number) ?? "null" }
        return "{\"upnl\":{" + rows.map { row in
            JSONText.quoted("\(row.account).\(row.model)") + ":{\"rowType\":1,\"dpl\":\(number(row.dailyPnl)),"
                + "\"nl\":\(number(row.netLiquidation)),\"upl\":\(number(row.unrealizedPnl)),"
                + "\"el\":\(number(row.excessLiquidity)),\"mv\":\(number(row.marketValue))}"
        }.joined(separator: ",") + "}}"
    }
}
