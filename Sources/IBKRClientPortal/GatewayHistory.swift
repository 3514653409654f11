import ClientPortal
import IBKR
import Synchronization
import TickhubCore

/// Historical bars over the Client Portal: a chart's span split into `/iserver/marketdata/history` requests IBKR
/// accepts (`HistoryTerms.plan`), asked one after another, each under the gateway's pacing and never more than
/// IBKR's 5 at once across every chart, and read back into the hub's bars.
final class GatewayHistory: Sendable {
    private let client: GatewayClient
    private let slots: HistorySlots
    private let timeoutSeconds: Double
    /// Followed series: each a task re-reading its newest bars, by the id `follow` gave.
    private let follows = Mutex<(next: Int, tasks: [Int: Task<Void, Never>])>((1, [:]))

    /// IBKR's limit on history requests under way at once.
    static let concurrency = 5

    init(client: GatewayClient, timeoutSeconds: Double) {
        self.client = client
        slots = HistorySlots(limit: Self.concurrency)
        self.timeoutSeconds = timeoutSeconds
    }

    /// The bars of `request` (those starting in its `[from, to)`), oldest first, from the contract `conid`.
    func bars(_ request: BarRequest, conid: Int, now: Int64) async throws(IBKRHistoryError) -> [Bar] {
        let plan = HistoryTerms.plan(request, now: now)
        let started = client.clock()
        var collected: [Int64: Bar] = [:]
        // FX has no trades at IBKR: its bars are midpoints, whose volume is no volume.
        let hasVolume = request.instrument.securityType != .forex
        for terms in plan {
            guard client.clock() - started < timeoutSeconds else { throw .timedOut(seconds: timeoutSeconds) }
            let answer: MarketDataHistory
            await slots.acquire()
            do {
                answer = try MarketDataHistory.decode(try await client.call(.marketDataHistory, path: terms.path(conid: conid)))
                await slots.release()
            } catch let error as GatewayError {
                await slots.release()
                throw Self.historyError(error)
            } catch {
                await slots.release()
                throw .refused(code: 0, message: "the gateway's history answer could not be read: \(error)")
            }
            for bar in answer.bars(interval: request.interval, hasVolume: hasVolume)
            where bar.time >= request.from && bar.time < request.to {
                // Chunks meet at their edges: the newer chunk's copy of a bar is the one kept.
                if collected[bar.time] == nil { collected[bar.time] = bar }
            }
        }
        return collected.values.sorted { $0.time < $1.time }
    }

    /// How often a followed series' newest bars are read again. The gateway streams no bars, so this is how
    /// IBKR's own bar (its volume above all, which quotes do not give a candle) replaces the one the hub builds from
    /// trades: one request a series every 10 s, well inside the pacing beside everything else.
    static let followSeconds = 10.0

    /// Follows `instrument`'s bars at `interval`: every `seconds` its newest two bars are asked for (the forming
    /// one and the one before, which may have completed since) and each that changed goes to `onBar`. `conid` is
    /// asked each time and gives nil while the session is down or the contract unknown; then nothing is asked.
    /// Runs until `stopFollowing`.
    func follow(
        _ instrument: Instrument, interval: BarInterval, every seconds: Double = followSeconds,
        conid: @escaping @Sendable () async -> Int?, onBar: @escaping @Sendable (Bar) -> Void
    ) -> Int {
        let terms = HistoryTerms(
            period: HistoryTerms.newestPeriod(interval), bar: HistoryTerms.bar(interval),
            outsideRth: HistoryTerms.outsideRth(instrument.securityType))
        let hasVolume = instrument.securityType != .forex
        let task = Task { [client, slots] in
            var sent: [Int64: Bar] = [:]
            while !Task.isCancelled {
                if let conid = await conid() {
                    await slots.acquire()
                    let body = try? await client.call(.marketDataHistory, path: terms.path(conid: conid))
                    await slots.release()
                    let bars = (body.flatMap { try? MarketDataHistory.decode($0) })?.bars(interval: interval, hasVolume: hasVolume) ?? []
                    for bar in bars.suffix(2) where sent[bar.time] != bar {
                        sent[bar.time] = bar
                        onBar(bar)
                    }
                    // Only the newest few are compared again.
                    if sent.count > 8, let oldest = sent.keys.min() { sent[oldest] = nil }
                }
                do { try await Task.sleep(for: .milliseconds(Int64(seconds * 1000))) } catch { return }
            }
        }
        return follows.withLock { state in
            let id = state.next
            state.next += 1
            state.tasks[id] = task
            return id
        }
    }

    /// Ends a follow; an id `follow` did not give (or already stopped) is ignored.
    func stopFollowing(_ id: Int) {
        follows.withLock { $0.tasks.removeValue(forKey: id) }?.cancel()
    }

    /// Every follow ended (the transport stops).
    func stopAll() {
        let tasks = follows.withLock { state in
            defer { state.tasks = [:] }
            return Array(state.tasks.values)
        }
        for task in tasks { task.cancel() }
    }

    /// What a chart makes of a failed call: a session that is not there is IBKR disconnected (the next provider
    /// serves); a 429 is the penalty box, reported; any other answer is IBKR's refusal with its status.
    static func historyError(_ error: GatewayError) -> IBKRHistoryError {
        switch error {
        case .notAuthenticated, .competing, .unreachable, .configuration:
            .disconnected
        case .penalized:
            .refused(code: 429, message: "IBKR's gateway answered 429: nothing is asked of it until its penalty box ends")
        case let .status(code, body):
            .refused(code: code, message: body)
        case let .malformed(detail):
            .refused(code: 0, message: "the gateway's history answer could not be read: \(detail)")
        }
    }
}

/// At most `limit` holders at once; the rest wait in arrival order.
actor HistorySlots {
    private let limit: Int
    private var inUse = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(limit: Int) { self.limit = limit }

    func acquire() async {
        if inUse < limit {
            inUse += 1
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    /// Hands the slot to the longest waiter, or frees it.
    func release() {
        if waiting.isEmpty {
            inUse -= 1
        } else {
            waiting.removeFirst().resume()
        }
    }
}
