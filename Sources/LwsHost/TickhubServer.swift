import Hub
import HubProtocol
import CLws
import CLwsShim
import Foundation
import Logging
import TickhubCore

/// Tickhub's HTTP and WebSocket server on libwebsockets, on a libuv loop of its own thread.
///
/// Other threads talk to it only through `publish…` and `stop`, which queue a command and wake the service
/// thread with `lws_cancel_service`, the one lws call that is safe from another thread. Everything else
/// (sockets, subscriptions, the quote book) lives on the service thread.
public final class TickhubServer: Sendable, FanoutHost {
    enum Command {
        case quote(Quote, receivedAt: Timestamp)
        case availability(String, SymbolAvailability)
        case ibkrStatus(BrokerConnectionStatus)
        case providerHealth([ProviderHealth])
        case holdings(broker: String, [Holding])
        case balances(broker: String, [AccountBalance])
        case sourceChanged(symbol: String, from: QuoteSource?, to: QuoteSource?, reason: String)
        case reply(Int, HTTPResponse)
        case database(problem: String?)
        case housekeeping(secondElapsed: Bool)
        case stop
    }

    struct Shared {
        var commands: [Command] = []
        var wakePending = false
        var context: OpaquePointer?
        var loop: UnsafeMutableRawPointer?
    }

    public let configuration: ServerConfiguration
    let wiring: HubWiring
    let logger: Logger
    private let shared = Guarded(Shared())
    /// The fan-out state, confined to the service thread (set there, read there).
    let confined = Confined()
    private let stopped = Guarded<CheckedContinuation<Void, Never>?>(nil)
    private let timer = Guarded<DispatchSourceTimer?>(nil)

    final class Confined: @unchecked Sendable {
        var hub: FanoutHub?
        var pacer: FlushPacer?
        /// The protocol whose receive buffer size is raised for a publisher's handshake (`raiseReceiveBuffer`).
        var raisedReceiveBuffer: UnsafeMutablePointer<lws_protocols>?
        var stopping = false
        var stopDeadline: Int64 = 0
        /// Requests whose bodies are still arriving, by exchange id.
        var pendingBodies: [Int: HTTPRequest] = [:]
        /// HEAD requests by exchange id: answered as GET, without the body.
        var headRequests: Set<Int> = []
        /// Exchanges whose connection closes once answered: what follows them on the wire cannot be trusted.
        var closeAfterReply: Set<Int> = []
    }

    package init(configuration: ServerConfiguration, wiring: HubWiring, logger: Logger = Logger(label: "tickhub.server")) {
        self.configuration = configuration
        self.wiring = wiring
        self.logger = logger
    }

    // MARK: From any thread

    /// Hands a quote to the fan-out; it is encoded once there, on the service thread.
    public func publish(_ quote: Quote) {
        enqueue(.quote(quote, receivedAt: WallClock.system.now()))
    }

    public func publishAvailability(_ symbol: String, _ availability: SymbolAvailability) {
        enqueue(.availability(symbol, availability))
    }

    public func publishIBKRStatus(_ status: BrokerConnectionStatus) {
        enqueue(.ibkrStatus(status))
    }

    /// Replaces a broker's positions; they are valued against live quotes on the service thread.
    public func publishHoldings(broker: String, _ holdings: [Holding]) {
        enqueue(.holdings(broker: broker, holdings))
    }

    public func publishBalances(broker: String, _ values: [AccountBalance]) {
        enqueue(.balances(broker: broker, values))
    }

    public func publishProviderHealth(_ health: [ProviderHealth]) {
        enqueue(.providerHealth(health))
    }

    /// Tells the symbol's subscribers where its quotes come from now, and why.
    public func publishSourceChange(symbol: String, from: QuoteSource?, to: QuoteSource?, reason: String) {
        enqueue(.sourceChanged(symbol: symbol, from: from, to: to, reason: reason))
    }

    /// The outcome of the latest database write: nil when it worked, else why not (shown by `/api/health`).
    package func reportDatabase(_ problem: String?) {
        enqueue(.database(problem: problem))
    }

    package func reply(_ exchange: Int, _ response: HTTPResponse) {
        enqueue(.reply(exchange, response))
    }

    package func file(_ path: String, in directory: String?) -> HTTPResponse {
        StaticFiles.shared.response(for: path, in: directory)
    }


    private func enqueue(_ command: Command) {
        shared.withLock { state in
            state.commands.append(command)
            guard !state.wakePending, let context = state.context else { return }
            state.wakePending = true
            // Under the lock that `stop` takes before destroying the context, so it never races the destroy.
            lws_cancel_service(context)
        }
    }

    // MARK: Lifecycle

    /// Starts listening; returns the bound port (useful with port 0).
    public func start() async throws -> Int {
        let port: Int = try await withCheckedThrowingContinuation { started in
            let thread = Thread { [self] in serve(started: started) }
            thread.name = "tickhub-lws"
            thread.stackSize = 4 << 20
            thread.start()
        }
        let source = DispatchSource.makeTimerSource(queue: .global())
        var ticks = 0
        source.schedule(deadline: .now() + .milliseconds(100), repeating: .milliseconds(100))
        source.setEventHandler { [self] in
            ticks += 1
            enqueue(.housekeeping(secondElapsed: ticks % 10 == 0))
        }
        source.resume()
        timer.withLock { $0 = source }
        return port
    }

    /// Sends every client a close frame (1001), stops listening and returns when the service thread is done.
    public func stop() async {
        timer.withLock { $0?.cancel(); $0 = nil }
        let running = shared.withLock { $0.context != nil }
        guard running else { return }
        await withCheckedContinuation { done in
            stopped.withLock { $0 = done }
            enqueue(.stop)
        }
    }

    private func serve(started: CheckedContinuation<Int, Error>) {
        // lws reports an address it cannot bind only as a failed vhost, and one that is not on this machine
        // not at all (it waits for the interface to appear): a bind of our own first says which, and why.
        if clws_probe_bind(configuration.host, Int32(configuration.port)) != 0 {
            started.resume(throwing: ServerError.startFailed(listenFailure()))
            return
        }
        lws_set_log_level(LLL_ERR | LLL_WARN, nil)
        guard let loop = clws_uv_loop_new() else {
            started.resume(throwing: ServerError.startFailed("could not create the libuv loop"))
            return
        }
        var loops: [UnsafeMutableRawPointer?] = [loop]
        let protocols = LwsProtocols.shared
        let certificate = configuration.tls.map { strdup($0.certificate) } ?? nil
        let privateKey = configuration.tls.map { strdup($0.privateKey) } ?? nil
        defer {
            free(certificate)
            free(privateKey)
        }
        let context: OpaquePointer? = configuration.host.withCString { host in
            loops.withUnsafeMutableBufferPointer { loopList in
                var info = lws_context_creation_info()
                info.port = Int32(configuration.port)
                info.iface = host
                info.protocols = UnsafePointer(protocols.list)
                info.options = UInt64(LWS_SERVER_OPTION_LIBUV) | UInt64(LWS_SERVER_OPTION_VALIDATE_UTF8)
                    | UInt64(LWS_SERVER_OPTION_DISABLE_IPV6)
                if configuration.tls != nil {
                    info.options |= UInt64(LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT)
                    info.ssl_cert_filepath = UnsafePointer(certificate)
                    info.ssl_private_key_filepath = UnsafePointer(privateKey)
                }
                info.foreign_loops = loopList.baseAddress
                info.user = Unmanaged.passUnretained(self).toOpaque()
                // lws's validity checks keep a timer per connection in a sorted list, which makes each accept
                // O(connections) (its default policy has them too): a zero policy turns them off, and housekeeping
                // pings idle clients instead.
                info.retry_and_idle_policy = UnsafePointer(LwsProtocols.shared.noValidityChecks)
                info.pt_serv_buf_size = 64 * 1024
                // Room for a 1,000-symbol /quotes URL, and limits that make a longer one a 414, not a hang-up.
                info.max_http_header_data2 = LwsRequestReader.headerBufferBytes
                info.token_limits = UnsafePointer(protocols.tokenLimits)
                return lws_create_context(&info)
            }
        }
        // lws 4.1 returns a context even when its vhost could not listen; without a vhost there is no server.
        let vhost = context.flatMap { lws_get_vhost_by_name($0, "default") }
        let port = vhost.map { Int(lws_get_vhost_listen_port($0)) } ?? 0
        guard let context, vhost != nil, port > 0 else {
            // Left as they are: destroying a context whose vhost failed and then running the loop's close
            // callbacks crashes in lws 4.1, and the process is about to exit on this error anyway.
            started.resume(throwing: ServerError.startFailed(listenFailure()))
            return
        }
        let hub = FanoutHub(configuration: configuration, host: self, wiring: wiring, frameHeadroom: LwsConnection.headroom)
        confined.hub = hub
        confined.pacer = FlushPacer(context: context, clock: hub.clock) { [weak self] in self?.confined.hub?.flushWrites() }
        shared.withLock {
            $0.context = context
            $0.loop = loop
        }
        logger.notice("listening on \(configuration.url(port: port))")
        started.resume(returning: port)

        clws_uv_loop_run(loop)

        shared.withLock { $0.context = nil; $0.commands.removeAll() }
        confined.pacer?.close()
        confined.pacer = nil
        lws_context_destroy(context)
        clws_uv_loop_close(loop)
        confined.hub = nil
        logger.notice("stopped")
        stopped.withLock { $0?.resume(); $0 = nil }
    }

    /// Why the listening socket could not be had, as the kernel tells it to a bind of our own.
    private func listenFailure() -> String {
        let address = "\(configuration.host):\(configuration.port)"
        let error = clws_probe_bind(configuration.host, Int32(configuration.port))
        switch error {
        case 0:
            return configuration.tls != nil
                ? "cannot listen on \(address): the TLS certificate or private key was refused (see the lws error above)"
                : "cannot listen on \(address): libwebsockets could not create its listener"
        case EADDRINUSE: return "cannot listen on \(address): the port is already in use by another process"
        case EADDRNOTAVAIL: return "cannot listen on \(address): \(configuration.host) is not an address of this machine"
        case EACCES: return "cannot listen on \(address): permission denied (ports below 1024 need privileges)"
        default: return "cannot listen on \(address): \(String(cString: strerror(error)))"
        }
    }

    // MARK: On the service thread

    /// Runs the commands queued since the last wake-up.
    func drain() {
        let commands = shared.withLock { state -> [Command] in
            state.wakePending = false
            defer { state.commands.removeAll(keepingCapacity: true) }
            return state.commands
        }
        guard let hub = confined.hub else { return }
        for command in commands {
            switch command {
            case let .quote(quote, receivedAt): hub.publish(quote, receivedAt: receivedAt)
            case let .availability(symbol, state): hub.setAvailability(symbol, state)
            case let .ibkrStatus(status): hub.setBrokerStatus(status)
            case let .providerHealth(health): hub.providerHealth = health
            case let .holdings(broker, list): hub.setHoldings(broker, list)
            case let .balances(broker, values): hub.setBalances(broker, values)
            case let .sourceChanged(symbol, from, to, reason): hub.sourceChanged(symbol, from: from, to: to, reason: reason)
            case let .database(problem): hub.databaseProblem = problem
            case let .reply(id, response):
                hub.exchanges.answer(id, response)
            case let .housekeeping(secondElapsed):
                hub.housekeeping(secondElapsed: secondElapsed)
                if confined.stopping, hub.clients.isEmpty || hub.clock.nowMicros() > confined.stopDeadline { finishStop() }
            case .stop:
                beginStop(hub)
            }
        }
    }

    private func beginStop(_ hub: FanoutHub) {
        guard !confined.stopping else { return }
        confined.stopping = true
        confined.stopDeadline = hub.clock.nowMicros() + 1_000_000
        // Keep housekeeping ticking so the deadline is honoured even with no other traffic.
        let source = DispatchSource.makeTimerSource(queue: .global())
        source.schedule(deadline: .now() + .milliseconds(50), repeating: .milliseconds(50))
        source.setEventHandler { [self] in enqueue(.housekeeping(secondElapsed: false)) }
        source.resume()
        timer.withLock { $0 = source }
        if hub.clients.isEmpty { finishStop(); return }
        // Close from here, outside the clients' own callbacks: lws then sends the close frame (1001) and waits
        // for the client's reply. A nonzero return from SERVER_WRITEABLE would instead mark the socket unusable
        // and drop it without a close frame (lws 4.1). CLOSED callbacks may run during the loop, so iterate a copy.
        for client in Array(hub.clients.all) {
            client.connection.close(status: 1001, reason: "server shutting down")
        }
    }

    private func finishStop() {
        timer.withLock { $0?.cancel(); $0 = nil }
        if let loop = shared.withLock({ $0.loop }) { clws_uv_loop_stop(loop) }
    }

    package var isStopping: Bool { confined.stopping }

    /// What is pending goes out now or within `FlushPacer.interval`.
    func flushSoon(_ hub: FanoutHub) {
        guard let pacer = confined.pacer else { return hub.flushWrites() }
        pacer.request(now: hub.clock.nowMicros())
    }

    public enum ServerError: Error, CustomStringConvertible {
        case startFailed(String)
        public var description: String {
            switch self {
            case let .startFailed(why): why
            }
        }
    }
}
