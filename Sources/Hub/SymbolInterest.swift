import TickhubCore

/// Who wants what upstream: the symbols the hub follows (asked for by stream clients, by HTTP requests, or held
/// in a position), when each was last wanted, the budget that bounds them, the release of idle ones, and the
/// fair share of upstream lines. Changes reach providers through one ordered queue.
///
/// Every symbol followed costs a provider line or poll whoever asked, so no mix of clients may make the hub follow
/// an unbounded set: `maxUpstreamSymbols` in all, and held symbols (P&L needs them) a budget of the same size of
/// their own, so a crowd of streamed symbols never leaves P&L unvalued and positions never crowd out what clients
/// stream.
package struct SymbolInterest {
    let budget: Int
    let commands: UpstreamQueue
    /// Symbols followed, with when they were last wanted (µs since the epoch) by anyone but a current subscriber.
    package private(set) var followed: [String: Int64] = [:]
    /// Symbols some position holds: they stay followed, and their quotes move P&L.
    package private(set) var held: Set<String> = []
    /// The fair share needs working out again; the last one sent.
    var lineShareDirty = false
    private var lineShare: [String] = []

    package init(budget: Int, upstream: any MarketDataUpstream) {
        self.budget = budget
        commands = UpstreamQueue(upstream: upstream)
    }

    /// Follows the instruments not yet followed, within budget; returns those refused for want of room.
    /// Counted only when a symbol is new: a request for symbols already followed (the usual one) costs nothing.
    package mutating func want(_ instruments: [Instrument], held: Bool, now: Int64) -> [Instrument] {
        var added: [Instrument] = [], refused: [Instrument] = []
        var heldFollowedCount: Int?
        for instrument in instruments {
            if followed[instrument.symbol] != nil {
                followed[instrument.symbol] = now
                continue
            }
            let heldFollowed = heldFollowedCount ?? self.held.filter { followed[$0] != nil }.count
            heldFollowedCount = heldFollowed
            if (held ? heldFollowed : followed.count - heldFollowed) < budget {
                if held { heldFollowedCount = heldFollowed + 1 }
                followed[instrument.symbol] = now
                added.append(instrument)
            } else {
                refused.append(instrument)
            }
        }
        if !added.isEmpty {
            commands.send(.subscribe(added))
            lineShareDirty = true
        }
        return refused
    }

    func isFollowed(_ symbol: String) -> Bool { followed[symbol] != nil }

    /// Someone asked for it again: its grace period starts over.
    mutating func touch(_ symbol: String, now: Int64) {
        if followed[symbol] != nil { followed[symbol] = now }
    }

    mutating func setHeld(_ symbols: Set<String>) { held = symbols }

    /// Symbols past the grace period that nobody streams, holds or waits for; the caller releases them.
    package func idle(now: Int64, graceMicros: Int64, wanted: (String) -> Bool) -> [String] {
        followed.filter { symbol, lastWanted in now - lastWanted > graceMicros && !held.contains(symbol) && !wanted(symbol) }
            .map(\.key)
    }

    mutating func release(_ symbols: [String]) {
        guard !symbols.isEmpty else { return }
        for symbol in symbols { followed[symbol] = nil }
        commands.send(.unsubscribe(symbols))
        lineShareDirty = true
    }

    /// Sends the ranking upstream when it changed; at most once a housekeeping tick, however busy the clients.
    mutating func shareLinesIfChanged(_ clients: some Collection<ClientSession>) {
        guard lineShareDirty else { return }
        lineShareDirty = false
        let order = fairShareOrder(clients)
        guard order != lineShare else { return }
        lineShare = order
        commands.send(.prioritize(order))
    }

    /// The fair share of upstream lines (IBKR's 100 market-data lines, by default).
    ///
    /// Lines used to go first come, first served, so one client subscribing 100 option symbols held them all and
    /// every other client's symbols fell over to a poller or failed. Now the hub ranks the symbols it follows and
    /// the provider gives lines in rank order, taking a line back from the last-ranked symbol when a better-ranked
    /// one needs it (that symbol then falls over like any other without a line):
    ///
    /// 1. held symbols (positions need live marks for P&L), then
    /// 2. each client's symbols by the order it subscribed them: every client's first symbol, then every client's
    ///    second, and so on (a symbol several clients want takes its best rank), then
    /// 3. symbols only HTTP requests asked for.
    ///
    /// So with N clients each gets at least lines/N of them, and what one does not use goes to those that want
    /// more. docs/providers.md explains it for users.
    package func fairShareOrder(_ clients: some Collection<ClientSession>) -> [String] {
        var rank: [String: Int] = [:]
        for symbol in held where followed[symbol] != nil { rank[symbol] = -1 }
        for client in clients where !client.isPublisher && !client.symbols.isEmpty {
            let mine = client.symbols.sorted { $0.value < $1.value }
            for (place, entry) in mine.enumerated() where followed[entry.key] != nil {
                rank[entry.key] = min(rank[entry.key] ?? .max, place)
            }
        }
        return followed.keys.sorted { a, b in
            let (ra, rb) = (rank[a] ?? .max, rank[b] ?? .max)
            return ra != rb ? ra < rb : a < b
        }
    }
}
