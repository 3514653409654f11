import HubProtocol
import Foundation
import TickhubCore

/// Everything the fan-out thread owns: clients, subscriptions, the quote book, pending HTTP exchanges.
///
/// Each update is encoded once; its bytes are shared by every subscriber, and a client that is behind holds
/// at most one pending update per symbol. Touched on the lws service thread only.
package final class FanoutHub {
    package let configuration: ServerConfiguration
    package unowned let server: any FanoutHost
    /// Subscribe, unsubscribe and prioritize reach the backend in the order they are made here.
    let upstreamCommands: UpstreamQueue
    package var book = QuoteBook()
    package var clients: [Int: ClientSession] = [:]
    package var subscribers: [String: [Int: ClientSession]] = [:]
    package var nextClientID = 1
    package var availability: [String: SymbolAvailability] = [:]
    /// Symbols requested from the backend, by clients or by the HTTP API, with when they were last wanted
    /// (µs since the epoch) by anyone other than a current subscriber.
    package var upstream: [String: Int64] = [:]
    package var metrics = Metrics()
    package var ibkrStatus: BrokerConnectionStatus?
    /// Positions by broker, and account balances by broker.
    package var holdings: [String: [Holding]] = [:]
    package var balances: [String: [AccountBalance]] = [:]
    /// Symbols some position holds: they stay subscribed, and their quotes move P&L.
    package var held: Set<String> = []
    /// The fair share of upstream lines needs working out again (FanoutHub+LineShare); the last one sent.
    package var lineShareDirty = false
    package var lineShare: [String] = []
    package var pnlDirty = false
    package var lastPnLPush: Int64 = 0
    package var lastSnapshot: Int64 = 0
    package var lastQuoteSave: Int64 = 0
    /// Every provider's health, in preference order, when a provider manager is in use.
    package var providerHealth: [ProviderHealth] = []
    /// Why the latest database write failed; nil while writes work.
    package var databaseProblem: String?
    /// Where each symbol's quotes come from now (nil: no provider can serve it); absent until it first has one.
    package var sources: [String: QuoteSource?] = [:]
    package var lastStatusMessage: [UInt8] = []
    package var publishDecoder = PublishDecoder()
    /// The last encoding of each symbol's quote, by sequence number.
    package var encodedQuotes: [String: (sequence: UInt64, bytes: SharedBytes)] = [:]
    /// Clients with something to write, flushed at the end of each turn of the service loop.
    package var flushQueue: [ClientSession] = []
    package var publisherCount = 0
    package let startedAt = Date()

    // HTTP exchanges waiting for something (a first quote, the backend), by id.
    package var exchanges: [Int: HTTPExchange] = [:]
    package var nextExchangeID = 1

    /// Frame scratch space with `frameHeadroom` bytes in front of each frame (see `Connection`), reused for every write.
    package var scratch: UnsafeMutableRawPointer
    private var scratchCapacity: Int
    package let pre: Int

    package init(configuration: ServerConfiguration, host: any FanoutHost, frameHeadroom: Int) {
        self.configuration = configuration
        self.server = host
        upstreamCommands = UpstreamQueue(backend: host.backend)
        pre = frameHeadroom
        scratchCapacity = 64 * 1024
        scratch = .allocate(byteCount: pre + scratchCapacity, alignment: 16)
    }

    deinit { scratch.deallocate() }

    package static func nowMicros() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1_000
    }

    // MARK: Updates in

    package func publish(_ quote: Quote, receivedAt: Int64) {
        metrics.updatesIn += 1
        let entry = book.update(quote, receivedAt: receivedAt)
        if quote.hasPrice { availability[quote.symbol] = .available }
        if held.contains(quote.symbol) || quote.symbol.contains(".") { pnlDirty = true }
        answerWaitingExchanges(for: quote.symbol)
        guard let subscribed = subscribers[quote.symbol], !subscribed.isEmpty else { return }
        let update = ClientSession.PendingUpdate(bytes: encoded(entry), receivedAt: receivedAt)
        for client in subscribed.values {
            if client.pending.updateValue(update, forKey: quote.symbol) != nil { metrics.updatesConflated += 1 }
            requestWrite(client)
        }
    }

    /// The entry's wire form, encoded once per update whether streamed or asked for over HTTP.
    package func encoded(_ entry: QuoteBook.Entry) -> SharedBytes {
        if let cached = encodedQuotes[entry.quote.symbol], cached.sequence == entry.sequence { return cached.bytes }
        let bytes = SharedBytes(QuoteEncoding.encode(entry))
        encodedQuotes[entry.quote.symbol] = (entry.sequence, bytes)
        return bytes
    }

    package func setAvailability(_ symbol: String, _ state: SymbolAvailability) {
        let previous = availability[symbol]
        availability[symbol] = state
        guard previous != state else { return }
        if case .available = state { return }
        answerWaitingExchanges(for: symbol)
        // Clients that asked for the symbol learn why no quotes come.
        let (code, message) = Self.describe(symbol, state)
        for client in (subscribers[symbol] ?? [:]).values {
            sendError(errorMessage(code: code, message: message, symbol: symbol), to: client, earned: false)
        }
    }

    package static func describe(_ symbol: String, _ state: SymbolAvailability) -> (String, String) {
        switch state {
        case .available: ("available", "\(symbol) is available")
        case .unknown: ("unknown_symbol", "no provider knows the instrument \(symbol)")
        case let .unavailable(reason): ("unavailable", "no provider can serve \(symbol) now: \(reason)")
        }
    }

    package func setIBKRStatus(_ status: BrokerConnectionStatus) {
        ibkrStatus = status
        let message = statusMessage()
        // Status is refreshed every few seconds; clients hear only of changes.
        guard message != lastStatusMessage else { return }
        lastStatusMessage = message
        for client in clients.values where client.channels.contains(.status) { send(message, to: client) }
    }

    package func sourceChanged(_ symbol: String, from: QuoteSource?, to: QuoteSource?, reason: String) {
        let first = sources.index(forKey: symbol) == nil
        sources[symbol] = .some(to)
        // The first source a symbol gets is not news; every change after it is.
        guard !first else { return }
        var w = JSONWriter()
        w.beginObject()
        w.field("type", "status")
        w.field("symbol", symbol)
        w.field("source", to?.rawValue)
        w.field("previousSource", from?.rawValue)
        w.field("reason", reason)
        w.endObject()
        let message = w.bytes
        for client in (subscribers[symbol] ?? [:]).values { send(message, to: client) }
    }

    package func statusMessage() -> [UInt8] {
        var w = JSONWriter()
        w.beginObject()
        w.field("type", "status")
        w.key("ibkr")
        Self.writeIBKRStatus(ibkrStatus, into: &w)
        w.endObject()
        return w.bytes
    }

    package static func writeIBKRStatus(_ status: BrokerConnectionStatus?, into w: inout JSONWriter) {
        guard let s = status else {
            w.beginObject()
            w.field("state", "unknown")
            w.endObject()
            return
        }
        w.beginObject()
        w.field("state", s.state.name)
        if case let .degraded(reasons) = s.state {
            w.key("degraded")
            w.beginArray()
            for reason in reasons.map(\.rawValue).sorted() { w.value(reason) }
            w.endArray()
        }
        if case let .reconnecting(attempt, delay) = s.state {
            w.field("attempt", attempt)
            w.field("retryInSeconds", (delay * 10).rounded() / 10)
        }
        w.field("host", s.host)
        w.field("port", s.port)
        w.field("clientId", s.clientId)
        w.field("serverVersion", s.serverVersion.map { Int64($0) })
        w.field("connectedSince", s.connectedSince)
        w.field("lastError", s.lastError)
        w.key("accounts")
        w.beginArray()
        for account in s.accounts { w.value(account) }
        w.endArray()
        w.field("linesInUse", s.linesInUse)
        w.field("lineBudget", s.lineBudget)
        w.field("messagesInPerSecond", s.messagesInPerSecond)
        w.field("messagesOutPerSecond", s.messagesOutPerSecond)
        w.field("connections", s.connections)
        w.endObject()
    }

    // MARK: Clients

    package func open(_ connection: any Connection, publisher: Bool, awaitingToken: Bool = false) -> ClientSession {
        let client = ClientSession(id: nextClientID, connection: connection, isPublisher: publisher, awaitingToken: awaitingToken)
        nextClientID += 1
        clients[client.id] = client
        if publisher {
            metrics.publishersAccepted += 1
            publisherCount += 1
            server.backend.publisher(client.id, connected: true)
        } else {
            metrics.clientsAccepted += 1
        }
        return client
    }

    package func close(_ client: ClientSession) {
        clients[client.id] = nil
        for symbol in client.symbols.keys { leave(symbol, client) }
        if !client.symbols.isEmpty { lineShareDirty = true }
        if client.isPublisher {
            publisherCount -= 1
            server.backend.publisher(client.id, connected: false)
        }
    }

    /// Records interest in symbols and subscribes upstream the ones nobody had asked for yet, up to
    /// `maxUpstreamSymbols` in all: every symbol followed costs a provider line or poll whoever asked, so no mix
    /// of clients may make the hub follow an unbounded set. Held symbols (P&L needs them) count against a budget of
    /// the same size of their own.
    package func want(_ instruments: [Instrument], held: Bool = false) {
        let now = Self.nowMicros()
        var added: [Instrument] = []
        // Held symbols have a budget of their own, and do not count against the others': a crowd of streamed symbols
        // never leaves P&L unvalued, and positions never crowd out what clients stream.
        // Counted only when a symbol is new: a request for symbols already followed (the usual one) costs nothing.
        var heldFollowedCount: Int?
        for instrument in instruments {
            if upstream[instrument.symbol] != nil {
                upstream[instrument.symbol] = now
                continue
            }
            let heldFollowed = heldFollowedCount ?? self.held.filter { upstream[$0] != nil }.count
            heldFollowedCount = heldFollowed
            if (held ? heldFollowed : upstream.count - heldFollowed) < configuration.maxUpstreamSymbols {
                if held { heldFollowedCount = heldFollowed + 1 }
                upstream[instrument.symbol] = now
                added.append(instrument)
            } else {
                metrics.symbolsRefusedAtCapacity += 1
                setAvailability(instrument.symbol, .unavailable(
                    "the hub follows at most \(configuration.maxUpstreamSymbols) symbols; release some and ask again"))
            }
        }
        if !added.isEmpty {
            upstreamCommands.send(.subscribe(added))
            lineShareDirty = true
        }
    }

    package func leave(_ symbol: String, _ client: ClientSession) {
        subscribers[symbol]?[client.id] = nil
        // The grace period before release starts when the last subscriber goes.
        if subscribers[symbol]?.isEmpty ?? true, upstream[symbol] != nil { upstream[symbol] = Self.nowMicros() }
    }

    /// Releases symbols nobody streams and nobody asked for over HTTP within the grace period.
    package func releaseIdleSymbols(now: Int64) {
        let limit = Int64(configuration.releaseIdleSymbolsSeconds * 1_000_000)
        let idle = upstream.filter { symbol, lastWanted in
            (subscribers[symbol]?.isEmpty ?? true) && now - lastWanted > limit && !held.contains(symbol)
                && !exchanges.values.contains { $0.awaiting.contains(symbol) }
        }.map(\.key)
        guard !idle.isEmpty else { return }
        for symbol in idle {
            upstream[symbol] = nil
            subscribers[symbol] = nil
            availability[symbol] = nil
            encodedQuotes[symbol] = nil
            book.remove(symbol)
        }
        upstreamCommands.send(.unsubscribe(idle))
        lineShareDirty = true
    }

    /// Queues a message every client must get, in order (pongs, errors, snapshots, statuses).
    /// Queues a message that must arrive. A client that lets `maxQueuedBytes` of them pile up is not reading:
    /// it is closed (1013) rather than allowed to hold the memory.
    package func send(_ message: [UInt8], to client: ClientSession) {
        guard client.pendingClose == nil else { return }
        guard client.immediateBytes + message.count <= configuration.maxQueuedBytes else {
            metrics.slowClientsClosed += 1
            client.immediate.removeAll()
            client.pending.removeAll()
            client.immediateBytes = 0
            client.pendingClose = (1013, "client not reading")
            return
        }
        client.immediateBytes += message.count
        client.immediate.append(message)
        requestWrite(client)
    }

    package func requestWrite(_ client: ClientSession) {
        if client.waitingSince == nil { client.waitingSince = Self.nowMicros() }
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
    package func flushWrites() {
        guard !flushQueue.isEmpty else { return }
        let queued = flushQueue
        flushQueue.removeAll(keepingCapacity: true)
        for client in queued {
            client.flushQueued = false
            // Closed since it was queued: its connection is gone.
            guard clients[client.id] === client, !server.isStopping else { continue }
            if client.connection.isChoked {
                client.writableRequested = true
                client.connection.requestWritable()
            } else if !writable(client) {
                client.connection.drop()
            }
        }
    }

    /// Writes everything pending for the client as one frame: an object alone, or an array of them.
    /// Returns false when the connection failed.
    package func writable(_ client: ClientSession) -> Bool {
        client.writableRequested = false
        client.waitingSince = nil
        if client.suppressedErrors > 0 {
            client.immediate.append(suppressedErrorsMessage(client.suppressedErrors))
            client.suppressedErrors = 0
        }
        guard client.hasWork else { return true }
        client.queuedErrors = 0
        client.immediateBytes = 0
        let count = client.immediate.count + client.pending.count
        var size = count + 1
        for message in client.immediate { size += message.count }
        for update in client.pending.values { size += update.bytes.bytes.count }
        reserveScratch(size)
        let base = scratch + pre
        var length = 0
        func append(_ bytes: [UInt8]) {
            bytes.withUnsafeBytes { (base + length).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            length += bytes.count
        }
        if count > 1 { base.storeBytes(of: UInt8(ascii: "["), as: UInt8.self); length = 1 }
        var first = true
        for message in client.immediate {
            if count > 1, !first { base.storeBytes(of: UInt8(ascii: ","), toByteOffset: length, as: UInt8.self); length += 1 }
            first = false
            append(message)
        }
        let now = Self.nowMicros()
        for update in client.pending.values {
            if count > 1, !first { base.storeBytes(of: UInt8(ascii: ","), toByteOffset: length, as: UInt8.self); length += 1 }
            first = false
            append(update.bytes.bytes)
            metrics.observeLatency(now - update.receivedAt)
        }
        if count > 1 { base.storeBytes(of: UInt8(ascii: "]"), toByteOffset: length, as: UInt8.self); length += 1 }
        metrics.updatesDelivered += client.pending.count
        client.immediate.removeAll(keepingCapacity: true)
        client.pending.removeAll(keepingCapacity: true)
        guard client.connection.sendText(UnsafeMutableRawBufferPointer(start: base, count: length)) else { return false }
        metrics.framesWritten += 1
        metrics.bytesWritten += length
        return true
    }

    private func reserveScratch(_ size: Int) {
        guard size > scratchCapacity else { return }
        scratch.deallocate()
        scratchCapacity = max(size, scratchCapacity * 2)
        scratch = .allocate(byteCount: pre + scratchCapacity, alignment: 16)
    }

    // MARK: Housekeeping

    /// Every 100 ms: slow clients, HTTP deadlines; every second: rates.
    package func housekeeping(secondElapsed: Bool) {
        let now = Self.nowMicros()
        let limit = Int64(configuration.slowClientSeconds * 1_000_000)
        // hangUp closes synchronously, and the CLOSED callback removes the client: iterate copies.
        for client in Array(clients.values) {
            guard let since = client.waitingSince, now - since > limit else { continue }
            // Its socket has not taken a byte for the whole limit: it cannot be caught up, only let go.
            metrics.slowClientsClosed += 1
            client.waitingSince = nil
            client.pending.removeAll()
            client.immediate.removeAll()
            hangUp(client, status: 1013, reason: "client not reading")
        }
        for client in Array(clients.values) {
            guard let close = client.pendingClose else { continue }
            hangUp(client, status: close.status, reason: close.reason)
        }
        let authLimit = Int64(configuration.authTimeoutSeconds * 1_000_000)
        for client in Array(clients.values) where client.awaitingToken && now - client.openedAt > authLimit {
            client.awaitingToken = false
            metrics.unauthorizedClosed += 1
            hangUp(client, status: 1008, reason: "no token within \(Int(configuration.authTimeoutSeconds)) s")
        }
        expireExchanges(now: now)
        shareLinesIfChanged()
        pushPnLIfDue(now: now)
        if secondElapsed {
            keepAlive(now: now)
            metrics.everySecond(seconds: 1)
            releaseIdleSymbols(now: now)
            persist(now: now)
        }
    }

    /// Closes from outside the client's own callbacks, with a close frame saying why. The client is gone when
    /// this returns.
    package func hangUp(_ client: ClientSession, status: UInt16, reason: String) {
        client.connection.close(status: status, reason: reason)
    }

    /// A client silent for `pingIdleSeconds` gets a WebSocket ping; one that stays silent (no data, no pong) for
    /// `idleHangupSeconds` is dropped: a half-open connection must not hold its subscriptions forever.
    package func keepAlive(now: Int64) {
        let pingAfter = Int64(configuration.pingIdleSeconds) * 1_000_000
        let hangupAfter = Int64(configuration.idleHangupSeconds) * 1_000_000
        for client in clients.values {
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
                let frame = UnsafeMutableRawBufferPointer(start: scratch + pre, count: payload.count)
                frame.copyBytes(from: payload)
                client.connection.sendPing(frame)
            }
        }
    }

    package var subscriberCount: Int { clients.count - publisherCount }
    package var subscriptionCount: Int { clients.values.reduce(0) { $0 + $1.symbols.count } }
}
