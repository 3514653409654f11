import GRDB
import TickhubCore

/// What is known about an instrument beyond its symbol: table `instrument`, keyed by the canonical symbol.
/// `syncIBKR` fills it from the contracts IBKR reports (with their `conId`).
public struct InstrumentRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "instrument"

    public var symbol: String
    /// IBKR's contract id, when known.
    public var conId: Int64?
    public var securityType: SecurityType
    public var exchange: String
    public var currency: String
    public var multiplier: Double

    public init(
        symbol: String, conId: Int64? = nil, securityType: SecurityType, exchange: String, currency: String,
        multiplier: Double
    ) {
        self.symbol = symbol
        self.conId = conId
        self.securityType = securityType
        self.exchange = exchange
        self.currency = currency
        self.multiplier = multiplier
    }

    public init(_ instrument: Instrument, conId: Int64? = nil) {
        self.init(
            symbol: instrument.symbol, conId: conId, securityType: instrument.securityType,
            exchange: instrument.exchange, currency: instrument.currency, multiplier: instrument.multiplier)
    }
}
