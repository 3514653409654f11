import TWSProtocol
import TickhubCore

/// Where one symbol stands with IBKR; the provider manager falls back on anything but `streaming`.
public enum IBKRSymbolStatus: Equatable, Sendable {
    /// Waiting for a connection or for its request to be answered.
    case pending
    case streaming
    /// Beyond the line budget (or TWS said 101): a fallback should serve it until a line frees.
    case overBudget
    /// IBKR cannot serve it as asked: unknown contract, not entitled, delayed data not enabled.
    case ended(TWSNotice.RequestEndReason)
}

/// A position as IBKR reports it, with IBKR's own valuation when it has sent one.
public struct IBKRPosition: Equatable, Sendable {
    public var account: String
    public var conId: Int
    /// The Tickhub symbol, when the contract is a kind Tickhub streams.
    public var instrument: Instrument?
    /// Units per contract, from the contract, else the instrument's usual one: read once here for every user.
    public var multiplier: Double
    /// The contract's currency, else the instrument's.
    public var currency: String
    public var exchange: String?
    public var quantity: Double
    /// IBKR's convention: per share for stocks, per contract (multiplier applied) for options and futures; see
    /// `costIncludesMultiplier`.
    public var averageCost: Double
    public var costIncludesMultiplier: Bool
    public var marketPrice: Double?
    public var marketValue: Double?
    public var unrealizedPnL: Double?
    public var realizedPnL: Double?
    public var dailyPnL: Double?
    /// The wire-level contract, for the session's own requests (P&L per position); not for the rest of Tickhub.
    var contract: Contract

    init(account: String, contract: Contract) {
        self.account = account
        conId = contract.conId
        instrument = contract.instrument
        self.contract = contract
        multiplier = Double(contract.multiplier) ?? instrument?.multiplier ?? 1
        currency = contract.currency.isEmpty ? instrument?.currency ?? "USD" : contract.currency
        exchange = contract.exchange.isEmpty ? nil : contract.exchange
        quantity = 0
        averageCost = 0
        costIncludesMultiplier = instrument.map { $0.securityType == .option || $0.securityType == .future } ?? false
    }
}

public struct IBKRAccountPnL: Equatable, Sendable {
    public var account: String
    public var dailyPnL: Double?
    public var unrealizedPnL: Double?
    public var realizedPnL: Double?
}

/// Everything the provider reports, delivered on its event loop in the order it happened.
public enum IBKREvent: Sendable {
    case quote(Quote)
    case symbolStatus(symbol: String, IBKRSymbolStatus)
    case connection(BrokerConnectionStatus)
    case positions([IBKRPosition])
    case accountValues([AccountBalance])
    case accountPnL(IBKRAccountPnL)
}

/// Why the provider gave no historical bars.
public enum IBKRHistoryError: Error, Equatable, Sendable {
    /// Not connected to TWS, or the connection went before the answer came.
    case disconnected
    /// TWS refused the request: 200 no such contract, 162 no permission or no data service, 354 not
    /// subscribed, 321 a term TWS would not take.
    case refused(code: Int, message: String)
    /// No answer within `IBKRConfiguration.historicalTimeoutSeconds`, the wait for a turn under IBKR's pacing
    /// included.
    case timedOut(seconds: Double)
    /// The request cannot be asked: its span is empty or reversed.
    case invalidRequest(String)
}
