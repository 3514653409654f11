/// Who owns a position row, and so who may change it.
///
/// - `ibkr`: written by `PositionStore.syncIBKR`; the broker is the authority.
/// - `manual`: entered by the user; edited and deleted by hand only.
/// - `import`: written by `PositionStore.importCSV`; each import of an account replaces the previous one.
public enum PositionOrigin: String, Sendable, Codable, CaseIterable {
    case ibkr
    case manual
    case `import`
}
