import CNats
#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import Synchronization

/// One connection to a NATS server (or cluster), reconnecting on its own. Publishing and subscribing never block
/// for long; the calls that wait for the server (requests, flushes, key-value operations) come in `async` forms that
/// wait off Swift's cooperative pool, and in plain forms for callers on threads of their own.
public final class NATSConnection: Sendable {
    public let options: NATSOptions
    nonisolated(unsafe) let handle: OpaquePointer
    private let inbox = Mutex<ReplyInbox?>(nil)
    private let subscriptions = Mutex<[ObjectIdentifier: NATSSubscription]>([:])
    private let isClosed = Atomic<Bool>(false)
    private let writes = JetStreamWrites()
    let lane: BlockingLane

    private init(handle: OpaquePointer, options: NATSOptions) {
        self.handle = handle
        self.options = options
        lane = BlockingLane(label: "tickhub.nats.connection")
    }

    deinit {
        close()
        subscriptions.withLock { $0.removeAll() }
        natsConnection_Destroy(handle)
    }

    /// Connects. With `retryOnFailedConnect` (the default) this succeeds without a server yet, and `.reconnected`
    /// reports the connection when it is made; otherwise it throws `.connectionFailed` when no server answers.
    public static func connect(_ options: NATSOptions, events: @escaping @Sendable (NATSEvent) -> Void) throws(NATSError) -> NATSConnection {
        var opts: OpaquePointer?
        try check(natsOptions_Create(&opts))
        guard let opts else { throw .connectionFailed("no options") }
        defer { natsOptions_Destroy(opts) }

        let servers = options.url.split(separator: ",").map { $0.trimmingSpaces() }.filter { !$0.isEmpty }
        guard !servers.isEmpty else { throw .invalidName(options.url) }
        if servers.count == 1 {
            try check(natsOptions_SetURL(opts, servers[0]))
        } else {
            try withCStrings(servers) { (pointers: inout [UnsafePointer<CChar>?]) throws(NATSError) in
                try check(natsOptions_SetServers(opts, &pointers, Int32(pointers.count)))
            }
        }
        if let name = options.name { try check(natsOptions_SetName(opts, name)) }
        if let user = options.user { try check(natsOptions_SetUserInfo(opts, user, options.password)) }
        if let token = options.token { try check(natsOptions_SetToken(opts, token)) }
        try check(natsOptions_SetTimeout(opts, options.connectTimeout.wholeMilliseconds()))
        try check(natsOptions_SetReconnectWait(opts, options.reconnectWait.wholeMilliseconds()))
        try check(natsOptions_SetMaxReconnect(opts, Int32(options.maxReconnect)))
        try check(natsOptions_SetPingInterval(opts, options.pingInterval.wholeMilliseconds()))
        try check(natsOptions_SetMaxPingsOut(opts, Int32(options.maxPingsOut)))
        try check(natsOptions_SetMaxPendingMsgs(opts, Int32(options.pendingLimits.messages)))
        try check(natsOptions_SetSendAsap(opts, options.sendImmediately))
        try check(natsOptions_UseGlobalMessageDelivery(opts, options.sharedDelivery))

        let events = Unmanaged.passRetained(ConnectionEvents(events)).toOpaque()
        var handle: OpaquePointer?
        var status = natsOptions_SetDisconnectedCB(opts, ConnectionEvents.onDisconnected, events)
        if status == NATS_OK { status = natsOptions_SetReconnectedCB(opts, ConnectionEvents.onReconnected, events) }
        if status == NATS_OK { status = natsOptions_SetClosedCB(opts, ConnectionEvents.onClosed, events) }
        if status == NATS_OK { status = natsOptions_SetErrorHandler(opts, ConnectionEvents.onError, events) }
        if status == NATS_OK {
            status = natsOptions_SetRetryOnFailedConnect(
                opts, options.retryOnFailedConnect, options.retryOnFailedConnect ? ConnectionEvents.onConnected : nil, events)
        }
        if status == NATS_OK { status = natsConnection_Connect(&handle, opts) }
        guard status == NATS_OK || status == NATS_NOT_YET_CONNECTED, let handle else {
            // No connection was made, so no callback will ever release the handler.
            Unmanaged<ConnectionEvents>.fromOpaque(events).release()
            throw .connectionFailed(NATSError.from(status).description)
        }
        return NATSConnection(handle: handle, options: options)
    }

    /// Connected now (not reconnecting, not closed).
    public var isConnected: Bool {
        natsConnection_Status(handle) == NATS_CONN_STATUS_CONNECTED
    }

    /// Sends a message; while reconnecting it is buffered and sent on reconnection.
    public func publish(_ subject: String, _ data: [UInt8], headers: [String: String] = [:]) throws(NATSError) {
        try send(subject, reply: nil, data, headers: headers)
    }

    /// Answers a request: publishes on the message's reply subject.
    public func respond(to message: NATSMessage, _ data: [UInt8], headers: [String: String] = [:]) throws(NATSError) {
        guard let reply = message.reply else { throw .noReplySubject }
        try send(reply, reply: nil, data, headers: headers)
    }

    /// Throws `.disconnected` when the connection is lost and the options refuse to buffer meanwhile.
    func checkSendable() throws(NATSError) {
        if !options.bufferWhileReconnecting, !isConnected, !isClosed.load(ordering: .acquiring) { throw .disconnected }
    }

    func send(_ subject: String, reply: String?, _ data: [UInt8], headers: [String: String]) throws(NATSError) {
        try checkSendable()
        if headers.isEmpty {
            let status = data.withUnsafeBytes { bytes in
                if let reply {
                    natsConnection_PublishRequest(handle, subject, reply, bytes.baseAddress, Int32(bytes.count))
                } else {
                    natsConnection_Publish(handle, subject, bytes.baseAddress, Int32(bytes.count))
                }
            }
            try check(status)
            return
        }
        let message = try makeMessage(subject: subject, reply: reply, data: data, headers: headers)
        defer { natsMsg_Destroy(message) }
        try check(natsConnection_PublishMsg(handle, message))
    }

    /// Subscribes `handler` to `subject` (wildcards allowed); with `queue`, each message goes to one member of the
    /// group. `limits` overrides the options' pending limits for this subscription.
    public func subscribe(
        _ subject: String, queue: String? = nil, limits: NATSPendingLimits? = nil,
        _ handler: @escaping @Sendable (NATSMessage) -> Void
    ) throws(NATSError) -> NATSSubscription {
        try subscribeRaw(subject, queue: queue, limits: limits) { handler(NATSMessage(copying: $0)) }
    }

    func subscribeRaw(
        _ subject: String, queue: String?, limits: NATSPendingLimits?, _ handle: @escaping @Sendable (OpaquePointer) -> Void
    ) throws(NATSError) -> NATSSubscription {
        let box = Unmanaged.passRetained(MessageHandlerBox(handle)).toOpaque()
        var sub: OpaquePointer?
        let status = if let queue {
            natsConnection_QueueSubscribe(&sub, self.handle, subject, queue, MessageHandlerBox.onMessage, box)
        } else {
            natsConnection_Subscribe(&sub, self.handle, subject, MessageHandlerBox.onMessage, box)
        }
        guard status == NATS_OK, let sub else {
            Unmanaged<MessageHandlerBox>.fromOpaque(box).release()
            throw NATSError.from(status)
        }
        let pending = limits ?? options.pendingLimits
        var setup = natsSubscription_SetPendingLimits(sub, Int32(pending.messages), Int32(pending.bytes))
        if setup == NATS_OK { setup = natsSubscription_SetOnCompleteCB(sub, MessageHandlerBox.onComplete, box) }
        if setup != NATS_OK {
            // The box stays with the C client (its completion may still come); the subscription ends here.
            _ = natsSubscription_Unsubscribe(sub)
            natsSubscription_Destroy(sub)
            throw NATSError.from(setup)
        }
        let subscription = NATSSubscription(subject: subject, handle: sub) { [weak self] key in self?.forget(key) }
        let key = ObjectIdentifier(subscription)
        subscriptions.withLock { $0[key] = subscription }
        return subscription
    }

    private func forget(_ key: ObjectIdentifier) {
        _ = subscriptions.withLock { $0.removeValue(forKey: key) }
    }

    /// Sends a request and waits for the first answer, at most `timeout`. Throws `.noResponders` at once when nobody
    /// subscribes to `subject`, `.timeout`, or `.cancelled` if the task is.
    public func request(
        _ subject: String, _ data: [UInt8], headers: [String: String] = [:], timeout: Duration
    ) async throws(NATSError) -> NATSMessage {
        let inbox = try replyInbox()
        let token = inbox.nextToken()
        let result = await withTaskCancellationHandler {
            await withCheckedContinuation { (waiter: ReplyInbox.Waiter) in
                guard inbox.wait(token, waiter) else { return }
                do throws(NATSError) {
                    try send(subject, reply: inbox.replySubject(for: token), data, headers: headers)
                } catch {
                    inbox.finish(token, .failure(error))
                    return
                }
                let milliseconds = Int(timeout.wholeMilliseconds())
                DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(milliseconds)) {
                    inbox.finish(token, .failure(.timeout))
                }
            }
        } onCancel: {
            inbox.cancel(token)
        }
        return try result.get()
    }

    private func replyInbox() throws(NATSError) -> ReplyInbox {
        try inbox.withLock { (inbox: inout ReplyInbox?) throws(NATSError) -> ReplyInbox in
            if let inbox { return inbox }
            var name: UnsafeMutablePointer<CChar>?
            try check(natsInbox_Create(&name))
            guard let name else { throw NATSError.failed(status: Int32(NATS_NO_MEMORY.rawValue), text: "no inbox") }
            let made = ReplyInbox(prefix: String(cString: name))
            natsInbox_Destroy(name)
            // Answers are few and small; a request's waiter never falls behind, so the limits only guard memory.
            _ = try subscribeRaw("\(made.prefix).*", queue: nil, limits: nil) { made.deliver($0) }
            inbox = made
            return made
        }
    }

    /// Waits until the server has seen everything sent so far (a PING answered), at most `timeout`.
    public func flush(timeout: Duration) throws(NATSError) {
        try check(natsConnection_FlushTimeout(handle, timeout.wholeMilliseconds()))
    }

    /// `flush(timeout:)` off the cooperative pool.
    public func flush(timeout: Duration) async throws(NATSError) {
        try await lane.run { [self] () throws(NATSError) in try flush(timeout: timeout) }
    }

    public func statistics() -> NATSStatistics {
        var stats: OpaquePointer?
        guard natsStatistics_Create(&stats) == NATS_OK, let stats else { return NATSStatistics() }
        defer { natsStatistics_Destroy(stats) }
        var figures = NATSStatistics()
        if natsConnection_GetStats(handle, stats) == NATS_OK {
            _ = natsStatistics_GetCounts(
                stats, &figures.inMessages, &figures.inBytes, &figures.outMessages, &figures.outBytes, &figures.reconnects)
        }
        figures.keyValueWritesFailed = writes.failed.load(ordering: .relaxed)
        return figures
    }

    /// A JetStream context of its own for a bucket: its API calls wait at most `wait`, so that a lease renewed every
    /// second is not held five seconds (JetStream's default) by a server that is gone.
    func jetStream(wait: Duration) throws(NATSError) -> OpaquePointer {
        var options = jsOptions()
        try check(jsOptions_Init(&options))
        options.Wait = wait.wholeMilliseconds()
        // Writes sent without waiting: at most this many unacknowledged, and a writer finding them all out waits
        // only a moment before being told (`.timeout`), so a stalled server never stalls the hub.
        options.PublishAsync.MaxPending = 8_192
        options.PublishAsync.StallWait = 5
        options.PublishAsync.ErrHandler = JetStreamWrites.onFailure
        options.PublishAsync.ErrHandlerClosure = writes.closure
        var context: OpaquePointer?
        try check(natsConnection_JetStream(&context, handle, &options))
        guard let context else { throw NATSError.failed(status: Int32(NATS_NO_MEMORY.rawValue), text: "no JetStream context") }
        return context
    }

    /// Binds the key-value bucket, creating it when there is none (`ttl` nil keeps values for ever; `history` is how
    /// many values a key keeps). A bucket that exists keeps its own settings. Each of its calls waits at most
    /// `timeout` for the server (`.timeout` after that).
    public func keyValue(_ bucket: String, ttl: Duration?, history: Int = 1, timeout: Duration = .seconds(5)) throws(NATSError) -> NATSKeyValue {
        try NATSKeyValue(connection: self, bucket: bucket, ttl: ttl, history: history, timeout: timeout)
    }

    /// `keyValue(_:ttl:history:timeout:)` off the cooperative pool.
    public func keyValue(_ bucket: String, ttl: Duration?, history: Int = 1, timeout: Duration = .seconds(5)) async throws(NATSError) -> NATSKeyValue {
        try await lane.run { [self] () throws(NATSError) in
            try NATSKeyValue(connection: self, bucket: bucket, ttl: ttl, history: history, timeout: timeout)
        }
    }

    /// Closes the connection for good: subscriptions end, waiting requests fail with `.closed`, `.closed` is reported.
    public func close() {
        guard !isClosed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        natsConnection_Close(handle)
        inbox.withLock { $0 }?.failAll(.closed)
    }
}

private func withCStrings<R>(
    _ strings: [String], _ body: (inout [UnsafePointer<CChar>?]) throws(NATSError) -> R
) throws(NATSError) -> R {
    let copies = strings.map { strdup($0) }
    defer { copies.forEach { free($0) } }
    var pointers = copies.map { UnsafePointer($0) }
    return try body(&pointers)
}

extension Substring {
    fileprivate func trimmingSpaces() -> String {
        String(drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
    }
}
