import HubProtocol
import TickhubCore

extension FanoutHub {
    /// What feeds the hub is gone (an edge's link to its ingest): no quote in the book can be vouched for, and none
    /// may wait for the next update to say so, which will not come. Each is sent again at once marked stale, the same
    /// but for `stale` and with the same `seq` (like a session's edge), to its subscribers: a client with the update
    /// still pending gets it in its new form instead. Every stream client is told why. The next live update of a
    /// symbol clears its mark.
    func markAllStale(reason: String, now: Timestamp) {
        feedLoss = reason
        for entry in market.book.entries.values where !entry.quote.stale {
            var stale = entry
            stale.quote.stale = true
            let update = EncodedQuote(entry: stale, bytes: QuoteEncoding.encode(stale))
            market.update(update)
            let symbol = stale.quote.symbol
            if interest.held.contains(symbol) || symbol.contains(".") { pnl.dirty = true }
            // Its session as of now: a quote received before a close must not go out saying the market is open.
            let bytes = market.encoded(stale, at: now)
            for client in clients.subscribers(of: symbol) {
                if let pending = client.pending[symbol] {
                    client.pending[symbol] = ClientSession.PendingUpdate(bytes: bytes, receivedAt: pending.receivedAt)
                } else {
                    clients.send(bytes.bytes, to: client)
                }
            }
        }
        tellStreamClients(StreamMessages.feed(lost: reason))
    }

    /// The feed is back: clients hear it, and each symbol's next live update clears its stale mark.
    func feedRestored() {
        guard feedLoss != nil else { return }
        feedLoss = nil
        tellStreamClients(StreamMessages.feed(lost: nil))
    }

    /// A stream client that comes while the feed is lost (once admitted) hears of it first: the quotes it will be
    /// sent are the stale ones the hub still holds.
    func tellOfFeedLoss(_ client: ClientSession) {
        guard let feedLoss, !client.isPublisher, !client.awaitingToken else { return }
        clients.send(StreamMessages.feed(lost: feedLoss), to: client)
    }

    private func tellStreamClients(_ message: [UInt8]) {
        for client in clients.all where !client.isPublisher && !client.awaitingToken { clients.send(message, to: client) }
    }
}

extension StreamMessages {
    /// The hub's own feed (an edge's link to its ingest) lost, with why, or live again.
    static func feed(lost reason: String?) -> [UInt8] {
        var w = JSONWriter()
        w.beginObject()
        w.field("type", "status")
        w.field("feed", reason == nil ? "live" : "lost")
        if let reason { w.field("reason", reason) }
        w.endObject()
        return w.bytes
    }
}
