/// The kinds of instrument Tickhub streams, named by IBKR's secType codes.
public enum SecurityType: String, Sendable, Codable, CaseIterable {
    case stock = "STK"
    case option = "OPT"
    case future = "FUT"
    case forex = "CASH"
    case crypto = "CRYPTO"
    case index = "IND"
}
