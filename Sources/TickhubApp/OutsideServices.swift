/// The startup lines that say which services beyond this machine the hub will call, so nobody running the demo
/// is surprised that it reaches the internet when IBKR cannot serve a symbol.
public enum OutsideServices {
    /// `yahoo` and `alphaVantage` are the base URLs of the providers that are on, nil for those that are off.
    public static func describe(yahoo: String?, alphaVantage: String?, offline: Bool) -> [String] {
        if offline { return ["Outside services: none (--offline); symbols IBKR cannot serve have no quotes"] }
        var lines: [String] = []
        if let yahoo {
            lines.append("Outside services: Yahoo Finance (\(yahoo)) for symbols IBKR cannot serve")
        } else {
            lines.append("Outside services: Yahoo Finance off")
        }
        if let alphaVantage {
            lines.append("Outside services: Alpha Vantage (\(alphaVantage)) after Yahoo")
        } else {
            lines.append("Outside services: Alpha Vantage off (no ALPHAVANTAGE_API_KEY)")
        }
        lines.append("Outside services: --offline turns them all off")
        return lines
    }
}
