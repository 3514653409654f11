import Foundation
import Hub
import Logging
import LwsHost
import NATSLink
import Relay
import Synchronization
import TickhubProcess

/// `--role edge`: a hub with no providers, no database and no simulator. Its upstream, `/api/ibkr/*` and the
/// routes backed by a database go to the leading ingest over NATS; its clients, conflation and backpressure are its
/// own. It listens whether or not NATS is there yet: until it is, its clients are told the feed is lost.
struct EdgeLaunch {
    static func run(_ settings: ScaleOutSettings, server: ServerConfiguration, logger: Logger) async throws {
        let options = EdgeRelay.connectionOptions(settings.options)
        let relaySlot = Mutex<EdgeRelay?>(nil)
        let connection: NATSConnection
        do {
            connection = try NATSConnection.connect(options) { event in
                switch event {
                case .disconnected: logger.warning("NATS: disconnected from \(settings.url); every quote is stale until it is back")
                case .reconnected: logger.notice("NATS: connected to \(settings.url)")
                default: break
                }
                relaySlot.withLock { $0 }?.connectionChanged(event)
            }
        } catch {
            throw ConfigurationError("cannot use NATS at \(settings.url): \(error)")
        }
        let relay = EdgeRelay(connection: connection, settings: .init(
            subjects: settings.subjects, name: settings.name, lease: .milliseconds(Int64(settings.leaseSeconds * 1_000)),
            leaderTTL: .milliseconds(Int64(settings.leaderSeconds * 1_000))))
        relaySlot.withLock { $0 = relay }
        let wiring = HubWiring(upstream: relay.upstream, connection: relay.control, features: [relay.http], charts: relay.upstream, scaleOut: relay)
        let hub = TickhubServer(configuration: server, wiring: wiring)
        let port: Int
        do { port = try await hub.start() } catch {
            connection.close()
            throw error
        }
        do { try relay.start(.server(hub)) } catch {
            await hub.stop()
            connection.close()
            throw ConfigurationError("cannot subscribe on NATS at \(settings.url): \(error)")
        }

        let url = server.url(port: port)
        var lines = ["tickhub: listening url=\(url) port=\(port) threads=\(server.threads)"]
        lines.append("Role: edge \(settings.name) on NATS \(settings.url) (prefix \(settings.subjects.prefix)); quotes, the broker's state and the positions come from the leading ingest (interest lease \(settings.leaseSeconds) s)")
        if server.dashboardDirectory != nil { lines.append("Open the dashboard: \(url)") }
        FileHandle.standardOutput.write(Data(lines.map { $0 + "\n" }.joined().utf8))

        // The server stops first (1001 to its clients), then the relay and the connection.
        try await ProcessLifecycle.run([
            .init("relay") {
                relay.stop()
                connection.close()
            },
            .init("server") { [logger] in
                logger.notice("shutting down")
                await hub.stop()
            },
        ], logger: logger)
    }
}
