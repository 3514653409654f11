import CoreMetrics
import Prometheus
import Synchronization

/// The process's one registry of metrics counted off the fan-out path: swift-metrics counters from the providers
/// (`MetricCatalog`), the build, and the process's own figures, read when asked for. The fan-out's own counts are
/// plain integers on each service thread, rendered beside this registry's text by the hub (`Metrics.render`).
public enum ProcessMetrics {
    public static let registry = PrometheusCollectorRegistry()
    private static let scrape = ProcessScrape(registry: registry)

    /// Sends swift-metrics to the registry and records the build; once per process, before any part counts.
    public static func bootstrap(version: String, commit: String) {
        MetricsSystem.bootstrap(CatalogMetricsFactory(registry: registry))
        registry.makeGauge(
            descriptor: .named("tickhub_build_info", help: "The build this process runs (always 1): its version and git commit."),
            labels: [("version", version), ("commit", commit)]).set(1.0)
    }

    /// The registry's text exposition, the process's figures read afresh.
    public static func exposition() -> [UInt8] {
        scrape.refresh()
        return registry.emitToBuffer()
    }
}

/// The `process_*` metrics of a registry, brought up to date when scraped.
final class ProcessScrape: Sendable {
    private let cpu: Prometheus.Counter
    private let resident, virtual, start, open, max: Prometheus.Gauge
    /// The CPU seconds already counted: a Prometheus counter only grows, by what was spent since.
    private let counted = Mutex(0.0)

    init(registry: PrometheusCollectorRegistry) {
        cpu = registry.makeCounter(descriptor: .named("process_cpu_seconds_total", help: "Total user and system CPU time spent in seconds."))
        resident = registry.makeGauge(descriptor: .named("process_resident_memory_bytes", help: "Resident memory size in bytes."))
        virtual = registry.makeGauge(descriptor: .named("process_virtual_memory_bytes", help: "Virtual memory size in bytes."))
        start = registry.makeGauge(descriptor: .named("process_start_time_seconds", help: "Start time of the process since unix epoch in seconds."))
        open = registry.makeGauge(descriptor: .named("process_open_fds", help: "Number of open file descriptors."))
        max = registry.makeGauge(descriptor: .named("process_max_fds", help: "Maximum number of open file descriptors."))
    }

    func refresh() {
        guard let figures = ProcessFigures.current() else { return }
        counted.withLock { counted in
            guard figures.cpuSeconds > counted else { return }
            cpu.increment(by: figures.cpuSeconds - counted)
            counted = figures.cpuSeconds
        }
        resident.set(figures.residentBytes)
        virtual.set(figures.virtualBytes)
        start.set(figures.startTimeSeconds)
        if let fds = figures.openFileDescriptors { open.set(fds) }
        if let fds = figures.maxFileDescriptors { max.set(fds) }
    }
}
