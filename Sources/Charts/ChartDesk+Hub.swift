import Hub
import Store

/// The hub tells the desk which series its clients want, across every shard.
extension ChartDesk: ChartUpstream {}

/// Bars are kept in the positions database, beside the last quotes.
extension PositionStore: BarArchive {}
