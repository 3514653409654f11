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

/// The `process_*` metrics of a registry, brought up to date when scraped. Each is registered only once it has
/// been read, so that a process whose /proc cannot be read shows none rather than zeros.
final class ProcessScrape: Sendable {
    private let registry: PrometheusCollectorRegistry
    /// The CPU seconds already counted (a Prometheus counter only grows, by what was spent since), and the metrics
    /// made so far, by name.
    private let state = Mutex<(counted: Double, gauges: [String: Prometheus.Gauge], cpu: Prometheus.Counter?)>((0, [:], nil))

    init(registry: PrometheusCollectorRegistry) { self.registry = registry }

    func refresh() {
        guard let figures = ProcessFigures.current() else { return }
        state.withLock { state in
            let cpu = state.cpu ?? registry.makeCounter(
                descriptor: .named("process_cpu_seconds_total", help: "Total user and system CPU time spent in seconds."))
            state.cpu = cpu
            if figures.cpuSeconds > state.counted {
                cpu.increment(by: figures.cpuSeconds - state.counted)
                state.counted = figures.cpuSeconds
            }
            let readings: [(String, String, Double?)] = [
                ("process_resident_memory_bytes", "Resident memory size in bytes.", figures.residentBytes),
                ("process_virtual_memory_bytes", "Virtual memory size in bytes.", figures.virtualBytes),
                ("process_start_time_seconds", "Start time of the process since unix epoch in seconds.", figures.startTimeSeconds),
                ("process_open_fds", "Number of open file descriptors.", figures.openFileDescriptors),
                ("process_max_fds", "Maximum number of open file descriptors.", figures.maxFileDescriptors),
            ]
            for case let (name, help, value?) in readings {
                let gauge = state.gauges[name] ?? registry.makeGauge(descriptor: .named(name, help: help))
                state.gauges[name] = gauge
                gauge.set(value)
            }
        }
    }
}
