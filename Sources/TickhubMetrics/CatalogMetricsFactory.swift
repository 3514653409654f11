import CoreMetrics
import Prometheus

/// swift-metrics onto a swift-prometheus registry, each metric made with its HELP text from `MetricCatalog`.
/// (`PrometheusMetricsFactory` makes every metric without help, and the registry refuses a second, different help for
/// a name, so the two cannot be mixed for one metric.)
struct CatalogMetricsFactory: MetricsFactory {
    let registry: PrometheusCollectorRegistry

    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        registry.makeCounter(descriptor: .named(label, help: MetricCatalog.help(for: label)), labels: dimensions)
    }

    func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        registry.makeCounter(descriptor: .named(label, help: MetricCatalog.help(for: label)), labels: dimensions)
    }

    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        let help = MetricCatalog.help(for: label)
        guard aggregate else { return registry.makeGauge(descriptor: .named(label, help: help), labels: dimensions) }
        return registry.makeValueHistogram(descriptor: .named(label, help: help), labels: dimensions, buckets: Self.valueBuckets)
    }

    func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        registry.makeGauge(descriptor: .named(label, help: MetricCatalog.help(for: label)), labels: dimensions)
    }

    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        registry.makeDurationHistogram(descriptor: .named(label, help: MetricCatalog.help(for: label)), labels: dimensions, buckets: Self.durationBuckets)
    }

    func destroyCounter(_ handler: any CounterHandler) {
        if let counter = handler as? Prometheus.Counter { registry.unregisterCounter(counter) }
    }

    func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {
        if let counter = handler as? Prometheus.Counter { registry.unregisterCounter(counter) }
    }

    func destroyRecorder(_ handler: any RecorderHandler) {
        if let gauge = handler as? Prometheus.Gauge { registry.unregisterGauge(gauge) }
        if let histogram = handler as? ValueHistogram { registry.unregisterValueHistogram(histogram) }
    }

    func destroyMeter(_ handler: any MeterHandler) {
        if let gauge = handler as? Prometheus.Gauge { registry.unregisterGauge(gauge) }
    }

    func destroyTimer(_ handler: any TimerHandler) {
        if let histogram = handler as? DurationHistogram { registry.unregisterDurationHistogram(histogram) }
    }

    static let valueBuckets: [Double] = [0.001, 0.01, 0.1, 1, 10, 100, 1_000]
    static let durationBuckets: [Duration] = [.milliseconds(1), .milliseconds(10), .milliseconds(100), .seconds(1), .seconds(10)]
}

extension MetricNameDescriptor {
    /// A descriptor for a name already whole (`tickhub_failovers_total`), as swift-metrics labels and this project's
    /// metrics are spelt.
    static func named(_ name: String, help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }
}
