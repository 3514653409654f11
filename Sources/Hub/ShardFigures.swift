/// What one shard counts of the hub: its clients, their subscriptions, and its counters. Taken on the shard's own
/// thread, so that whichever shard answers `/metrics` or `/api/health` can add up every shard's.
package struct ShardFigures: Sendable {
    package var shard: Int
    /// Stream clients (readers), and `/publish` connections.
    package var clients: Int
    package var publishers: Int
    package var subscriptions: Int
    package var counts: MetricCounts

    package init(shard: Int, clients: Int = 0, publishers: Int = 0, subscriptions: Int = 0, counts: MetricCounts = MetricCounts()) {
        self.shard = shard
        self.clients = clients
        self.publishers = publishers
        self.subscriptions = subscriptions
        self.counts = counts
    }
}

extension FanoutHub {
    package var figures: ShardFigures {
        ShardFigures(shard: place.index, clients: clients.subscriberCount, publishers: clients.publisherCount,
                     subscriptions: clients.subscriptionCount, counts: metrics.counts)
    }
}
