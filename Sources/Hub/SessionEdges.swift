import TickhubCore

extension FanoutHub {
    /// A quote says whether its market is open; when a session opens or closes without a new quote, the streamed
    /// quotes that now say the wrong thing are sent again, unchanged but for `marketOpen` (and the same `seq`). A
    /// client with the update still pending gets it in its new form instead; the others get it like a snapshot,
    /// outside conflation and the fan-out latency, which measure updates.
    func announceSessionEdges(now: Timestamp) {
        for (entry, bytes) in market.sessionEdges(at: now) {
            let symbol = entry.quote.symbol
            for client in clients.subscribers(of: symbol) {
                if let pending = client.pending[symbol] {
                    client.pending[symbol] = ClientSession.PendingUpdate(bytes: bytes, receivedAt: pending.receivedAt)
                } else {
                    clients.send(bytes.bytes, to: client)
                }
            }
        }
    }
}
