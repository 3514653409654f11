import Foundation
import TickhubCore

/// One result of `/iserver/secdef/search?symbol=…`: a company (or index, future root…) with the contract id of its
/// primary listing and the kinds of contracts IBKR lists under it.
public struct ContractSearchResult: Equatable, Sendable {
    /// One kind of contract listed under the result: its security type and, for derivatives, the months IBKR
    /// lists (`MAR25`), and the exchanges.
    public struct Section: Equatable, Sendable {
        public var secType: String
        /// `MMMYY` codes (`JAN25`), for options and warrants; empty otherwise.
        public var months: [String]
        public var exchanges: [String]

        public init(secType: String, months: [String] = [], exchanges: [String] = []) {
            self.secType = secType
            self.months = months
            self.exchanges = exchanges
        }
    }

    public var conid: Int
    public var symbol: String
    /// "APPLE INC - NASDAQ": the name and the primary exchange.
    public var companyHeader: String
    public var description: String
    public var sections: [Section]

    /// The security types of its sections ("STK", "OPT", "WAR"…), in the gateway's order.
    public var secTypes: [String] { sections.map(\.secType) }

    public init(conid: Int, symbol: String, companyHeader: String = "", description: String = "", sections: [Section] = []) {
        self.conid = conid
        self.symbol = symbol
        self.companyHeader = companyHeader
        self.description = description
        self.sections = sections
    }

    public init(conid: Int, symbol: String, companyHeader: String = "", description: String = "", secTypes: [String]) {
        self.init(conid: conid, symbol: symbol, companyHeader: companyHeader, description: description,
                  sections: secTypes.map { Section(secType: $0) })
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
            // Lists come as one string joined by ";", sometimes with a trailing ";".
            func list(_ value: JSONValue?) -> [String] {
                (value?.string ?? "").split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            }
            let sections = (item["sections"]?.array ?? []).compactMap { section -> Section? in
                guard let type = section["secType"]?.string else { return nil }
                return Section(secType: type, months: list(section["months"]), exchanges: list(section["exchange"]))
            }
            return ContractSearchResult(
                conid: conid, symbol: symbol, companyHeader: item["companyHeader"]?.string ?? "",
                description: item["description"]?.string ?? "", sections: sections)
        }
    }

    /// The conid to stream `symbol`'s stock by: the first result whose symbol is the one asked (the search also
    /// returns near matches) and which lists stock.
    public static func stockConid(for symbol: String, in results: [ContractSearchResult]) -> Int? {
        results.first { $0.symbol.caseInsensitiveCompare(symbol) == .orderedSame && $0.secTypes.contains("STK") }?.conid
    }

    /// The conid to stream a coin by: the result with the coin's symbol that lists CRYPTO, one traded on `exchange`
    /// first (IBKR lists a coin under PAXOS and ZEROHASH; Tickhub's coins are PAXOS's).
    public static func cryptoConid(for coin: String, exchange: String = "PAXOS", in results: [ContractSearchResult]) -> Int? {
        let coins = results.filter { result in
            result.symbol.caseInsensitiveCompare(coin) == .orderedSame && result.secTypes.contains("CRYPTO")
        }
        let onExchange = coins.first { result in
            result.sections.contains { $0.secType == "CRYPTO" && $0.exchanges.contains(exchange) }
                || result.description.caseInsensitiveCompare(exchange) == .orderedSame
        }
        return (onExchange ?? coins.first)?.conid
    }

    /// The months IBKR lists options in under this result (`MAR25`…), empty when it lists none.
    public var optionMonths: [String] {
        sections.filter { $0.secType == "OPT" }.flatMap(\.months)
    }

    /// The answer for the simulator: `[{"conid":"265598","companyHeader":…,"symbol":…,"description":…,"sections":[…]}]`.
    public static func json(_ results: [ContractSearchResult]) -> String {
        "[" + results.map { result in
            let sections = result.sections.map { section in
                var members = ["\"secType\":\(JSONText.quoted(section.secType))"]
                if !section.months.isEmpty { members.append("\"months\":\(JSONText.quoted(section.months.joined(separator: ";")))") }
                if !section.exchanges.isEmpty { members.append("\"exchange\":\(JSONText.quoted(section.exchanges.joined(separator: ";")))") }
                return "{" + members.joined(separator: ",") + "}"
            }.joined(separator: ",")
            return "{\"conid\":\"\(result.conid)\",\"companyHeader\":\(JSONText.quoted(result.companyHeader)),"
                + "\"companyName\":\(JSONText.quoted(result.companyHeader.components(separatedBy: " - ").first ?? "")),"
                + "\"symbol\":\(JSONText.quoted(result.symbol)),\"description\":\(JSONText.quoted(result.description)),"
                + "\"sections\":[\(sections)]}"
        }.joined(separator: ",") + "]"
    }
}
