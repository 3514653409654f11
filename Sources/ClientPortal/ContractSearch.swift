import Foundation
import TickhubCore

/// One result of `/iserver/secdef/search?symbol=…`: a company (or index, future root…) with the contract id of its
/// primary listing and the kinds of contracts IBKR lists under it.
public struct ContractSearchResult: Equatable, Sendable {
    public var conid: Int
    public var symbol: String
    /// "APPLE INC - NASDAQ": the name and the primary exchange.
    public var companyHeader: String
    public var description: String
    /// The security types of its sections ("STK", "OPT", "WAR"…), in the gateway's order.
    public var secTypes: [String]

    public init(conid: Int, symbol: String, companyHeader: String = "", description: String = "", secTypes: [String] = []) {
        self.conid = conid
        self.symbol = symbol
        self.companyHeader = companyHeader
        self.description = description
        self.secTypes = secTypes
    }

    /// Reads the answer: an array of results. A result without a readable conid is left out (the gateway lists
    /// some headings without one); a body that is not an array is an error, and so is IBKR's `{"error":…}`.
    public static func decodeList(_ data: Data) throws(ClientPortalDecodingError) -> [ContractSearchResult] {
        let body = try Lenient.parse(data, what: "secdef search")
        if let error = body["error"]?.string { throw ClientPortalDecodingError("secdef search: \(error)") }
        guard let items = body.array else {
            throw ClientPortalDecodingError("secdef search: expected an array, got \(body.keyList)")
        }
        return items.compactMap { item in
            guard let conid = Lenient.conid(item["conid"]), let symbol = item["symbol"]?.string else { return nil }
            let sections = item["sections"]?.array ?? []
            return ContractSearchResult(
                conid: conid, symbol: symbol, companyHeader: item["companyHeader"]?.string ?? "",
                description: item["description"]?.string ?? "",
                secTypes: sections.compactMap { $0["secType"]?.string })
        }
    }

    /// The conid to stream `symbol`'s stock by: the first result whose symbol is the one asked (the search also
    /// returns near matches) and which lists stock.
    public static func stockConid(for symbol: String, in results: [ContractSearchResult]) -> Int? {
        results.first { $0.symbol.caseInsensitiveCompare(symbol) == .orderedSame && $0.secTypes.contains("STK") }?.conid
    }

    /// The answer for the simulator: `[{"conid":"265598","companyHeader":…,"symbol":…,"description":…,"sections":[…]}]`.
    public static func json(_ results: [ContractSearchResult]) -> String {
        "[" + results.map { result in
            let sections = result.secTypes.map { "{\"secType\":\(JSONText.quoted($0))}" }.joined(separator: ",")
            return "{\"conid\":\"\(result.conid)\",\"companyHeader\":\(JSONText.quoted(result.companyHeader)),"
                + "\"companyName\":\(JSONText.quoted(result.companyHeader.components(separatedBy: " - ").first ?? "")),"
                + "\"symbol\":\(JSONText.quoted(result.symbol)),\"description\":\(JSONText.quoted(result.description)),"
                + "\"sections\":[\(sections)]}"
        }.joined(separator: ",") + "]"
    }
}
