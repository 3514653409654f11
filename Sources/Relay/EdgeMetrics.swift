import CoreMetrics
import Synchronization
import TickhubMetrics

/// The edge's relay figures in `/metrics` (`tickhub_relay_*`), and the same figures for tests: what arrived over
/// NATS, what was dropped as from an older epoch or refused as malformed, messages NATS dropped because this edge
/// fell behind (slow consumer), and whether the feed is lost now.
public final class EdgeMetrics: Sendable {
    private let quotes = CoreMetrics.Counter(label: MetricCatalog.relayReceived, dimensions: [("kind", "quote")])
    private let statuses = CoreMetrics.Counter(label: MetricCatalog.relayReceived, dimensions: [("kind", "status")])
    private let oldEpoch = CoreMetrics.Counter(label: MetricCatalog.relayOldEpochDropped)
    private let refusals = CoreMetrics.Counter(label: MetricCatalog.relayRefused)
    private let slow = CoreMetrics.Counter(label: MetricCatalog.relaySlowConsumer)
    private let lostGauge = CoreMetrics.Gauge(label: MetricCatalog.relayFeedLost)
    private let counts = Mutex(Figures())

    public struct Figures: Sendable, Equatable {
        public var quotesReceived = 0
        public var statusReceived = 0
        public var oldEpochDropped = 0
        /// Messages that were not what they must be (a quote's bytes, a status's JSON).
        public var refused = 0
        /// Times NATS reported this edge a slow consumer (it dropped messages for it).
        public var slowConsumer = 0
        public var feedLosses = 0
        public var feedLost = false
        /// The newest epoch heard.
        public var epoch: UInt64 = 0
    }

    public init() {
        lostGauge.record(0)
    }

    public var figures: Figures { counts.withLock { $0 } }

    func received(quote: Bool) {
        (quote ? quotes : statuses).increment()
        counts.withLock { quote ? ($0.quotesReceived += 1) : ($0.statusReceived += 1) }
    }

    func droppedOldEpoch() {
        oldEpoch.increment()
        counts.withLock { $0.oldEpochDropped += 1 }
    }

    func refused() {
        refusals.increment()
        counts.withLock { $0.refused += 1 }
    }

    func slowConsumer() {
        slow.increment()
        counts.withLock { $0.slowConsumer += 1 }
    }

    func feed(lost: Bool) {
        lostGauge.record(lost ? 1 : 0)
        counts.withLock {
            if lost, !$0.feedLost { $0.feedLosses += 1 }
            $0.feedLost = lost
        }
    }

    func epoch(_ epoch: UInt64) {
        counts.withLock { $0.epoch = max($0.epoch, epoch) }
    }
}
