import Foundation
import TickhubCore

/// One pair of `/iserver/currency/pairs?currency=EUR`: IBKR's documented way to a forex conid (its secdef search
/// takes only STK, IND and BOND as a security type). The answer is keyed by the currency asked, each pair naming
/// the other currency as `ccyPair`.
public struct CurrencyPair: Equatable, Sendable {
    /// "EUR.USD": IBKR's symbol, base first.
    public var symbol: String
    public var conid: Int
    /// The pair's other currency ("USD" under "EUR").
    public var ccyPair: String

    public init(symbol: String, conid: Int, ccyPair: String) {
        self.symbol = symbol
        self.conid = conid
        self.ccyPair = ccyPair
    }

    /// Currency asked → its pairs. A pair without a readable conid or symbol is left out; IBKR's `{"error":…}` and
    /// a body that is not an object of lists are errors.
    public static func decode(_ data: Data) throws(ClientPortalDecodingError) -> [String: [CurrencyPair]] {
        let body = try Lenient.parse(data, what: "currency pairs")
        if let error = body["error"]?.string { throw ClientPortalDecodingError("currency pairs: \(error)") }
        guard let members = body.object else {
            throw ClientPortalDecodingError("currency pairs: expected an object by currency, got \(body.keyList)")
        }
        var pairs: [String: [CurrencyPair]] = [:]
        for (currency, value) in members {
            guard let items = value.array else { continue }
            pairs[currency] = items.compactMap { item in
                guard let conid = Lenient.conid(item["conid"]), let symbol = item["symbol"]?.string, !symbol.isEmpty else { return nil }
                return CurrencyPair(symbol: symbol, conid: conid, ccyPair: item["ccyPair"]?.string ?? "")
            }
        }
        return pairs
    }

    /// The conid of `base.quote` among the pairs: only that order (IBKR lists EUR.USD, never USD.EUR).
    public static func conid(base: String, quote: String, in pairs: [String: [CurrencyPair]]) -> Int? {
        let symbol = "\(base).\(quote)".uppercased()
        return pairs.values.joined().first { $0.symbol.uppercased() == symbol }?.conid
    }

    public static func json(_ pairs: [String: [CurrencyPair]]) -> String {
        "{" + pairs.sorted { $0.key < $1.key }.map { currency, items in
            JSONText.quoted(currency) + ":[" + items.map {
                "{\"symbol\":\(JSONText.quoted($0.symbol)),\"conid\":\($0.conid),\"ccyPair\":\(JSONText.quoted($0.ccyPair))}"
            }.joined(separator: ",") + "]"
        }.joined(separator: ",") + "}"
    }
}
