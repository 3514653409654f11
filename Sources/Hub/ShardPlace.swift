/// Where a fan-out stands among the hub's shards (its service threads, each with clients of its own): which one it
/// is, how many there are, and the upstream interest they share. A hub on its own, as in the fan-out's tests, is
/// the only shard of an interest of its own.
package struct ShardPlace: Sendable {
    package let index: Int
    package let count: Int
    package let interest: InterestUnion

    package init(index: Int, count: Int, interest: InterestUnion) {
        precondition((0..<count).contains(index), "shard \(index) of \(count)")
        self.index = index
        self.count = count
        self.interest = interest
    }

    /// The one shard of a hub with one service thread.
    package static func alone(budget: Int, upstream: any MarketDataUpstream, charts: (any ChartUpstream)? = nil) -> ShardPlace {
        ShardPlace(index: 0, count: 1, interest: InterestUnion(budget: budget, upstream: upstream, charts: charts))
    }

    /// The shard that does what the hub does once, not once per shard: writing the P&L history and the last quotes.
    /// Every shard has the same book and positions, so any one of them would do.
    var keepsArchive: Bool { index == 0 }
}
