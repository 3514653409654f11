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
    private let relay: (any HubRelay)?

    package init(shards: [any ShardInbox], relay: (any HubRelay)? = nil) {
        self.shards = shards
        self.relay = relay
    }

    package func publish(_ quote: Quote, receivedAt: Timestamp) {
        sequences.withLock { sequences in
            let sequence = (sequences[quote.symbol] ?? 0) + 1
            sequences[quote.symbol] = sequence
            let update = HubEvent.quote(EncodedQuote(quote, sequence: sequence, receivedAt: receivedAt))
            relay?.relay(update)
            for shard in shards { shard.post(update) }
        }
    }

    /// An update another hub numbered (an edge's, from its ingest), passed on with its number. One that is older
    /// than the symbol's newest passed on (a snapshot overtaken by a live update) is not, so that no client sees
    /// `seq` go down; the same number again is (a quote sent again unchanged but for `stale` or `marketOpen`).
    /// False when it was not passed on.
    package func publishNumbered(_ update: EncodedQuote) -> Bool {
        sequences.withLock { sequences in
            let symbol = update.symbol
            if let newest = sequences[symbol], update.entry.sequence < newest { return false }
            sequences[symbol] = update.entry.sequence
            let event = HubEvent.quote(update)
            relay?.relay(event)
            for shard in shards { shard.post(event) }
            return true
        }
    }

    /// Numbers each symbol's next update above the one given, unless it is already: a hub taking over from another
    /// continues its numbers, so that clients never see `seq` go down across the change.
    package func seedSequences(_ seeds: [String: UInt64]) {
        sequences.withLock { sequences in
            for (symbol, sequence) in seeds { sequences[symbol] = max(sequences[symbol] ?? 0, sequence) }
        }
    }

    /// The number the symbol's last update was given or passed on with; nil before its first.
    package func sequence(of symbol: String) -> UInt64? {
        sequences.withLock { $0[symbol] }
    }

    package func post(_ event: HubEvent) {
        sequences.withLock { _ in
            relay?.relay(event)
            for shard in shards { shard.post(event) }
        }
    }
}

/// Whatever sees every hub-wide event as it is handed to the shards, in the order they get it (an ingest relaying
/// quotes and the broker's state to other hubs: a quote with the number and the bytes every client gets). Called
/// under the broadcast's lock, on the publishing thread: it must only queue, never wait.
package protocol HubRelay: Sendable {
    func relay(_ event: HubEvent)
}
