import Synchronization
import TickhubCore

/// Upstream interest across the hub's shards. Each shard's `SymbolInterest` keeps its own clients' wants and grace
/// periods and tells this what changed; this keeps what the hub as a whole follows: a symbol is subscribed upstream
/// when the first shard follows it and released when the last one lets it go, `maxUpstreamSymbols` bounds what the
/// whole hub follows (held symbols within a budget of their own), and the fair share of upstream lines ranks every
/// shard's clients together. Changes reach providers through one ordered queue, in the order they were decided.
///
/// Called from every shard's service thread, under one lock; only for symbols new to a shard, releases, and
/// rankings, at most once a housekeeping tick: never for the quotes themselves.
///
/// Besides the shards, owners outside them hold standing interest (`setStanding`: the symbols of the alert rules),
/// followed whatever the clients want and released when neither an owner nor a shard wants them. Their owners bound
/// them, so they are outside the budget, and they rank with held symbols: an alert needs a live quote as P&L does.
/// The bar series the shards want are the `charts` part of the same interest.
package final class InterestUnion: Sendable {
    private struct State {
        /// Each symbol followed, with the shards that follow it.
        var followers: [String: Set<Int>] = [:]
        /// What each shard's positions hold: the same everywhere once every shard has taken the holdings.
        var held: [Int: Set<String>] = [:]
        /// Each shard's latest ranking (`SymbolInterest.fairShareRanks`), and the order last sent upstream.
        var ranks: [Int: [String: Int]] = [:]
        var order: [String] = []
        /// Each owner's standing symbols, and how many owners stand behind each symbol.
        var standing: [String: [String: Instrument]] = [:]
        var standingOwners: [String: Int] = [:]

        var heldSymbols: Set<String> { held.values.reduce(into: Set<String>()) { $0.formUnion($1) } }

        /// Followed upstream: some shard or some owner wants it.
        func isFollowed(_ symbol: String) -> Bool { followers[symbol] != nil || standingOwners[symbol] != nil }
    }

    let budget: Int
    package let commands: UpstreamQueue
    /// The bar series the shards want, followed through the chart upstream.
    package let charts: ChartInterest
    private let state = Mutex(State())

    package init(budget: Int, upstream: any MarketDataUpstream, charts: (any ChartUpstream)? = nil) {
        self.budget = budget
        commands = UpstreamQueue(upstream: upstream)
        self.charts = ChartInterest(upstream: charts)
    }

    /// Follows the instruments for `shard`, within the hub's budget, and subscribes upstream those no shard
    /// followed before; returns those refused for want of room. A symbol another shard follows costs nothing more.
    func follow(_ instruments: [Instrument], held: Bool, by shard: Int) -> [Instrument] {
        state.withLock { state in
            var added: [Instrument] = [], refused: [Instrument] = []
            var heldFollowedCount: Int?
            for instrument in instruments {
                let symbol = instrument.symbol
                if state.followers[symbol] != nil {
                    state.followers[symbol]!.insert(shard)
                    continue
                }
                // Followed already for a standing owner: no new line, no room needed.
                if state.standingOwners[symbol] != nil {
                    state.followers[symbol] = [shard]
                    continue
                }
                let heldFollowed = heldFollowedCount ?? state.heldSymbols.filter { state.followers[$0] != nil }.count
                heldFollowedCount = heldFollowed
                guard (held ? heldFollowed : state.followers.count - heldFollowed) < budget else {
                    refused.append(instrument)
                    continue
                }
                if held { heldFollowedCount = heldFollowed + 1 }
                state.followers[symbol] = [shard]
                added.append(instrument)
            }
            if !added.isEmpty { commands.send(.subscribe(added)) }
            return refused
        }
    }

    /// `shard` no longer follows the symbols; those no shard (and no standing owner) follows now are released
    /// upstream, and returned.
    @discardableResult
    func release(_ symbols: [String], by shard: Int) -> [String] {
        state.withLock { state in
            var gone: [String] = []
            for symbol in symbols {
                guard var followers = state.followers[symbol], followers.remove(shard) != nil else { continue }
                if followers.isEmpty {
                    state.followers[symbol] = nil
                    if state.standingOwners[symbol] == nil { gone.append(symbol) }
                } else {
                    state.followers[symbol] = followers
                }
            }
            if !gone.isEmpty { commands.send(.unsubscribe(gone)) }
            return gone
        }
    }

    func setHeld(_ symbols: Set<String>, by shard: Int) {
        state.withLock { $0.held[shard] = symbols }
    }

    /// `shard`'s ranking of what it follows; the hub's order of every symbol it follows goes upstream when it
    /// changed. A symbol takes its best rank over all shards, as over all clients of one.
    func rank(_ ranks: [String: Int], by shard: Int) {
        state.withLock { state in
            state.ranks[shard] = ranks
            prioritizeIfChanged(&state)
        }
    }

    private func prioritizeIfChanged(_ state: inout State) {
        var best: [String: Int] = [:]
        for symbol in state.standingOwners.keys { best[symbol] = -1 }
        for shardRanks in state.ranks.values {
            for (symbol, rank) in shardRanks where state.followers[symbol] != nil { best[symbol] = min(best[symbol] ?? .max, rank) }
        }
        let order = SymbolInterest.order(Set(state.followers.keys).union(state.standingOwners.keys), ranks: best)
        guard order != state.order else { return }
        state.order = order
        commands.send(.prioritize(order))
    }

    /// Replaces what `owner` follows whatever the clients want: symbols new to the hub are subscribed upstream, those
    /// neither another owner nor a shard wants any more are released there, and returned (the shards forget them).
    @discardableResult
    package func setStanding(_ instruments: [Instrument], owner: String) -> [String] {
        state.withLock { state in
            let before = state.standing[owner] ?? [:]
            var now: [String: Instrument] = [:]
            for instrument in instruments { now[instrument.symbol] = instrument }
            var added: [Instrument] = [], gone: [String] = []
            for (symbol, instrument) in now where before[symbol] == nil {
                if !state.isFollowed(symbol) { added.append(instrument) }
                state.standingOwners[symbol, default: 0] += 1
            }
            for symbol in before.keys where now[symbol] == nil {
                state.standingOwners[symbol]! -= 1
                if state.standingOwners[symbol] == 0 { state.standingOwners[symbol] = nil }
                if !state.isFollowed(symbol) { gone.append(symbol) }
            }
            state.standing[owner] = now.isEmpty ? nil : now
            if !added.isEmpty { commands.send(.subscribe(added.sorted { $0.symbol < $1.symbol })) }
            if !gone.isEmpty { commands.send(.unsubscribe(gone)) }
            if !added.isEmpty || !gone.isEmpty { prioritizeIfChanged(&state) }
            return gone
        }
    }

    /// Every symbol the hub follows, whichever shard or owner asked for it.
    package var followed: [String] {
        state.withLock { Array(Set($0.followers.keys).union($0.standingOwners.keys)) }
    }

    /// Whether the hub follows the symbol upstream, for a shard or a standing owner.
    package func isFollowed(_ symbol: String) -> Bool { state.withLock { $0.isFollowed(symbol) } }

    /// The shards that follow the symbol (for tests).
    func followers(of symbol: String) -> Set<Int> { state.withLock { $0.followers[symbol] ?? [] } }
}
