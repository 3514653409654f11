import TickhubCore

/// Where the hub's bar series come from, as the hub sees it: the chart desk, told which series some client wants.
/// The series and their updates come back through `TickhubServer.publishBarSeries` and `publishBar`.
///
/// Calls arrive one at a time, in the order the hub decided them (`ChartInterest`): a series released and wanted
/// again a moment later ends followed.
public protocol ChartUpstream: Sendable {
    /// The first client anywhere (on any shard) wants these series.
    func follow(_ keys: [BarKey]) async
    /// No client anywhere wants them any more.
    func release(_ keys: [BarKey]) async
}
