import CLws
import CLwsShim
import Foundation
import Hub
import HubProtocol
import Logging
import TickhubCore

/// One of the server's shards: a libwebsockets context on a libuv loop of its own thread, with the fan-out of the
/// clients it accepted. lws is built here with one service thread per context (LWS_MAX_SMP 1), so more cores mean
/// more contexts: each shard listens on the server's port beside the others (SO_REUSEPORT) and the kernel gives
/// each new connection to one of them.
///
/// Other threads talk to it only by queueing a command (`post`, `reply`, `figures`, `stop`), which wakes the service
/// thread with `lws_cancel_service`, the one lws call that is safe from another thread. Everything else (sockets,
/// subscriptions, its copy of the quote book) lives on the service thread.
final class LwsShard: Sendable, FanoutHost, ShardInbox {
    enum Command {
        case event(HubEvent)
        case reply(Int, HTTPResponse)
        case figures(CheckedContinuation<ShardFigures, Never>)
        case housekeeping(secondElapsed: Bool)
        case stop

        /// Whether it may run inside a client's callback (`catchUp`): it closes no connection.
        var runsInsideCallbacks: Bool {
            switch self {
            case .event, .reply, .figures: true
            case .housekeeping, .stop: false
            }
        }
    }

    /// What a running shard reaches of the server: every shard, itself included, and the broadcast that tells them
    /// all. Held only while the shard runs, so that shards and server do not keep each other alive.
    struct Fleet: Sendable {
        let shards: [LwsShard]
        let broadcast: HubBroadcast
    }

    struct Shared {
        var commands: [Command] = []
        var wakePending = false
        var context: OpaquePointer?
        var loop: UnsafeMutableRawPointer?
        var fleet: Fleet?
    }

    let place: ShardPlace
    let configuration: ServerConfiguration
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
        /// With `server.allowedOrigins` set: each exchange's `Origin` ("" for none), for the CORS headers of its answer.
        var requestOrigins: [Int: String] = [:]
    }

    init(place: ShardPlace, configuration: ServerConfiguration, wiring: HubWiring, logger: Logger) {
        self.place = place
        self.configuration = configuration
        self.wiring = wiring
        self.logger = logger
    }

    // MARK: From any thread

    func post(_ event: HubEvent) { enqueue(.event(event)) }

    func reply(_ exchange: Int, _ response: HTTPResponse) { enqueue(.reply(exchange, response)) }

    func tellEveryShard(_ event: HubEvent) { shared.withLock { $0.fleet }?.broadcast.post(event) }

    func file(_ path: String, in directory: String?) -> HTTPResponse {
        StaticFiles.shared.response(for: path, in: directory)
    }

    func otherShards() async -> [ShardFigures] {
        guard let fleet = shared.withLock({ $0.fleet }) else { return [] }
        return await withTaskGroup(of: ShardFigures.self) { group in
            for shard in fleet.shards where shard !== self { group.addTask { await shard.figures() } }
            return await group.reduce(into: []) { $0.append($1) }
        }
    }

    /// The shard's figures, taken on its service thread; a shard that is not running has no clients to count.
    func figures() async -> ShardFigures {
        await withCheckedContinuation { answer in
            // Queued only while the loop runs: the commands left when it stops are answered (`serve`), the ones
            // after it would never be.
            let queued = shared.withLock { state in
                guard state.context != nil else { return false }
                Self.append(.figures(answer), to: &state)
                return true
            }
            if !queued { answer.resume(returning: ShardFigures(shard: place.index)) }
        }
    }

    private func enqueue(_ command: Command) {
        shared.withLock { Self.append(command, to: &$0) }
    }

    private static func append(_ command: Command, to state: inout Shared) {
        state.commands.append(command)
        guard !state.wakePending, let context = state.context else { return }
        state.wakePending = true
        // Under the lock that the service thread takes before destroying the context, so it never races the destroy.
        lws_cancel_service(context)
    }

    // MARK: Lifecycle

    /// Starts listening on `port` (0, for the first shard: a free one); returns the port bound.
    func start(port: Int, fleet: Fleet) async throws -> Int {
        shared.withLock { $0.fleet = fleet }
        let bound: Int = try await withCheckedThrowingContinuation { started in
            let thread = Thread { [self] in serve(port: port, started: started) }
            thread.name = "tickhub-lws-\(place.index)"
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
        return bound
    }

    /// Sends every client a close frame (1001), stops listening and returns when the service thread is done.
    func stop() async {
        timer.withLock { $0?.cancel(); $0 = nil }
        let running = shared.withLock { $0.context != nil }
        guard running else { return }
        await withCheckedContinuation { done in
            stopped.withLock { $0 = done }
            enqueue(.stop)
        }
    }

    private func serve(port requested: Int, started: CheckedContinuation<Int, Error>) {
        let first = place.index == 0
        // lws reports an address it cannot bind only as a failed vhost, and one that is not on this machine
        // not at all (it waits for the interface to appear): a bind of our own first says which, and why. A plain
        // bind, without SO_REUSEPORT, so that another process on the port is refused even if it shares its
        // listener; the shards after the first bind the port the first one holds.
        if first, clws_probe_bind(configuration.host, Int32(requested)) != 0 {
            fail(started, listenFailure(port: requested))
            return
        }
        let sharing = place.count > 1
        if sharing, clws_listen_share_tap_installed() == 0 {
            fail(started, "server.threads is \(place.count), but this executable cannot share a listening port between service threads (no bind tap): use 1")
            return
        }
        guard let loop = clws_uv_loop_new() else {
            fail(started, "could not create the libuv loop")
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
                info.port = Int32(requested)
                info.iface = host
                info.protocols = UnsafePointer(protocols.list)
                info.options = UInt64(LWS_SERVER_OPTION_LIBUV) | UInt64(LWS_SERVER_OPTION_VALIDATE_UTF8)
                    | UInt64(LWS_SERVER_OPTION_DISABLE_IPV6)
                // What lws would need to share the port; 4.1 acts on it only in a context of several service threads,
                // so the listener gets its SO_REUSEPORT from the bind tap (clws_share_listeners) instead.
                if sharing { info.options |= UInt64(LWS_SERVER_OPTION_ALLOW_LISTEN_SHARE) }
                if configuration.tls != nil {
                    // Each context asks: without it lws 4.1 sets up no TLS for the context's vhost at all. OpenSSL's
                    // initialisation is done once, whoever asks.
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
                clws_share_listeners(sharing ? 1 : 0)
                defer { clws_share_listeners(0) }
                return lws_create_context(&info)
            }
        }
        // lws 4.1 returns a context even when its vhost could not listen; without a vhost there is no server.
        let vhost = context.flatMap { lws_get_vhost_by_name($0, "default") }
        let port = vhost.map { Int(lws_get_vhost_listen_port($0)) } ?? 0
        guard let context, vhost != nil, port > 0, requested == 0 || port == requested else {
            // Left as they are: destroying a context whose vhost failed and then running the loop's close
            // callbacks crashes in lws 4.1, and the process is about to exit on this error anyway.
            fail(started, first ? listenFailure(port: requested)
                : "cannot listen on \(configuration.host):\(requested) beside the first service thread: libwebsockets could not share its listener")
            return
        }
        let hub = FanoutHub(configuration: configuration, host: self, wiring: wiring, frameHeadroom: LwsConnection.headroom,
                            place: place)
        confined.hub = hub
        confined.pacer = FlushPacer(context: context, clock: hub.clock) { [weak self] in self?.confined.hub?.flushWrites() }
        shared.withLock {
            $0.context = context
            $0.loop = loop
        }
        logger.info("service thread \(place.index) listening on port \(port)")
        started.resume(returning: port)

        clws_uv_loop_run(loop)

        let left = shared.withLock { state in
            defer {
                state.context = nil
                state.fleet = nil
                state.commands.removeAll()
            }
            return state.commands
        }
        for case let .figures(answer) in left { answer.resume(returning: ShardFigures(shard: place.index)) }
        confined.pacer?.close()
        confined.pacer = nil
        lws_context_destroy(context)
        clws_uv_loop_close(loop)
        confined.hub = nil
        logger.info("service thread \(place.index) stopped")
        stopped.withLock { $0?.resume(); $0 = nil }
    }

    private func fail(_ started: CheckedContinuation<Int, Error>, _ why: String) {
        shared.withLock { $0.fleet = nil }
        started.resume(throwing: TickhubServer.ServerError.startFailed(why))
    }

    /// Why the listening socket could not be had, as the kernel tells it to a bind of our own.
    private func listenFailure(port: Int) -> String {
        let address = "\(configuration.host):\(port)"
        let error = clws_probe_bind(configuration.host, Int32(port))
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
        for command in commands { run(command, hub) }
    }

    /// Runs, before a client's message or request is handled, what is queued ahead of it: the hub's events published
    /// before the client sent it are in the inbox by then (`HubBroadcast` hands each to every shard at once), and
    /// another shard may already have shown their quotes to a client, so a snapshot or an HTTP answer here must not
    /// be older. Only up to the first housekeeping or stop, which close connections: not from inside a client's own
    /// callback, and not out of order.
    func catchUp() {
        guard let hub = confined.hub else { return }
        let ready = shared.withLock { state -> ArraySlice<Command> in
            let ready = state.commands.prefix { $0.runsInsideCallbacks }
            state.commands.removeFirst(ready.count)
            return ready
        }
        for command in ready { run(command, hub) }
    }

    private func run(_ command: Command, _ hub: FanoutHub) {
        switch command {
        case let .event(event): hub.apply(event)
        case let .reply(id, response): hub.exchanges.answer(id, response)
        case let .figures(answer): answer.resume(returning: hub.figures)
        case let .housekeeping(secondElapsed):
            hub.housekeeping(secondElapsed: secondElapsed)
            if confined.stopping, hub.clients.isEmpty || hub.clock.nowMicros() > confined.stopDeadline { finishStop() }
        case .stop:
            beginStop(hub)
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

    var isStopping: Bool { confined.stopping }

    /// What is pending goes out now or within `FlushPacer.interval`.
    func flushSoon(_ hub: FanoutHub) {
        guard let pacer = confined.pacer else { return hub.flushWrites() }
        pacer.request(now: hub.clock.nowMicros())
    }
}
