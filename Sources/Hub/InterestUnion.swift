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
package final class InterestUnion: Sendable {
    private struct State {
        /// Each symbol followed, with the shards that follow it.
        var followers: [String: Set<Int>] = [:]
        /// What each shard's positions hold: the same everywhere once every shard has taken the holdings.
        var held: [Int: Set<String>] = [:]
        /// Each shard's latest ranking (`SymbolInterest.fairShareRanks`), and the order last sent upstream.
        var ranks: [Int: [String: Int]] = [:]
        var order: [String] = []

        var heldSymbols: Set<String> { held.values.reduce(into: Set<String>()) { $0.formUnion($1) } }
    }

    let budget: Int
    package let commands: UpstreamQueue
    private let state = Mutex(State())

    package init(budget: Int, upstream: any MarketDataUpstream) {
        self.budget = budget
        commands = UpstreamQueue(upstream: upstream)
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

    /// `shard` no longer follows the symbols; those no shard follows now are released upstream, and returned.
    @discardableResult
    func release(_ symbols: [String], by shard: Int) -> [String] {
        state.withLock { state in
            var gone: [String] = []
            for symbol in symbols {
                guard var followers = state.followers[symbol], followers.remove(shard) != nil else { continue }
                if followers.isEmpty {
                    state.followers[symbol] = nil
                    gone.append(symbol)
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
            var best: [String: Int] = [:]
            for shardRanks in state.ranks.values {
                for (symbol, rank) in shardRanks where state.followers[symbol] != nil { best[symbol] = min(best[symbol] ?? .max, rank) }
            }
            let order = SymbolInterest.order(state.followers.keys, ranks: best)
            guard order != state.order else { return }
            state.order = order
            commands.send(.prioritize(order))
        }
    }

    /// Every symbol the hub follows, whichever shard asked for it.
    package var followed: [String] { state.withLock { Array($0.followers.keys) } }

    /// The shards that follow the symbol (for tests).
    func followers(of symbol: String) -> Set<Int> { state.withLock { $0.followers[symbol] ?? [] } }
}
