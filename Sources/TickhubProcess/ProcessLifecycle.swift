import Logging
import ServiceLifecycle

/// How every Tickhub executable lives and ends: its parts are started in order by the caller, then run as one
/// `ServiceGroup` until SIGINT or SIGTERM, and stopped one at a time in the reverse order, each after the one
/// started after it has finished stopping. The signals never kill the process mid-write: clients get their close
/// frames and the database is closed.
public enum ProcessLifecycle {
    /// A started part of the process, and how to stop it.
    public struct Part: Service, CustomStringConvertible {
        public let description: String
        let stop: @Sendable () async -> Void

        public init(_ name: String, stop: @escaping @Sendable () async -> Void) {
            description = name
            self.stop = stop
        }

        public func run() async throws {
            // Returns when the group shuts down gracefully; throws only if the group is cancelled instead.
            try? await gracefulShutdown()
            await stop()
        }
    }

    /// Runs until a signal asks the process to end, then stops `parts` last first; returns once all are stopped.
    public static func run(_ parts: [Part], logger: Logger) async throws {
        let configuration = ServiceGroupConfiguration(
            services: parts.map { .init(service: $0, successTerminationBehavior: .gracefullyShutdownGroup) },
            gracefulShutdownSignals: [.sigterm, .sigint], cancellationSignals: [], logger: logger)
        try await ServiceGroup(configuration: configuration).run()
    }
}
