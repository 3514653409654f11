import GRDB

/// A brokerage account positions belong to: table `brokerAccount`, keyed by broker and account id.
///
/// `broker` is a short lowercase name (`ibkr`, `tastytrade`); `accountId` is the broker's account number.
/// Inactive accounts keep their positions but are left out of `openPositions` (and so of the portfolio).
public struct BrokerAccount: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "brokerAccount"
    /// The broker name `syncIBKR` writes under.
    public static let ibkr = "ibkr"

    public var broker: String
    public var accountId: String
    public var label: String
    public var active: Bool

    public init(broker: String, accountId: String, label: String? = nil, active: Bool = true) {
        self.broker = broker
        self.accountId = accountId
        self.label = label ?? accountId
        self.active = active
    }

    /// Broker: 1–32 of `a-z 0-9 _ -`, starting with a letter or digit (it appears in P&L scopes as
    /// `broker:<name>`). Account id: 1–64 printable characters, no spaces.
    static func validate(broker: String, accountId: String) throws(StoreError) {
        let brokerOK = (1...32).contains(broker.count)
            && broker.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" || $0 == "-" }
            && broker.first != "_" && broker.first != "-"
        guard brokerOK else {
            throw .invalidAccount("broker \"\(broker)\" must be 1–32 lowercase letters, digits, '_' or '-' (such as ibkr)")
        }
        guard (1...64).contains(accountId.count), accountId.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value != 0x7F })
        else { throw .invalidAccount("account id \"\(accountId)\" must be 1–64 printable characters without spaces") }
    }
}
