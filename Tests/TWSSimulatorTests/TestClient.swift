import NIOCore
import NIOPosix
import SimulatorTestSupport
import Testing
import TWSProtocol
import TWSSimulator

/// What a test client saw, in arrival order.
enum Incoming: Sendable {
    case event(TWSClientEvent)
    /// An error the client pipeline reported (decoder or `TWSClientHandler`).
    case error(any Error)
    /// The connection closed.
    case closed

    var message: ServerMessage? {
        if case let .event(.message(message)) = self { return message }
        return nil
    }
}

struct TestTimeout: Error, CustomStringConvertible {
    var what: String
    var description: String { "timed out waiting for \(what)" }
}

struct ConnectionClosed: Error, CustomStringConvertible {
    var what: String
    var description: String { "connection closed while waiting for \(what)" }
}

/// Runs `body` against a fresh simulator on a free loopback port and always stops it afterwards.
///
/// At most `simulatorSlots.limit` simulators run at once: each has its own thread and tick timer, and a
/// two-core machine shared with builds stays responsive with a handful of them, not forty.
func withSimulator(
    _ configure: (inout SimulatorConfiguration) -> Void = { _ in },
    _ body: (GatewaySimulator, Int) async throws -> Void
) async throws {
    try await simulatorSlots.holding { try await runSimulator(configure, body) }
}

/// Simulators alive at once.
let simulatorSlots = SimulatorSlots(limit: 6)

private func runSimulator(
    _ configure: (inout SimulatorConfiguration) -> Void,
    _ body: (GatewaySimulator, Int) async throws -> Void
) async throws {
    var configuration = SimulatorConfiguration()
    configuration.port = 0
    // Enough ticks for every test, and few enough that a debug build on two cores keeps up with several at once.
    configuration.ticksPerSecond = 500
    // Inside the US session, so that every market streams whatever day the tests run on.
    configuration.clock = OpenMarket.wednesdayMorning
    configure(&configuration)
    let simulator = GatewaySimulator(configuration: configuration)
    let port: Int
    do {
        port = try await simulator.start()
    } catch {
        await simulator.stop()
        throw error
    }
    do {
        try await body(simulator, port)
    } catch {
        await simulator.stop()
        throw error
    }
    await simulator.stop()
}

/// A real NIO client of the simulator: the production client pipeline plus a recorder of everything it delivers.
final class TestClient: Sendable {
    /// Generous, since a loaded CI machine can be slow; a passing test never waits this long.
    static let defaultTimeout: Duration = .seconds(10)

    let channel: Channel
    private let inbox: Inbox

    private init(channel: Channel, inbox: Inbox) {
        self.channel = channel
        self.inbox = inbox
    }

    /// Connects to 127.0.0.1:`port`. With `waitForReady`, returns once the bootstrap's nextValidId has arrived
    /// (the events before it stay readable through `next`/`collect`: the cursor is not moved).
    static func connect(
        port: Int, clientID: Int, versions: ClosedRange<Int> = ServerVersion.clientRange,
        waitForReady: Bool = true, timeout: Duration = defaultTimeout
    ) async throws -> TestClient {
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let inbox = Inbox(loop: loop)
        let channel = try await ClientBootstrap(group: loop)
            .connectTimeout(.seconds(5))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers([
                        ByteToMessageHandler(TWSFrameDecoder()),
                        TWSClientHandler(clientID: clientID, versions: versions),
                        Recorder(inbox: inbox),
                    ])
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
        let client = TestClient(channel: channel, inbox: inbox)
        if waitForReady {
            _ = try await client.peek(timeout: timeout, "nextValidId") {
                if case .message(.nextValidID) = $0 { true } else { false }
            }
        }
        return client
    }

    /// Sends one request, encoded at the negotiated version.
    func send(_ message: some TWSMessage) async throws {
        try await channel.writeAndFlush(TWSRequest(message))
    }

    /// Sends several requests in one flush, so they reach the simulator together.
    func sendBatch(_ messages: [any TWSMessage]) async throws {
        let futures = try await channel.eventLoop.submit { [channel] in
            let futures = messages.map { channel.write(TWSRequest($0)) }
            channel.flush()
            return futures
        }.get()
        for future in futures { try await future.get() }
    }

    /// Everything from the cursor up to and including the first item matching `predicate`; moves the cursor past it.
    func collect(
        timeout: Duration = defaultTimeout, _ what: String = "a matching event",
        until predicate: @escaping @Sendable (Incoming) -> Bool
    ) async throws -> [Incoming] {
        try await inbox.take(timeout: timeout, what: what, consume: true, predicate)
    }

    /// Everything from the cursor up to and including the first message matching `predicate`. Fails when the
    /// connection closes first.
    func collectMessages(
        timeout: Duration = defaultTimeout, _ what: String = "a matching message",
        until predicate: @escaping @Sendable (ServerMessage) -> Bool
    ) async throws -> [ServerMessage] {
        let items = try await collect(timeout: timeout, what) { item in
            if case .closed = item { return true }
            return item.message.map(predicate) ?? false
        }
        if case .closed = items.last { throw ConnectionClosed(what: what) }
        return items.compactMap(\.message)
    }

    /// Everything from the cursor through the `count`-th message matching `predicate`.
    func collectMessages(
        count: Int, timeout: Duration = defaultTimeout, _ what: String = "matching messages",
        matching predicate: @escaping @Sendable (ServerMessage) -> Bool
    ) async throws -> [ServerMessage] {
        var all: [ServerMessage] = []
        for n in 0..<count {
            all += try await collectMessages(timeout: timeout, "\(what) (\(n + 1) of \(count))", until: predicate)
        }
        return all
    }

    /// The next message matching `predicate`; earlier messages are skipped (and consumed).
    @discardableResult
    func next(
        timeout: Duration = defaultTimeout, _ what: String = "a matching message",
        where predicate: @escaping @Sendable (ServerMessage) -> Bool
    ) async throws -> ServerMessage {
        try await collectMessages(timeout: timeout, what, until: predicate).last!
    }

    /// The next raw item (event, error or close).
    func nextItem(timeout: Duration = defaultTimeout) async throws -> Incoming {
        try await collect(timeout: timeout, "any event") { _ in true }.last!
    }

    /// The next error the client pipeline reported.
    func nextError(timeout: Duration = defaultTimeout) async throws -> any Error {
        let items = try await collect(timeout: timeout, "a pipeline error") {
            if case .error = $0 { true } else { false }
        }
        guard case let .error(error) = items.last else { preconditionFailure() }
        return error
    }

    /// The next error (4) message with `code`, optionally for `requestID`.
    @discardableResult
    func nextError(code: Int, requestID: Int? = nil, timeout: Duration = defaultTimeout) async throws -> ErrorMessage {
        let message = try await next(timeout: timeout, "error \(code)") {
            guard case let .error(e) = $0 else { return false }
            return e.code == code && (requestID == nil || e.requestID == requestID)
        }
        guard case let .error(error) = message else { preconditionFailure() }
        return error
    }

    /// Sends reqCurrentTime and returns everything that arrived before its reply (the reply excluded).
    /// Requests are handled in order, so the reply fences everything the earlier requests caused.
    func fence(timeout: Duration = defaultTimeout) async throws -> [ServerMessage] {
        try await send(RequestCurrentTime())
        return try await collectMessages(timeout: timeout, "the currentTime fence") {
            if case .currentTime = $0 { true } else { false }
        }.dropLast()
    }

    /// Waits without consuming anything.
    private func peek(
        timeout: Duration, _ what: String, _ predicate: @escaping @Sendable (TWSClientEvent) -> Bool
    ) async throws -> TWSClientEvent {
        let items = try await inbox.take(timeout: timeout, what: what, consume: false) { item in
            switch item {
            case let .event(event): predicate(event)
            case .closed: true
            case .error: false
            }
        }
        guard case let .event(event) = items.last else { throw ConnectionClosed(what: what) }
        return event
    }

    /// Waits for the connection to close; everything before it is consumed.
    @discardableResult
    func waitUntilClosed(timeout: Duration = defaultTimeout) async throws -> [Incoming] {
        try await collect(timeout: timeout, "the connection to close") {
            if case .closed = $0 { true } else { false }
        }
    }

    var isActive: Bool { channel.isActive }

    func close() async {
        try? await channel.close()
    }
}

/// Hands the client pipeline's output to the inbox. Last in the pipeline.
private final class Recorder: ChannelInboundHandler, Sendable {
    typealias InboundIn = TWSClientEvent

    let inbox: Inbox

    init(inbox: Inbox) { self.inbox = inbox }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        inbox.append(.event(unwrapInboundIn(data)))
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        inbox.append(.error(error))
    }

    func channelInactive(context: ChannelHandlerContext) {
        inbox.append(.closed)
        context.fireChannelInactive()
    }
}

/// Everything a client received, with a read cursor, and the waiters for what has not arrived yet.
///
/// Confined to the client channel's event loop: the recorder appends there and waiters register there,
/// so arrival order is kept and nothing needs a lock.
final class Inbox: @unchecked Sendable {
    private struct Waiter {
        var id: Int
        var predicate: @Sendable (Incoming) -> Bool
        var consume: Bool
        var scanned: Int
        var promise: EventLoopPromise<[Incoming]>
        var timeout: Scheduled<Void>?
    }

    let loop: EventLoop
    private var items: [Incoming] = []
    private var cursor = 0
    private var waiters: [Waiter] = []
    private var nextWaiterID = 0

    init(loop: EventLoop) { self.loop = loop }

    func append(_ item: Incoming) {
        loop.preconditionInEventLoop()
        items.append(item)
        var index = 0
        while index < waiters.count {
            if let found = match(&waiters[index]) {
                let waiter = waiters.remove(at: index)
                waiter.timeout?.cancel()
                waiter.promise.succeed(found)
            } else {
                index += 1
            }
        }
    }

    /// Items from the cursor through the first one matching the waiter's predicate; nil when none has yet.
    private func match(_ waiter: inout Waiter) -> [Incoming]? {
        var index = max(cursor, waiter.scanned)
        while index < items.count {
            if waiter.predicate(items[index]) {
                let taken = Array(items[cursor...index])
                if waiter.consume { cursor = index + 1 }
                return taken
            }
            index += 1
        }
        waiter.scanned = index
        return nil
    }

    func take(
        timeout: Duration, what: String, consume: Bool, _ predicate: @escaping @Sendable (Incoming) -> Bool
    ) async throws -> [Incoming] {
        try await loop.flatSubmit { () -> EventLoopFuture<[Incoming]> in
            let promise = self.loop.makePromise(of: [Incoming].self)
            var waiter = Waiter(
                id: self.nextWaiterID, predicate: predicate, consume: consume, scanned: 0, promise: promise)
            self.nextWaiterID += 1
            if let found = self.match(&waiter) {
                promise.succeed(found)
                return promise.futureResult
            }
            let id = waiter.id
            waiter.timeout = self.loop.scheduleTask(in: .nanoseconds(Int64(timeout / .nanoseconds(1)))) {
                guard let index = self.waiters.firstIndex(where: { $0.id == id }) else { return }
                self.waiters.remove(at: index)
                let unconsumed = self.items.count - self.cursor
                promise.fail(TestTimeout(what: "\(what) (after \(timeout), \(unconsumed) unconsumed events)"))
            }
            self.waiters.append(waiter)
            return promise.futureResult
        }.get()
    }
}

// MARK: Matchers

extension ServerMessage {
    /// The request id of a tick message, nil for anything else.
    var tickRequestID: Int? {
        switch self {
        case let .tickPrice(t): t.requestID
        case let .tickSize(t): t.requestID
        case let .tickString(t): t.requestID
        case let .tickGeneric(t): t.requestID
        case let .tickOptionComputation(t): t.requestID
        default: nil
        }
    }

    var tickType: Int? {
        switch self {
        case let .tickPrice(t): t.tickType
        case let .tickSize(t): t.tickType
        case let .tickString(t): t.tickType
        case let .tickGeneric(t): t.tickType
        case let .tickOptionComputation(t): t.tickType
        default: nil
        }
    }

    var errorMessage: ErrorMessage? {
        if case let .error(e) = self { return e }
        return nil
    }

    func isTick(for requestID: Int) -> Bool { tickRequestID == requestID }

    func isError(_ code: Int, requestID: Int? = nil) -> Bool {
        guard let e = errorMessage else { return false }
        return e.code == code && (requestID == nil || e.requestID == requestID)
    }
}

extension Contract {
    /// A contract naming only a conId, as clients send after qualification.
    static func byConId(_ conId: Int) -> Contract {
        var contract = Contract()
        contract.conId = conId
        return contract
    }
}
