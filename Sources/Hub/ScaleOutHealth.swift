import HubProtocol

/// This process's part in a scaled-out Tickhub (an ingest or an edge), for `/api/health`'s `scaleOut` object: asked
/// on a shard's thread while the answer is written, so it answers from what it holds, at once.
package protocol ScaleOutHealth: Sendable {
    /// The members of the `scaleOut` object: `role`, `state`, `epoch`, `nats`, and what else the role reports.
    func writeHealth(into w: inout JSONWriter)
}
