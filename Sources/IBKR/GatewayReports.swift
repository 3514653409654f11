import TWSProtocol
import TickhubCore

extension IBKRPosition {
    /// A position another IBKR transport than TWS's socket reports (the Client Portal gateway's portfolio): no TWS
    /// contract stands behind it, only its contract id and what the gateway says of it.
    public init(account: String, conId: Int, instrument: Instrument?, currency: String?, multiplier: Double?, exchange: String? = nil) {
        self.init(account: account, contract: Contract(conId: conId, symbol: instrument?.symbol ?? "", secType: instrument?.securityType.rawValue ?? "",
                                                       exchange: exchange ?? "", currency: currency ?? ""))
        self.instrument = instrument
        self.multiplier = multiplier ?? instrument?.multiplier ?? 1
        self.currency = currency.flatMap { $0.isEmpty ? nil : $0 } ?? instrument?.currency ?? "USD"
        costIncludesMultiplier = instrument.map { $0.securityType == .option || $0.securityType == .future } ?? false
    }
}

extension IBKRAccountPnL {
    /// An account's P&L as another IBKR transport than TWS's socket reports it.
    public static func reported(account: String, dailyPnL: Double?, unrealizedPnL: Double?, realizedPnL: Double?) -> IBKRAccountPnL {
        IBKRAccountPnL(account: account, dailyPnL: dailyPnL, unrealizedPnL: unrealizedPnL, realizedPnL: realizedPnL)
    }
}
