import Foundation
import TickhubCore

/// One contract of `/iserver/secdef/info?conid=<underlying>&sectype=OPT&month=MAR25&strike=…&right=…`: the gateway
/// answers every option of that month at the strike and right asked (weeklies and monthlies alike), each with its
/// own conid and maturity date; the expiry an OCC symbol names picks one.
public struct OptionContract: Equatable, Sendable {
    public var conid: Int
    /// The underlying's symbol.
    public var symbol: String
    public var secType: String
    public var exchange: String
    /// "C" or "P".
    public var right: String
    public var strike: Double
    public var currency: String
    /// `YYYYMMDD`: the day the option expires.
    public var maturityDate: String
    public var multiplier: Double?
    public var tradingClass: String
    /// "AAPL", and "MAR 21 '25 250 Put": IBKR's own description.
    public var desc1: String
    public var desc2: String

    public init(
        conid: Int, symbol: String, secType: String = "OPT", exchange: String = "SMART", right: String, strike: Double,
        currency: String = "USD", maturityDate: String, multiplier: Double? = 100, tradingClass: String = "",
        desc1: String = "", desc2: String = ""
    ) {
        self.conid = conid
        self.symbol = symbol
        self.secType = secType
        self.exchange = exchange
        self.right = right
        self.strike = strike
        self.currency = currency
        self.maturityDate = maturityDate
        self.multiplier = multiplier
        self.tradingClass = tradingClass
        self.desc1 = desc1
        self.desc2 = desc2
    }

    /// Reads the answer: an array of contracts. A contract without a readable conid, strike, right or maturity date
    /// is left out (it could not be matched to a symbol); IBKR's `{"error":…}` and any other shape are errors.
    public static func decodeList(_ data: Data) throws(ClientPortalDecodingError) -> [OptionContract] {
        let body = try Lenient.parse(data, what: "secdef info")
        if let error = body["error"]?.string { throw ClientPortalDecodingError("secdef info: \(error)") }
        guard let items = body.array else {
            throw ClientPortalDecodingError("secdef info: expected an array, got \(body.keyList)")
        }
        return items.compactMap { item in
            guard let conid = Lenient.conid(item["conid"]), let strike = Lenient.number(item["strike"]), strike > 0,
                  let right = item["right"]?.string, right == "C" || right == "P",
                  let maturity = Lenient.text(item["maturityDate"]), maturity.count == 8, maturity.allSatisfy(\.isNumber)
            else { return nil }
            return OptionContract(
                conid: conid, symbol: item["symbol"]?.string ?? "", secType: item["secType"]?.string ?? "OPT",
                exchange: item["exchange"]?.string ?? "", right: right, strike: strike,
                currency: item["currency"]?.string ?? "", maturityDate: maturity,
                multiplier: Lenient.number(item["multiplier"]), tradingClass: item["tradingClass"]?.string ?? "",
                desc1: item["desc1"]?.string ?? "", desc2: item["desc2"]?.string ?? "")
        }
    }

    /// The contract `terms` name: same maturity date, right and strike (to a hundredth of a cent, as strikes are
    /// decimal and arrive as text or numbers).
    public static func matching(_ terms: OptionTerms, in contracts: [OptionContract]) -> OptionContract? {
        contracts.first { contract in
            contract.maturityDate == terms.expiry && contract.right == terms.right.rawValue
                && abs(contract.strike - terms.strike) < 0.0001
        }
    }

    /// IBKR's month code for an expiry: `20250321` → `MAR25`; nil for anything not `YYYYMMDD`.
    public static func month(ofExpiry expiry: String) -> String? {
        guard expiry.count == 8, expiry.allSatisfy(\.isNumber), let month = Int(expiry.dropFirst(4).prefix(2)),
              (1...12).contains(month)
        else { return nil }
        return monthNames[month - 1] + expiry.dropFirst(2).prefix(2)
    }

    /// IBKR's three-letter months, January first.
    public static let monthNames = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]

    /// The answer for the simulator, in the gateway's key order; figures as numbers (IBKR writes the multiplier as
    /// text, which the reader takes too, but a number keeps any multiplier exact through a round trip).
    public static func json(_ contracts: [OptionContract]) -> String {
        "[" + contracts.map { contract in
            "{\"conid\":\(contract.conid),\"symbol\":\(JSONText.quoted(contract.symbol)),\"secType\":\(JSONText.quoted(contract.secType)),"
                + "\"exchange\":\(JSONText.quoted(contract.exchange)),\"listingExchange\":null,\"right\":\(JSONText.quoted(contract.right)),"
                + "\"strike\":\(JSONText.number(contract.strike)),\"currency\":\(JSONText.quoted(contract.currency)),\"cusip\":null,\"coupon\":\"No Coupon\","
                + "\"desc1\":\(JSONText.quoted(contract.desc1)),\"desc2\":\(JSONText.quoted(contract.desc2)),"
                + "\"maturityDate\":\(JSONText.quoted(contract.maturityDate)),"
                + "\"multiplier\":\(contract.multiplier.map(JSONText.number) ?? "null"),"
                + "\"tradingClass\":\(JSONText.quoted(contract.tradingClass)),\"validExchanges\":\(JSONText.quoted(contract.exchange))}"
        }.joined(separator: ",") + "]"
    }
}
