import TickhubCore

/// The gateway's REST paths the hub uses, under its prefix `/v1/api`; one spelling for the transport's requests and
/// the simulator's routes.
public enum GatewayPath {
    public static let prefix = "/v1/api"
    public static let authStatus = "/iserver/auth/status"
    /// POST `{"publish":true,"compete":true}`: opens the brokerage session (after the browser login).
    public static let ssodhInit = "/iserver/auth/ssodh/init"
    public static let tickle = "/tickle"
    public static let brokerageAccounts = "/iserver/accounts"
    public static let secdefSearch = "/iserver/secdef/search"
    public static let stocks = "/trsrv/stocks"
    public static let secdefInfo = "/iserver/secdef/info"
    public static let currencyPairs = "/iserver/currency/pairs"
    public static let snapshot = "/iserver/marketdata/snapshot"
    public static let portfolioAccounts = "/portfolio/accounts"
    public static let partitionedPnL = "/iserver/account/pnl/partitioned"
    public static let webSocket = "/ws"

    public static func positions(account: String, page: Int) -> String { "/portfolio/\(account)/positions/\(page)" }

    public static func summary(account: String) -> String { "/portfolio/\(account)/summary" }

    /// `/iserver/marketdata/snapshot?conids=…&fields=…`, or nil when more fields are asked than the gateway takes.
    public static func snapshot(conids: [Int], fields: [MarketDataField]) -> String? {
        guard !conids.isEmpty, !fields.isEmpty, fields.count <= MarketDataField.maximumPerRequest else { return nil }
        let ids = conids.map { String($0) }.joined(separator: ",")
        return snapshot + "?conids=\(ids)&fields=" + fields.map(\.code).joined(separator: ",")
    }

    /// `/iserver/secdef/search?symbol=…` with the symbol percent-encoded.
    public static func secdefSearch(symbol: String) -> String {
        secdefSearch + "?symbol=" + encoded(symbol)
    }

    /// `/iserver/secdef/info?conid=<underlying>&sectype=OPT&month=MAR25&strike=250&right=P`: the month's options
    /// at that strike and right.
    public static func optionInfo(underlying conid: Int, month: String, strike: Double, right: String) -> String {
        secdefInfo + "?conid=\(conid)&sectype=OPT&month=" + encoded(month) + "&strike=" + JSONText.number(strike) + "&right=" + encoded(right)
    }

    /// `/iserver/currency/pairs?currency=EUR`: the pairs IBKR lists with that currency first.
    public static func currencyPairs(currency: String) -> String {
        currencyPairs + "?currency=" + encoded(currency)
    }

    public static func stocks(symbols: [String]) -> String {
        stocks + "?symbols=" + symbols.map(encoded).joined(separator: ",")
    }

    /// Letters, digits and "-._~" as they are; every other byte as %XX.
    static func encoded(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = String(byte, radix: 16, uppercase: true)
                out += "%" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return out
    }
}
