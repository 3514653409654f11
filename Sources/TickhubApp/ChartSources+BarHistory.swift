import Charts
import MarketData

/// The providers' history, in the manager's order, is where the charts backfill from.
extension ChartSources: BarHistory {}
