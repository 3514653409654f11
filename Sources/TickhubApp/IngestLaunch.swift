import AsyncHTTPClient
import Foundation
import Hub
import Logging
import LwsHost
import MarketData
import NATSLink
import NIOSSL
import Relay
import ScaleOut
import Synchronization

/// `--role ingest`: the relay made before the hub (the hub hands it every event), started once the hub listens, with
/// the providers running only while this process leads. The first lead starts the provider manager; after a step
/// down the IBKR session is closed (there must never be two with one client id) and opened again on the next lead.
struct IngestLaunch {
    let relay: IngestRelay
    let connection: NATSConnection
    let logger: Logger

    static func connect(_ settings: ScaleOutSettings, logger: Logger) async throws -> IngestLaunch {
        var options = settings.options
        // A lease renewal or a quote sent while NATS is away is refused at once, never sent late on reconnection.
        options.bufferWhileReconnecting = false
        let connection: NATSConnection
        do {
            connection = try NATSConnection.connect(options) { event in
                switch event {
                case .disconnected: logger.warning("NATS: disconnected from \(settings.url); the lead is given up unless it comes back in time")
                case .reconnected: logger.notice("NATS: connected again to \(settings.url)")
                case let .error(text): logger.warning("NATS: \(text)")
                case let .slowConsumer(subject): logger.warning("NATS: this ingest is a slow consumer of \(subject)")
                case .closed: break
                }
            }
        } catch {
            throw ConfigurationError("cannot reach NATS at \(settings.url): \(error)")
        }
        // The buckets are bound once NATS answers: an ingest may start before its NATS server does, standing by.
        let relay = IngestRelay(connection: connection, settings: .init(
            subjects: settings.subjects, name: settings.name, leaderTTL: .milliseconds(Int64(settings.leaderSeconds * 1_000))))
        return IngestLaunch(relay: relay, connection: connection, logger: logger)
    }

    /// Starts answering edges and running for the lead; returns what stops it.
    func start(server: TickhubServer, configuration: ServerConfiguration, port: Int, link: IBKRLink,
               manager: DataProviderManager) throws -> @Sendable () async -> Void {
        // Relayed HTTP requests go to this hub's own port on loopback, with its own token; TLS to itself is not
        // verified (it is this process's own certificate).
        let scheme = configuration.tls == nil ? "http" : "https"
        let host = configuration.host == "0.0.0.0" || configuration.host == "::" ? "127.0.0.1" : configuration.host
        var clientConfiguration = HTTPClient.Configuration()
        clientConfiguration.timeout = .init(connect: .seconds(3), read: .seconds(30))
        if configuration.tls != nil {
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.certificateVerification = .none
            clientConfiguration.tlsConfiguration = tls
        }
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: clientConfiguration)
        let local = IngestControl.LocalHTTP(
            baseURL: "\(scheme)://\(host.contains(":") ? "[\(host)]" : host):\(port)", token: configuration.token,
            host: configuration.host == "0.0.0.0" ? configuration.allowedHosts.first.map { "\($0):\(port)" } : nil, client: client)
        let started = Mutex(false)
        do {
            try relay.start(.server(server, control: link, local: local)) { [logger] run in
                if run {
                    if started.withLock({ was in defer { was = true }; return was }) {
                        logger.notice("leading again: IBKR connects")
                        await link.setConnected(true)
                    } else {
                        logger.notice("leading: the providers start")
                        await manager.start()
                    }
                } else {
                    logger.warning("standing by: IBKR disconnects, and no quote goes out until this process leads again")
                    await link.setConnected(false)
                }
            }
        } catch {
            try? client.syncShutdown()
            throw ConfigurationError("cannot subscribe on NATS: \(error)")
        }
        let relay = relay, connection = connection
        return {
            await relay.stop()
            try? await client.shutdown()
            connection.close()
        }
    }
}
