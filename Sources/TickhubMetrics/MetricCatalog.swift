/// What the metrics counted through swift-metrics mean, by name: the HELP line of each in `/metrics`. A module counts
/// with `Counter(label: MetricCatalog.ibkrReconnects)`; the names live here, so that the one registry that renders
/// them can describe every one.
public enum MetricCatalog {
    public static let ibkrReconnects = "tickhub_ibkr_reconnects_total"
    public static let failovers = "tickhub_failovers_total"
    public static let chartBars = "tickhub_chart_bars_total"
    public static let relayPublished = "tickhub_relay_published_total"
    public static let relayPublishFailures = "tickhub_relay_publish_failures_total"
    public static let relayQueueDropped = "tickhub_relay_queue_dropped_total"
    public static let relayLeader = "tickhub_relay_leader"
    public static let relayEpoch = "tickhub_relay_epoch"
    public static let relayLeadership = "tickhub_relay_leaderships_total"
    public static let relayInterestEdges = "tickhub_relay_interest_edges"
    public static let relayInterestSymbols = "tickhub_relay_interest_symbols"
    public static let relayReceived = "tickhub_relay_received_total"
    public static let relayOldEpochDropped = "tickhub_relay_old_epoch_dropped_total"
    public static let relayRefused = "tickhub_relay_refused_total"
    public static let relaySlowConsumer = "tickhub_relay_slow_consumer_total"
    public static let relayFeedLost = "tickhub_relay_feed_lost"

    /// The names that are gauges (a value now, not a count since the start): every other name is a counter, and
    /// ends in `_total`.
    public static let gauges: Set<String> = [relayLeader, relayEpoch, relayInterestEdges, relayInterestSymbols, relayFeedLost]

    static let help: [String: String] = [
        ibkrReconnects: "Connections to TWS / IB Gateway made again after the first (after a loss, a stall, or a disconnect asked for).",
        chartBars: "Bars that backfilled a chart, by where they came from (`from`: `database` for those kept from earlier runs, else the provider).",
        failovers: "Times a symbol's source moved away from the provider `from` (to `to`, or `none` when no provider could serve it).",
        relayPublished: "Messages an ingest published on NATS while it led the feed, by `kind`: `quote` (the hub's encoded quotes) or `status` (broker status, provider health, availability, source changes, holdings, balances).",
        relayPublishFailures: "Messages and key-value writes an ingest could not hand to NATS (the connection closed or its buffer full).",
        relayQueueDropped: "Quotes an ingest dropped before NATS because its queue to NATS was full (NATS stalled for a long while).",
        relayLeader: "1 while this ingest leads the feed (holds the leader's lease and runs the providers), else 0.",
        relayEpoch: "The epoch this ingest last led in (0 before it ever led).",
        relayLeadership: "Times this ingest took the lead (took the lease and the next epoch).",
        relayInterestEdges: "Edge hubs holding a live interest lease at this ingest.",
        relayInterestSymbols: "Symbols wanted by at least one edge's live interest lease at this ingest.",
        relayReceived: "Messages an edge took from NATS, by `kind`: `quote` (passed to its clients as the ingest encoded them) or `status` (broker status, provider health, availability, source changes, holdings, balances).",
        relayOldEpochDropped: "Messages an edge dropped because they came from an older leader's epoch than the newest it heard (an ingest that lost the lead and had not noticed yet).",
        relayRefused: "Messages an edge refused because they were not what they must be (a quote's bytes, a status's JSON).",
        relaySlowConsumer: "Times NATS reported an edge a slow consumer: messages for it were dropped because it fell behind (the ingest and other edges are not slowed).",
        relayFeedLost: "1 while an edge's feed is lost (its NATS link down, or no ingest answering its interest), its quotes marked stale; else 0.",
    ]

    /// A name no one described still gets a HELP line, one that says so.
    static func help(for name: String) -> String {
        help[name] ?? "Undocumented: \(name) has no entry in MetricCatalog."
    }
}
