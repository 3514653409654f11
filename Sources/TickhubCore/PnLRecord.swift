/// A scope's P&L totals at one moment, as the history keeps them (an account, a broker, or everything).
public struct PnLRecord: Sendable {
    public var scope: PnLScope
    public var marketValue: Double
    public var unrealizedPnL: Double
    public var dailyPnL: Double

    public init(scope: PnLScope, marketValue: Double, unrealizedPnL: Double, dailyPnL: Double) {
        self.scope = scope
        self.marketValue = marketValue
        self.unrealizedPnL = unrealizedPnL
        self.dailyPnL = dailyPnL
    }
}
