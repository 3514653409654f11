import Synchronization
import TickhubCore

/// The bar series the hub as a whole follows, across shards: a series is followed upstream when the first shard
/// wants it and released when the last one lets it go. Each shard keeps its own clients per series
/// (`StreamClients`) and tells this only when its first arrives or its last leaves.
///
/// Called from every shard's service thread under one lock, and only for those changes, never for bars. Changes
/// reach the chart upstream through one ordered queue, in the order they were decided.
package final class ChartInterest: Sendable {
    package enum Command: Sendable {
        case follow([BarKey])
        case release([BarKey])
    }

    /// Each series followed, with the shards that want it.
    private let followers = Mutex<[BarKey: Set<Int>]>([:])
    private let continuation: AsyncStream<Command>.Continuation

    package init(upstream: (any ChartUpstream)?) {
        let (commands, continuation) = AsyncStream<Command>.makeStream()
        self.continuation = continuation
        guard let upstream else {
            continuation.finish()
            return
        }
        Task {
            for await command in commands {
                switch command {
                case let .follow(keys): await upstream.follow(keys)
                case let .release(keys): await upstream.release(keys)
                }
            }
        }
    }

    deinit { continuation.finish() }

    /// `shard` wants the series; those no shard wanted before are followed upstream.
    func follow(_ keys: [BarKey], by shard: Int) {
        followers.withLock { followers in
            var added: [BarKey] = []
            for key in keys {
                let inserted = followers[key, default: []].insert(shard).inserted
                if inserted, followers[key]?.count == 1 { added.append(key) }
            }
            if !added.isEmpty { continuation.yield(.follow(added)) }
        }
    }

    /// `shard` no longer wants the series; those no shard wants now are released upstream, and returned.
    @discardableResult
    func release(_ keys: [BarKey], by shard: Int) -> [BarKey] {
        followers.withLock { followers in
            var gone: [BarKey] = []
            for key in keys {
                guard var shards = followers[key], shards.remove(shard) != nil else { continue }
                if shards.isEmpty {
                    followers[key] = nil
                    gone.append(key)
                } else {
                    followers[key] = shards
                }
            }
            if !gone.isEmpty { continuation.yield(.release(gone)) }
            return gone
        }
    }

    /// Each standing owner's series (an edge's, followed by its ingest for it), and the place each owner takes among
    /// the followers: below every shard's index.
    private let standing = Mutex<(keys: [String: Set<BarKey>], places: [String: Int])>(([:], [:]))

    /// Replaces `owner`'s standing series: those no one followed before are followed upstream, those no one follows
    /// any more are released, and returned.
    package func setStanding(_ keys: Set<BarKey>, owner: String) -> [BarKey] {
        let (place, before) = standing.withLock { standing -> (Int, Set<BarKey>) in
            let place = standing.places[owner] ?? -1 - standing.places.count
            standing.places[owner] = place
            let before = standing.keys[owner] ?? []
            standing.keys[owner] = keys.isEmpty ? nil : keys
            return (place, before)
        }
        follow(Array(keys.subtracting(before)), by: place)
        return release(Array(before.subtracting(keys)), by: place)
    }

    /// Whether some shard wants the series: a shard keeps a copy only of those, so that a series published after
    /// its release is not kept by anyone for good.
    package func isFollowed(_ key: BarKey) -> Bool { followers.withLock { $0[key] != nil } }

    /// Every series the hub follows.
    package var followed: [BarKey] { followers.withLock { Array($0.keys) } }

    /// The shards that want the series (for tests).
    package func followers(of key: BarKey) -> Set<Int> { followers.withLock { $0[key] ?? [] } }

    /// A command of the caller's own, queued behind those decided so far: tests mark the end of what they await.
    package func send(_ command: Command) { continuation.yield(command) }
}
