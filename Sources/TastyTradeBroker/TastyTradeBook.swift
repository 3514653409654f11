import TastyTrade

/// The synced accounts' positions and balances as they stand, moved by full fetches and by the streamer.
///
/// A full fetch takes a moment; a fill the streamer announces meanwhile may or may not be in the fetch's answer.
/// What the streamer said during a fetch is applied again on top of the answer, so a fetch never puts back a
/// position the streamer already moved (the streamer's objects are whole positions, so applying one twice is harmless).
struct TastyTradeBook: Sendable {
    private var positions: [String: [String: TastyPosition]] = [:]
    private var balances: [String: TastyBalance] = [:]
    /// Per account with a fetch under way: what the streamer said since the earliest of them began, and how many
    /// fetches are under way (a heal may overlap the periodic one).
    private var streamedDuringFetch: [String: (positions: [TastyPosition], balance: TastyBalance?, fetches: Int)] = [:]

    init() {}

    mutating func beginFetch(account: String) {
        streamedDuringFetch[account, default: ([], nil, 0)].fetches += 1
    }

    /// The fetched positions with what streamed meanwhile applied; the account's whole set.
    mutating func finishFetch(account: String, positions fetched: [TastyPosition], balance: TastyBalance)
        -> (positions: [TastyPosition], balance: TastyBalance)
    {
        let streamed = endFetch(account: account) ?? ([], nil, 0)
        var set: [String: TastyPosition] = [:]
        for position in fetched where position.quantity != 0 { set[position.symbol] = position }
        for position in streamed.positions { Self.apply(position, to: &set) }
        positions[account] = set
        balances[account] = streamed.balance ?? balance
        return (Self.ordered(set), balances[account]!)
    }

    /// A fetch that failed: what streamed during it stays applied (it was applied as it came).
    mutating func abandonFetch(account: String) {
        _ = endFetch(account: account)
    }

    private mutating func endFetch(account: String) -> (positions: [TastyPosition], balance: TastyBalance?, fetches: Int)? {
        guard var entry = streamedDuringFetch[account] else { return nil }
        entry.fetches -= 1
        streamedDuringFetch[account] = entry.fetches > 0 ? entry : nil
        return entry
    }

    /// A position the streamer announced; the account's whole set after it, or nil for an account not synced.
    mutating func streamed(_ position: TastyPosition) -> [TastyPosition]? {
        let account = position.accountNumber
        guard var set = positions[account] else {
            // Not fetched yet: kept for when the fetch lands, if one is under way.
            streamedDuringFetch[account]?.positions.append(position)
            return nil
        }
        streamedDuringFetch[account]?.positions.append(position)
        Self.apply(position, to: &set)
        positions[account] = set
        return Self.ordered(set)
    }

    /// Balances the streamer announced; nil for an account not synced.
    mutating func streamed(_ balance: TastyBalance) -> TastyBalance? {
        let account = balance.accountNumber
        streamedDuringFetch[account]?.balance = balance
        guard balances[account] != nil else { return nil }
        balances[account] = balance
        return balance
    }

    func positions(account: String) -> [TastyPosition]? { positions[account].map(Self.ordered) }

    /// A position at zero is closed: it leaves the set (TastyTrade purges them overnight anyway). A streamed position
    /// comes without TastyTrade's mark (only a fetch with `include-marks` has one): the last mark known is kept, so
    /// a fill does not take TastyTrade's own figures off the position until the next fetch.
    private static func apply(_ position: TastyPosition, to set: inout [String: TastyPosition]) {
        guard position.quantity != 0 else {
            set[position.symbol] = nil
            return
        }
        var position = position
        if position.mark == nil { position.mark = set[position.symbol]?.mark }
        set[position.symbol] = position
    }

    private static func ordered(_ set: [String: TastyPosition]) -> [TastyPosition] {
        set.values.sorted { $0.symbol < $1.symbol }
    }
}
