/// What the metrics counted through swift-metrics mean, by name: the HELP line of each in `/metrics`. A module counts
/// with `Counter(label: MetricCatalog.ibkrReconnects)`; the names live here, so that the one registry that renders
/// them can describe every one.
public enum MetricCatalog {
    public static let ibkrReconnects = "tickhub_ibkr_reconnects_total"
    public static let failovers = "tickhub_failovers_total"
    public static let chartBars = "tickhub_chart_bars_total"

    static let help: [String: String] = [
        ibkrReconnects: "Connections to TWS / IB Gateway made again after the first (after a loss, a stall, or a disconnect asked for).",
        chartBars: "Bars that backfilled a chart, by where they came from (`from`: `database` for those kept from earlier runs, else the provider).",
        failovers: "Times a symbol's source moved away from the provider `from` (to `to`, or `none` when no provider could serve it).",
    ]

    /// A name no one described still gets a HELP line, one that says so.
    static func help(for name: String) -> String {
        help[name] ?? "Undocumented: \(name) has no entry in MetricCatalog."
    }
}
