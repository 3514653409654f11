import HubProtocol
import TickhubCore

/// The WebSocket clients and what is waiting to be written to each: quotes conflated to one pending update per
/// symbol, messages that must all arrive, the latest P&L. Everything written goes out as one frame per client per
/// turn of the service loop, from one scratch buffer.
package final class StreamClients {
    let configuration: ServerConfiguration
    let metrics: Metrics
    let clock: WallClock
    private(set) var byID: [Int: ClientSession] = [:]
    /// Each symbol's subscribers.
    private(set) var bySymbol: [String: [Int: ClientSession]] = [:]
    /// Each bar series' subscribers.
    private(set) var bySeries: [BarKey: [Int: ClientSession]] = [:]
    private(set) var publisherCount = 0
    /// Ids are unique across shards, each shard counting in steps of the shard count from its own start: upstream
    /// knows publishers by them.
    private var nextID: Int
    private let idStep: Int
    /// Clients with something to write, flushed at the end of each turn of the service loop.
    private var flushQueue: [ClientSession] = []
    /// Frame scratch space with `headroom` bytes in front of each frame (see `Connection`), reused for every write.
    private var scratch: UnsafeMutableRawPointer
    private var scratchCapacity = 64 * 1024
    private let headroom: Int

    init(configuration: ServerConfiguration, metrics: Metrics, clock: WallClock, frameHeadroom: Int, place: ShardPlace) {
        self.configuration = configuration
        self.metrics = metrics
        self.clock = clock
        nextID = place.index + 1
        idStep = place.count
        headroom = frameHeadroom
        scratch = .allocate(byteCount: headroom + scratchCapacity, alignment: 16)
    }

    deinit { scratch.deallocate() }

    package var isEmpty: Bool { byID.isEmpty }
    package var all: Dictionary<Int, ClientSession>.Values { byID.values }
    package subscript(_ id: Int) -> ClientSession? { byID[id] }
    var subscriberCount: Int { byID.count - publisherCount }
    var subscriptionCount: Int { byID.values.reduce(0) { $0 + $1.symbols.count } }

    func open(_ connection: any Connection, publisher: Bool, awaitingToken: Bool) -> ClientSession {
        let client = ClientSession(
            id: nextID, connection: connection, isPublisher: publisher, awaitingToken: awaitingToken, openedAt: clock.nowMicros())
        nextID += idStep
        byID[client.id] = client
        if publisher {
            metrics.publishersAccepted += 1
            publisherCount += 1
        } else {
            metrics.clientsAccepted += 1
        }
        return client
    }

    /// Forgets the client; returns the symbols it was the last subscriber of.
    func remove(_ client: ClientSession) -> [String] {
        byID[client.id] = nil
        if client.isPublisher { publisherCount -= 1 }
        return client.symbols.keys.filter { leave($0, client) }
    }

    func join(_ symbol: String, _ client: ClientSession) {
        bySymbol[symbol, default: [:]][client.id] = client
    }

    /// True when the client was the symbol's last subscriber.
    @discardableResult
    func leave(_ symbol: String, _ client: ClientSession) -> Bool {
        bySymbol[symbol]?[client.id] = nil
        guard bySymbol[symbol]?.isEmpty ?? true else { return false }
        bySymbol[symbol] = nil
        return true
    }

    func isStreamed(_ symbol: String) -> Bool { !(bySymbol[symbol]?.isEmpty ?? true) }

    // MARK: Bar series

    /// True when the client is the series' first subscriber here.
    @discardableResult
    func joinSeries(_ key: BarKey, _ client: ClientSession) -> Bool {
        let first = bySeries[key] == nil
        bySeries[key, default: [:]][client.id] = client
        return first
    }

    /// True when the client was the series' last subscriber here.
    @discardableResult
    func leaveSeries(_ key: BarKey, _ client: ClientSession) -> Bool {
        bySeries[key]?[client.id] = nil
        guard bySeries[key]?.isEmpty ?? true else { return false }
        bySeries[key] = nil
        return true
    }

    /// Some client here follows a series of the symbol: its quotes are wanted upstream to form the candle.
    func isCharted(_ symbol: String) -> Bool {
        BarInterval.allCases.contains { bySeries[BarKey(symbol: symbol, interval: $0)] != nil }
    }

    func isCharted(_ key: BarKey) -> Bool { bySeries[key] != nil }

    func subscribers(of key: BarKey) -> [ClientSession] { bySeries[key].map { Array($0.values) } ?? [] }

    /// The clients that want the symbol's quotes or one of its series, each once.
    func interested(in symbol: String) -> [ClientSession] {
        var found = bySymbol[symbol] ?? [:]
        for interval in BarInterval.allCases {
            guard let charting = bySeries[BarKey(symbol: symbol, interval: interval)] else { continue }
            found.merge(charting) { client, _ in client }
        }
        return Array(found.values)
    }

    /// The whole series for one client: it goes before, and replaces, whatever of the series waited for it.
    func deliverSeries(_ bytes: SharedBytes, for key: BarKey, to client: ClientSession) {
        client.pendingBars[key] = ClientSession.PendingBars(snapshot: bytes)
        requestWrite(client)
    }

    /// Updates of one series waiting for one client, at most: past them, the client gets the whole series instead.
    static let maxPendingBarUpdates = 16

    /// A bar's update for every subscriber of its series: the one waiting for the same bar is replaced, one for
    /// another bar is kept. A client that falls so far behind that `maxPendingBarUpdates` bars wait gets the series
    /// as it stands (`snapshot`) instead, which bounds what it holds.
    func deliver(_ update: EncodedBar, snapshot: () -> SharedBytes?) {
        guard let subscribed = bySeries[update.key] else { return }
        let time = update.bar.time
        for client in subscribed.values {
            var waiting = client.pendingBars[update.key] ?? ClientSession.PendingBars()
            if let index = waiting.updates.lastIndex(where: { $0.time == time }) {
                waiting.updates[index].bytes = update.bytes
            } else if waiting.updates.count < Self.maxPendingBarUpdates {
                waiting.updates.append((time, update.bytes))
            } else if let whole = snapshot() {
                waiting = ClientSession.PendingBars(snapshot: whole)
            }
            client.pendingBars[update.key] = waiting
            requestWrite(client)
        }
    }

    func subscribers(of symbol: String) -> [ClientSession] { bySymbol[symbol].map { Array($0.values) } ?? [] }

    /// A quote update for every subscriber of its symbol: the one pending for each is replaced, not queued behind.
    func deliver(_ update: ClientSession.PendingUpdate, for symbol: String) {
        guard let subscribed = bySymbol[symbol] else { return }
        for client in subscribed.values {
            if client.pending.updateValue(update, forKey: symbol) != nil { metrics.updatesConflated += 1 }
            requestWrite(client)
        }
    }

    /// The latest P&L for a client: it replaces one not yet taken, like a quote's pending update.
    func deliverPnL(_ bytes: SharedBytes, to client: ClientSession) {
        client.pendingPnL = bytes
        requestWrite(client)
    }

    /// Queues a message that must arrive (pongs, errors, snapshots, statuses), in order. A client that lets
    /// `maxQueuedBytes` of them pile up is not reading: it is closed (1013) rather than allowed to hold the memory.
    func send(_ message: [UInt8], to client: ClientSession) {
        guard admit(message.count, for: client) else { return }
        client.immediate.append(message)
        requestWrite(client)
    }

    /// Queues a fired alert: it must arrive like `send`'s messages, but goes after the quote updates, so that it
    /// never reaches a client ahead of the quote that fired it (published before it, and not yet written).
    func sendAlert(_ bytes: SharedBytes, to client: ClientSession) {
        guard admit(bytes.bytes.count, for: client) else { return }
        client.alerts.append(bytes)
        requestWrite(client)
    }

    /// Counts a must-arrive message against `maxQueuedBytes`; false (and the client condemned) when over it.
    private func admit(_ count: Int, for client: ClientSession) -> Bool {
        guard client.pendingClose == nil else { return false }
        guard client.immediateBytes + count <= configuration.maxQueuedBytes else {
            metrics.countSlowClose(code: 1013)
            client.dropQueued()
            client.pendingClose = (1013, "client not reading")
            return false
        }
        client.immediateBytes += count
        return true
    }

    /// Errors are not conflated like quotes, so they are bounded here: at most `maxQueuedErrors` wait for one
    /// client, the rest are counted and reported in one `errors_suppressed` message with the next write. Errors
    /// the client earned count against `maxErrorsPerMinute`; past it the client is closed with 1008. A client that
    /// sends garbage and never reads thus costs a few kilobytes, not a queue as long as its messages.
    func sendError(_ bytes: [UInt8], to client: ClientSession, earned: Bool) {
        if earned {
            let now = clock.nowMicros()
            if now - client.errorWindowStart > 60_000_000 {
                client.errorWindowStart = now
                client.errorsInWindow = 0
            }
            client.errorsInWindow += 1
            if client.errorsInWindow > configuration.maxErrorsPerMinute, client.pendingClose == nil {
                metrics.clientsClosedForErrors += 1
                client.pendingClose = (1008, "more than \(configuration.maxErrorsPerMinute) errors in a minute")
            }
        }
        guard client.pendingClose == nil else { return }
        guard client.queuedErrors < configuration.maxQueuedErrors else {
            client.suppressedErrors += 1
            metrics.errorsSuppressed += 1
            return
        }
        client.queuedErrors += 1
        send(bytes, to: client)
    }

    func requestWrite(_ client: ClientSession) {
        if client.waitingSince == nil { client.waitingSince = clock.nowMicros() }
        guard !client.writableRequested, !client.flushQueued else { return }
        client.flushQueued = true
        flushQueue.append(client)
    }

    /// Writes every client that got something this turn of the loop, once, straight away.
    ///
    /// Waiting for lws's writeable callback costs two epoll_ctl calls per frame (arm POLLOUT, disarm it), as
    /// much as the send itself. A client whose last frame went out whole has room in its socket, so its next
    /// frame is written now; only when lws is still holding part of a frame (the client is not keeping up) do
    /// we wait for the callback. lws then holds at most that one frame: memory stays bounded by the conflation.
    func flushWrites(stopping: Bool) {
        guard !flushQueue.isEmpty else { return }
        let queued = flushQueue
        flushQueue.removeAll(keepingCapacity: true)
        for client in queued {
            client.flushQueued = false
            // Closed since it was queued: its connection is gone.
            guard byID[client.id] === client, !stopping else { continue }
            if client.connection.isChoked {
                client.writableRequested = true
                client.connection.requestWritable()
            } else if !writable(client) {
                client.connection.drop()
            }
        }
    }

    /// Writes everything pending for the client as one frame: an object alone, or an array of them; must-arrive
    /// messages first, then quotes, then bars (each series' snapshot before its updates), then alerts, then P&L.
    /// Returns false when the connection failed.
    ///
    /// Only quotes count as deliveries and in the fan-out latency: a P&L push is a valuation, not an update.
    func writable(_ client: ClientSession) -> Bool {
        client.writableRequested = false
        client.waitingSince = nil
        if client.suppressedErrors > 0 {
            client.immediate.append(StreamMessages.suppressedErrors(client.suppressedErrors))
            client.suppressedErrors = 0
        }
        guard client.hasWork else { return true }
        client.queuedErrors = 0
        client.immediateBytes = 0
        let pnl = client.pendingPnL?.bytes
        var count = client.immediate.count + client.pending.count + client.alerts.count + (pnl == nil ? 0 : 1)
        for bars in client.pendingBars.values { count += bars.messageCount }
        var size = count + 1
        for message in client.immediate { size += message.count }
        for update in client.pending.values { size += update.bytes.bytes.count }
        for bars in client.pendingBars.values { size += bars.byteCount }
        for alert in client.alerts { size += alert.bytes.count }
        size += pnl?.count ?? 0
        reserveScratch(size)
        let base = scratch + headroom
        var length = 0
        var first = true
        func append(_ bytes: [UInt8]) {
            if count > 1, !first { base.storeBytes(of: UInt8(ascii: ","), toByteOffset: length, as: UInt8.self); length += 1 }
            first = false
            bytes.withUnsafeBytes { (base + length).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            length += bytes.count
        }
        if count > 1 { base.storeBytes(of: UInt8(ascii: "["), as: UInt8.self); length = 1 }
        for message in client.immediate { append(message) }
        let now = clock.now()
        for update in client.pending.values {
            append(update.bytes.bytes)
            metrics.observeLatency(now.microseconds(since: update.receivedAt))
        }
        for bars in client.pendingBars.values {
            if let snapshot = bars.snapshot { append(snapshot.bytes) }
            for update in bars.updates { append(update.bytes.bytes) }
        }
        for alert in client.alerts { append(alert.bytes) }
        if let pnl { append(pnl) }
        if count > 1 { base.storeBytes(of: UInt8(ascii: "]"), toByteOffset: length, as: UInt8.self); length += 1 }
        metrics.updatesDelivered += client.pending.count
        if pnl != nil { metrics.pnlUpdatesDelivered += 1 }
        client.immediate.removeAll(keepingCapacity: true)
        client.pending.removeAll(keepingCapacity: true)
        client.pendingBars.removeAll(keepingCapacity: true)
        client.alerts.removeAll(keepingCapacity: true)
        client.pendingPnL = nil
        guard client.connection.sendText(UnsafeMutableRawBufferPointer(start: base, count: length)) else { return false }
        metrics.framesWritten += 1
        metrics.bytesWritten += length
        return true
    }

    private func reserveScratch(_ size: Int) {
        guard size > scratchCapacity else { return }
        scratch.deallocate()
        scratchCapacity = max(size, scratchCapacity * 2)
        scratch = .allocate(byteCount: headroom + scratchCapacity, alignment: 16)
    }

    /// Every 100 ms: clients that stopped reading, clients condemned by their own callbacks, clients that never
    /// presented their token. Closes happen synchronously and remove the client: iterate copies.
    func sweep(now: Int64) {
        let limit = Int64(configuration.slowClientSeconds * 1_000_000)
        for client in Array(byID.values) {
            guard let since = client.waitingSince, now - since > limit else { continue }
            // Its socket has not taken a byte for the whole limit: it cannot be caught up, only let go.
            metrics.countSlowClose(code: 1013)
            client.waitingSince = nil
            client.dropQueued()
            client.connection.close(status: 1013, reason: "client not reading")
        }
        for client in Array(byID.values) {
            guard let close = client.pendingClose else { continue }
            client.connection.close(status: close.status, reason: close.reason)
        }
        let authLimit = Int64(configuration.authTimeoutSeconds * 1_000_000)
        for client in Array(byID.values) where client.awaitingToken && now - client.openedAt > authLimit {
            client.awaitingToken = false
            metrics.unauthorizedClosed += 1
            client.connection.close(status: 1008, reason: "no token within \(Int(configuration.authTimeoutSeconds)) s")
        }
    }

    /// A client silent for `pingIdleSeconds` gets a WebSocket ping; one that stays silent (no data, no pong) for
    /// `idleHangupSeconds` is dropped: a half-open connection must not hold its subscriptions forever.
    func keepAlive(now: Int64) {
        let pingAfter = Int64(configuration.pingIdleSeconds) * 1_000_000
        let hangupAfter = Int64(configuration.idleHangupSeconds) * 1_000_000
        for client in byID.values {
            let silent = now - client.lastHeardFrom
            if silent > hangupAfter {
                metrics.idleClientsClosed += 1
                client.lastHeardFrom = now
                client.connection.drop()
            } else if silent > pingAfter, (client.pingSentAt ?? 0) < client.lastHeardFrom, !client.connection.isChoked {
                client.pingSentAt = now
                // With a payload: lws 4.1 does not report an empty pong to the protocol callback. ASCII, because
                // lws checks control payloads as UTF-8 too.
                let payload = Array(String(now).utf8)
                let frame = UnsafeMutableRawBufferPointer(start: scratch + headroom, count: payload.count)
                frame.copyBytes(from: payload)
                client.connection.sendPing(frame)
            }
        }
    }
}
