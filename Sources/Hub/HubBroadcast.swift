import Synchronization
import TickhubCore

/// A shard as the publishing side reaches it: events are queued for its service thread, from any thread.
package protocol ShardInbox: AnyObject, Sendable {
    func post(_ event: HubEvent)
}

/// The publishing side of a hub with several shards: every event goes to every shard, in one order, and a quote is
/// numbered and encoded once here, so that N shards cost one encoding, not N.
///
/// One lock covers numbering and posting: two updates of a symbol published at once from two threads must reach
/// every shard in the order of their sequence numbers, or a client would see `seq` go down.
///
/// Sequence numbers are kept for the life of the process, one integer per symbol ever quoted (the symbols the hub
/// followed, which the budget and the symbol grammar bound). A shard forgets a released symbol's quote, but the
/// number goes on: a shard that still held the old entry when a client subscribed again would otherwise serve a
/// snapshot numbered above the updates that follow it.
package final class HubBroadcast: Sendable {
    private let shards: [any ShardInbox]
    private let sequences = Mutex<[String: UInt64]>([:])

    package init(shards: [any ShardInbox]) { self.shards = shards }

    package func publish(_ quote: Quote, receivedAt: Timestamp) {
        sequences.withLock { sequences in
            let sequence = (sequences[quote.symbol] ?? 0) + 1
            sequences[quote.symbol] = sequence
            let update = HubEvent.quote(EncodedQuote(quote, sequence: sequence, receivedAt: receivedAt))
            for shard in shards { shard.post(update) }
        }
    }

    package func post(_ event: HubEvent) {
        sequences.withLock { _ in
            for shard in shards { shard.post(event) }
        }
    }
}
