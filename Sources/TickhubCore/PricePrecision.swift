/// The decimals a price of each kind of instrument is shown with: enough for the finest tick the kind trades in
/// and for the midpoint between two ticks, no more, so that a price computed in binary floating point (a midpoint,
/// a change) prints as the decimal it stands for (`230.1`, not `230.10000000000002`).
public enum PricePrecision {
    /// Stocks under a dollar tick in 0.0001, so US stocks, their options, futures and indexes get 4; FX pairs
    /// quote in tenths of a pip (0.00001) and their midpoints need one more; crypto on PAXOS ticks in 0.01 or finer.
    public static func decimals(_ type: SecurityType) -> Int {
        switch type {
        case .forex: 6
        case .stock, .option, .future, .index, .crypto: 4
        }
    }

    /// Option greeks and implied volatility are model outputs: six decimals are more than any model stands behind.
    public static let modelDecimals = 6
    /// Percentages (a change, an unrealized P&L over its basis).
    public static let percentDecimals = 2
    /// Shares of a whole (allocation): a percentage to two decimals.
    public static let fractionDecimals = 4
    /// Average costs and costs per unit: a per-contract cost divided by its multiplier keeps its cents.
    public static let costDecimals = 6
}
