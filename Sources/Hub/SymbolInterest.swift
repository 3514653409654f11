import TickhubCore

/// Who wants what upstream on one shard: the symbols it follows (asked for by its stream clients, by HTTP requests,
/// or held in a position), when each was last wanted, the release of idle ones, and its clients' ranks in the fair
/// share of upstream lines. What the hub as a whole follows, and the budget that bounds it, is the `InterestUnion`
/// of every shard's, which changes reach providers through.
///
/// Every symbol followed costs a provider line or poll whoever asked, so no mix of clients may make the hub follow
/// an unbounded set: `maxUpstreamSymbols` in all, and held symbols (P&L needs them) a budget of the same size of
/// their own, so a crowd of streamed symbols never leaves P&L unvalued and positions never crowd out what clients
/// stream.
package struct SymbolInterest {
    package let union: InterestUnion
    let shard: Int
    /// Symbols followed, with when they were last wanted (µs since the epoch) by anyone but a current subscriber.
    package private(set) var followed: [String: Int64] = [:]
    /// Symbols some position holds: they stay followed, and their quotes move P&L.
    package private(set) var held: Set<String> = []
    /// The fair share needs working out again.
    var lineShareDirty = false

    package init(place: ShardPlace) {
        union = place.interest
        shard = place.index
    }

    /// Follows the instruments not yet followed, within the hub's budget; returns those refused for want of room.
    /// Only a symbol new to this shard is taken to the union: a request for symbols already followed (the usual
    /// one) costs nothing.
    package mutating func want(_ instruments: [Instrument], held: Bool, now: Int64) -> [Instrument] {
        var new: [Instrument] = [], newSymbols: Set<String> = []
        for instrument in instruments {
            if followed[instrument.symbol] != nil {
                followed[instrument.symbol] = now
            } else if newSymbols.insert(instrument.symbol).inserted {
                new.append(instrument)
            }
        }
        guard !new.isEmpty else { return [] }
        let refused = union.follow(new, held: held, by: shard)
        let refusedSymbols = Set(refused.map(\.symbol))
        for symbol in newSymbols where !refusedSymbols.contains(symbol) { followed[symbol] = now }
        if refused.count < new.count { lineShareDirty = true }
        return refused
    }

    func isFollowed(_ symbol: String) -> Bool { followed[symbol] != nil }

    /// Someone asked for it again: its grace period starts over.
    mutating func touch(_ symbol: String, now: Int64) {
        if followed[symbol] != nil { followed[symbol] = now }
    }

    mutating func setHeld(_ symbols: Set<String>) {
        held = symbols
        union.setHeld(symbols, by: shard)
    }

    /// Symbols past the grace period that nobody streams, holds or waits for; the caller releases them.
    package func idle(now: Int64, graceMicros: Int64, wanted: (String) -> Bool) -> [String] {
        followed.filter { symbol, lastWanted in now - lastWanted > graceMicros && !held.contains(symbol) && !wanted(symbol) }
            .map(\.key)
    }

    /// Stops following the symbols here; returns those the whole hub no longer follows, now released upstream.
    mutating func release(_ symbols: [String]) -> [String] {
        guard !symbols.isEmpty else { return [] }
        for symbol in symbols { followed[symbol] = nil }
        lineShareDirty = true
        return union.release(symbols, by: shard)
    }

    /// Sends this shard's ranking to the union, which sends the hub's order upstream when it changed; at most once
    /// a housekeeping tick, however busy the clients.
    mutating func shareLinesIfChanged(_ clients: some Collection<ClientSession>) {
        guard lineShareDirty else { return }
        lineShareDirty = false
        union.rank(fairShareRanks(clients), by: shard)
    }

    /// The fair share of upstream lines (IBKR's 100 market-data lines, by default).
    ///
    /// Lines used to go first come, first served, so one client subscribing 100 option symbols held them all and
    /// every other client's symbols fell over to a poller or failed. Now the hub ranks the symbols it follows and
    /// the provider gives lines in rank order, taking a line back from the last-ranked symbol when a better-ranked
    /// one needs it (that symbol then falls over like any other without a line):
    ///
    /// 1. held symbols (positions need live marks for P&L), then
    /// 2. each client's symbols by the order it subscribed them (a bar series counting for its symbol): every
    ///    client's first symbol, then every client's second, and so on (a symbol several clients want takes its best
    ///    rank), then
    /// 3. symbols only HTTP requests asked for.
    ///
    /// So with N clients each gets at least lines/N of them, and what one does not use goes to those that want
    /// more. docs/providers.md explains it for users.
    package func fairShareOrder(_ clients: some Collection<ClientSession>) -> [String] {
        Self.order(followed.keys, ranks: fairShareRanks(clients))
    }

    /// Each followed symbol's best rank among this shard's clients: -1 held, else its best place in a client's
    /// order of subscription; absent when only HTTP requests asked for it.
    func fairShareRanks(_ clients: some Collection<ClientSession>) -> [String: Int] {
        var rank: [String: Int] = [:]
        for symbol in held where followed[symbol] != nil { rank[symbol] = -1 }
        for client in clients where !client.isPublisher && !(client.symbols.isEmpty && client.bars.isEmpty) {
            var subscribed = client.symbols
            // A bar series wants its symbol's quotes as a subscription made at the same point would.
            for (key, made) in client.bars { subscribed[key.symbol] = min(subscribed[key.symbol] ?? .max, made) }
            let mine = subscribed.sorted { $0.value < $1.value }
            for (place, entry) in mine.enumerated() where followed[entry.key] != nil {
                rank[entry.key] = min(rank[entry.key] ?? .max, place)
            }
        }
        return rank
    }

    /// The symbols best-ranked first, ties (and the unranked, last) by name.
    static func order(_ symbols: some Collection<String>, ranks: [String: Int]) -> [String] {
        symbols.sorted { a, b in
            let (ra, rb) = (ranks[a] ?? .max, ranks[b] ?? .max)
            return ra != rb ? ra < rb : a < b
        }
    }
}
