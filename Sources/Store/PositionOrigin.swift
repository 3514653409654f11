/// Who owns a position row, and so who may change it.
///
/// - `ibkr`, `tastytrade`: written by `PositionStore.syncBroker` (IBKR's through `syncIBKR`); the broker is the
///   authority, and its rows are never edited by hand.
/// - `manual`: entered by the user; edited and deleted by hand only.
/// - `import`: written by `PositionStore.importCSV`; each import of an account replaces the previous one.
public enum PositionOrigin: String, Sendable, Codable, CaseIterable {
    case ibkr
    case tastytrade
    case manual
    case `import`

    /// Rows a broker's sync owns.
    public var isSynced: Bool { self == .ibkr || self == .tastytrade }
}
