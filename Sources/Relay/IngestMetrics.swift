import CoreMetrics
import Synchronization
import TickhubMetrics

/// The ingest's relay figures in `/metrics` (`tickhub_relay_*`), and the same figures for `/api/health` and tests.
public final class IngestMetrics: Sendable {
    private let quotes = CoreMetrics.Counter(label: MetricCatalog.relayPublished, dimensions: [("kind", "quote")])
    private let statuses = CoreMetrics.Counter(label: MetricCatalog.relayPublished, dimensions: [("kind", "status")])
    private let failures = CoreMetrics.Counter(label: MetricCatalog.relayPublishFailures)
    private let overflow = CoreMetrics.Counter(label: MetricCatalog.relayQueueDropped)
    private let leaderGauge = CoreMetrics.Gauge(label: MetricCatalog.relayLeader)
    private let epochGauge = CoreMetrics.Gauge(label: MetricCatalog.relayEpoch)
    private let edgesGauge = CoreMetrics.Gauge(label: MetricCatalog.relayInterestEdges)
    private let symbolsGauge = CoreMetrics.Gauge(label: MetricCatalog.relayInterestSymbols)
    private let takeovers = CoreMetrics.Counter(label: MetricCatalog.relayLeadership)

    private let counts = Mutex(Figures())

    /// What the relay has done since the process started.
    public struct Figures: Sendable, Equatable {
        public var quotesPublished = 0
        public var statusPublished = 0
        public var publishFailures = 0
        public var queueDropped = 0
        public var leading = false
        public var epoch: UInt64?
        public var edges = 0
        public var symbols = 0
        public var timesLed = 0
    }

    public init() {
        leaderGauge.record(0)
        epochGauge.record(0)
        edgesGauge.record(0)
        symbolsGauge.record(0)
    }

    public var figures: Figures { counts.withLock { $0 } }

    func published(quotes quoteCount: Int, status statusCount: Int, failed: Int) {
        if quoteCount > 0 { quotes.increment(by: quoteCount) }
        if statusCount > 0 { statuses.increment(by: statusCount) }
        if failed > 0 { failures.increment(by: failed) }
        counts.withLock {
            $0.quotesPublished += quoteCount
            $0.statusPublished += statusCount
            $0.publishFailures += failed
        }
    }

    func dropped(_ count: Int) {
        overflow.increment(by: count)
        counts.withLock { $0.queueDropped += count }
    }

    func leading(epoch: UInt64?) {
        leaderGauge.record(epoch == nil ? 0 : 1)
        if let epoch {
            epochGauge.record(Int64(clamping: epoch))
            takeovers.increment()
        }
        counts.withLock {
            $0.leading = epoch != nil
            if let epoch {
                $0.epoch = epoch
                $0.timesLed += 1
            }
        }
    }

    func interest(edges: Int, symbols: Int) {
        edgesGauge.record(edges)
        symbolsGauge.record(symbols)
        counts.withLock {
            $0.edges = edges
            $0.symbols = symbols
        }
    }
}
