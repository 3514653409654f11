import Logging
import NIOCore
import TWSProtocol
import TickhubCore

/// Historical bars: one-shot requests for a chart's backfill and keepUpToDate requests that follow a series'
/// forming bar, all sent through `HistoricalPacer` so that IBKR's pacing is never broken.
struct HistoryBook {
    struct Waiter {
        var request: BarRequest
        var resolve: (Result<[Bar], IBKRHistoryError>) -> Void
    }

    enum Purpose {
        /// A backfill; every identical one asked meanwhile waits on the same request.
        case fetch(fingerprint: String, waiters: [Waiter])
        case follow(BarKey)
    }

    /// One request, from the moment it is queued until it is answered, fails or is cancelled.
    struct Job {
        var purpose: Purpose
        var instrument: Instrument
        var interval: BarInterval
        var query: HistoricalBarQuery
        var requestID: Int?
        var raw: [HistoricalBar] = []
        /// A request refused for pacing anyway (another client on the account shares the limits) goes back in
        /// the queue once; twice is a failure, never a loop.
        var pacingRetried = false
        var timeout: Scheduled<Void>?
    }

    /// A series followed with keepUpToDate: one TWS request however many listeners.
    struct FollowedSeries {
        var instrument: Instrument
        var listeners: [Int: @Sendable (Bar) -> Void] = [:]
        var ticket: Int?
        /// The start of the newest bar delivered: a resumed request asks from there, so the bars that completed
        /// while the connection was down are delivered too.
        var lastBarTime: Int64?
        /// TWS refused it for good (unknown contract, no permission): not requested again.
        var refused = false
    }

    var pacer: HistoricalPacer
    var nextTicket = 1
    var jobs: [Int: Job] = [:]
    var ticketByRequestID: [Int: Int] = [:]
    var fetchByFingerprint: [String: Int] = [:]
    /// Answers of the last identical window, by fingerprint: an identical request may not be sent again so soon,
    /// and what it would get is this (bars, or TWS's refusal).
    var recentAnswers: [String: (result: Result<[Bar], IBKRHistoryError>, at: Double)] = [:]
    var series: [BarKey: FollowedSeries] = [:]
    var followKeys: [Int: BarKey] = [:]
    var nextFollowID = 1
    var wake: Scheduled<Void>?
    /// Backfills asked for while the connection was being made: sent once it is ready, or failed when it does not
    /// come within the connect timeout.
    var parked: [Int: (request: BarRequest, resolve: (Result<[Bar], IBKRHistoryError>) -> Void, timeout: Scheduled<Void>)] = [:]

    init(limits: HistoricalPacer.Limits) {
        pacer = HistoricalPacer(limits: limits)
    }

    /// Followed series leave this many of the open requests to backfills.
    var followCapacity: Int { max(1, pacer.limits.open - max(1, pacer.limits.open / 5)) }
}

extension IBKRSession {
    // MARK: Backfill

    func fetchBars(_ request: BarRequest, resolve: @escaping (Result<[Bar], IBKRHistoryError>) -> Void) {
        guard request.from < request.to else {
            resolve(.failure(.invalidRequest("the span's start (\(request.from)) is not before its end (\(request.to))")))
            return
        }
        guard isReady else {
            // A chart opened while TWS is being connected to (the hub just started, or the user pressed Connect)
            // waits for it; one opened while the link is down or waiting to retry gets its answer at once, so the
            // next provider can serve it.
            if machine.phase == .connecting || machine.phase == .connected {
                park(request, resolve)
            } else {
                resolve(.failure(.disconnected))
            }
            return
        }
        guard let query = HistoricalBarQuery(request, now: Self.epochMillis()) else {
            resolve(.success([]))
            return
        }
        let fingerprint = "\(seriesName(request.instrument, query))|\(query.terms)|\(request.interval.rawValue)"
        let waiter = HistoryBook.Waiter(request: request, resolve: resolve)
        let now = Self.seconds()
        history.recentAnswers = history.recentAnswers.filter { now - $0.value.at < identicalWindow }
        if let recent = history.recentAnswers[fingerprint] {
            resolve(recent.result.map { Self.bars($0, within: request) })
            return
        }
        if let ticket = history.fetchByFingerprint[fingerprint], case .fetch(_, var waiters)? = history.jobs[ticket]?.purpose {
            waiters.append(waiter)
            history.jobs[ticket]?.purpose = .fetch(fingerprint: fingerprint, waiters: waiters)
            return
        }
        let ticket = enqueueHistory(HistoryBook.Job(
            purpose: .fetch(fingerprint: fingerprint, waiters: [waiter]), instrument: request.instrument,
            interval: request.interval, query: query))
        history.fetchByFingerprint[fingerprint] = ticket
        let session = bound
        let seconds = configuration.historicalTimeoutSeconds
        history.jobs[ticket]?.timeout = loop.scheduleTask(in: .nanoseconds(Int64(seconds * 1e9))) {
            session.value.historyTimedOut(ticket)
        }
        pumpHistory()
    }

    private func park(_ request: BarRequest, _ resolve: @escaping (Result<[Bar], IBKRHistoryError>) -> Void) {
        let id = history.nextTicket
        history.nextTicket += 1
        let session = bound
        let timeout = loop.scheduleTask(in: .nanoseconds(Int64(configuration.connectTimeoutSeconds * 1e9))) {
            guard let parked = session.value.history.parked.removeValue(forKey: id) else { return }
            parked.resolve(.failure(.disconnected))
        }
        history.parked[id] = (request, resolve, timeout)
    }

    /// The backfills that waited for the connection, asked now that it is ready.
    func sendParkedBackfills() {
        let waiting = history.parked.sorted { $0.key < $1.key }
        history.parked = [:]
        for (_, parked) in waiting {
            parked.timeout.cancel()
            fetchBars(parked.request, resolve: parked.resolve)
        }
    }

    func historyTimedOut(_ ticket: Int) {
        guard let job = history.jobs[ticket] else { return }
        if history.pacer.withdraw(ticket) {
            logSymbol(.warning, "\(job.instrument.symbol) \(job.interval.rawValue) bars: still waiting for their turn after \(configuration.historicalTimeoutSeconds) s; given up")
        } else if let requestID = job.requestID {
            logSymbol(.warning, "\(job.instrument.symbol) \(job.interval.rawValue) bars: no answer from TWS within \(configuration.historicalTimeoutSeconds) s; cancelled")
            send(CancelHistoricalData(requestID: requestID))
        }
        finishJob(ticket, .failure(.timedOut(seconds: configuration.historicalTimeoutSeconds)))
    }

    static func bars(_ bars: [Bar], within request: BarRequest) -> [Bar] {
        bars.filter { $0.time >= request.from && $0.time < request.to }
    }

    // MARK: Following

    /// Nil when as many series are followed as IBKR's open-request limit allows beside backfills, or when TWS
    /// has refused the series' updates for good.
    func followBars(_ instrument: Instrument, interval: BarInterval, onBar: @escaping @Sendable (Bar) -> Void) -> Int? {
        let key = BarKey(symbol: instrument.symbol, interval: interval)
        if history.series[key]?.refused == true { return nil }
        if history.series[key] == nil {
            guard history.series.count < history.followCapacity else {
                logSymbol(.warning, "\(key): not followed; \(history.series.count) series are followed already, IBKR's limit of open historical requests less room for backfills")
                return nil
            }
            history.series[key] = HistoryBook.FollowedSeries(instrument: instrument)
            requestFollow(key)
        }
        let id = history.nextFollowID
        history.nextFollowID += 1
        history.series[key]?.listeners[id] = onBar
        history.followKeys[id] = key
        return id
    }

    func stopFollowingBars(_ id: Int) {
        guard let key = history.followKeys.removeValue(forKey: id) else { return }
        history.series[key]?.listeners[id] = nil
        guard history.series[key]?.listeners.isEmpty == true else { return }
        if let ticket = history.series[key]?.ticket { cancelJob(ticket) }
        history.series[key] = nil
        pumpHistory()
    }

    /// Queues the series' keepUpToDate request, from its last delivered bar (when connected; else at connection).
    func requestFollow(_ key: BarKey) {
        guard isReady, let followed = history.series[key], followed.ticket == nil, !followed.refused else { return }
        let query = HistoricalBarQuery(
            following: followed.instrument, interval: key.interval, since: followed.lastBarTime, now: Self.epochMillis())
        // Queued first, then recorded: the queue changes the same history book, which must not be held open meanwhile.
        let ticket = enqueueHistory(HistoryBook.Job(
            purpose: .follow(key), instrument: followed.instrument, interval: key.interval, query: query))
        history.series[key]?.ticket = ticket
        pumpHistory()
    }

    /// After a new connection or 1101: every followed series again, with fresh request ids.
    func resumeBarFollows() {
        sendParkedBackfills()
        for key in history.series.keys.sorted(by: { $0.description < $1.description }) {
            if let ticket = history.series[key]?.ticket { cancelJob(ticket) }
            requestFollow(key)
        }
    }

    func deliver(_ bars: [Bar], to key: BarKey) {
        guard var followed = history.series[key] else { return }
        for bar in bars where bar.time >= (followed.lastBarTime ?? .min) {
            followed.lastBarTime = bar.time
            for listener in followed.listeners.values { listener(bar) }
        }
        history.series[key]?.lastBarTime = followed.lastBarTime
    }

    // MARK: Queue

    var identicalWindow: Double { history.pacer.limits.identicalWindow + history.pacer.limits.margin }

    /// What IBKR's burst rule counts by: the contract, its exchange and the tick type.
    func seriesName(_ instrument: Instrument, _ query: HistoricalBarQuery) -> String {
        "\(instrument.symbol)@\(instrument.exchange)|\(query.whatToShow)"
    }

    func enqueueHistory(_ job: HistoryBook.Job) -> Int {
        let ticket = history.nextTicket
        history.nextTicket += 1
        history.jobs[ticket] = job
        queue(ticket)
        return ticket
    }

    /// Puts the job in the pacer's queue (again, after a refusal for pacing).
    func queue(_ ticket: Int, notBefore: Double = 0) {
        guard let job = history.jobs[ticket] else { return }
        history.pacer.enqueue(HistoricalPacer.Request(
            ticket: ticket, series: seriesName(job.instrument, job.query), terms: job.query.terms,
            weight: job.query.whatToShow == "BID_ASK" ? 2 : 1, notBefore: notBefore))
    }

    /// Sends every request whose turn has come, and wakes again when the next one's will.
    ///
    /// The pacer counts a request from the moment it releases it, so a request must leave then, not wait behind
    /// other messages in the outbox: requests are released only into an empty outbox and no more than the
    /// outgoing bucket lets through at once. A busy outbox calls this again when it has drained.
    func pumpHistory() {
        guard isReady else { return }
        history.wake?.cancel()
        history.wake = nil
        guard outbox.isEmpty else { return }
        let now = Self.seconds()
        for request in history.pacer.due(now: now, limit: bucket.available(now: now)) {
            guard let job = history.jobs[request.ticket] else {
                history.pacer.finished(request.ticket, now: now)
                continue
            }
            let requestID = takeRequestID()
            history.jobs[request.ticket]?.requestID = requestID
            history.ticketByRequestID[requestID] = request.ticket
            let contract = symbols[job.instrument.symbol]?.contract ?? Contract(job.instrument)
            send(job.query.message(requestID: requestID, contract: contract))
        }
        guard outbox.isEmpty, let next = history.pacer.nextDue(now: now) else { return }
        let delay = max(next - now, bucket.wait(now: now), 0.001)
        let session = bound
        history.wake = loop.scheduleTask(in: .nanoseconds(Int64(delay * 1e9))) {
            session.value.history.wake = nil
            session.value.pumpHistory()
        }
    }

    /// Withdraws or cancels a job without an answer to anyone (a follow no one wants, a follow being renewed).
    func cancelJob(_ ticket: Int) {
        guard let job = history.jobs.removeValue(forKey: ticket) else { return }
        job.timeout?.cancel()
        if !history.pacer.withdraw(ticket), let requestID = job.requestID {
            history.ticketByRequestID[requestID] = nil
            send(CancelHistoricalData(requestID: requestID))
        }
        history.pacer.finished(ticket, now: Self.seconds())
        if case let .follow(key) = job.purpose, history.series[key]?.ticket == ticket { history.series[key]?.ticket = nil }
    }

    /// Ends a backfill: every waiter gets the bars within its own span, or the failure; identical requests within
    /// the identical window get the same bars.
    func finishJob(_ ticket: Int, _ result: Result<[Bar], IBKRHistoryError>) {
        guard let job = history.jobs.removeValue(forKey: ticket) else { return }
        job.timeout?.cancel()
        history.pacer.finished(ticket, now: Self.seconds())
        if let requestID = job.requestID { history.ticketByRequestID[requestID] = nil }
        switch job.purpose {
        case let .fetch(fingerprint, waiters):
            history.fetchByFingerprint[fingerprint] = nil
            switch result {
            case .success, .failure(.refused): history.recentAnswers[fingerprint] = (result, Self.seconds())
            default: break
            }
            for waiter in waiters { waiter.resolve(result.map { Self.bars($0, within: waiter.request) }) }
        case let .follow(key):
            if history.series[key]?.ticket == ticket { history.series[key]?.ticket = nil }
        }
        pumpHistory()
    }

    /// The connection is gone: backfills fail at once (a fallback can serve the chart); followed series wait for
    /// the next connection.
    func resetHistory() {
        history.wake?.cancel()
        history.wake = nil
        let tickets = Array(history.jobs.keys).sorted()
        history.pacer.connectionLost(now: Self.seconds())
        history.ticketByRequestID = [:]
        for ticket in tickets {
            guard let job = history.jobs[ticket] else { continue }
            switch job.purpose {
            case .fetch: finishJob(ticket, .failure(.disconnected))
            case let .follow(key):
                history.jobs[ticket] = nil
                if history.series[key]?.ticket == ticket { history.series[key]?.ticket = nil }
            }
        }
    }

    // MARK: Inbound

    func historicalData(_ message: HistoricalData) {
        guard let ticket = history.ticketByRequestID[message.requestID] else { return }
        history.jobs[ticket]?.raw.append(contentsOf: message.bars)
        // Below 196 this message is the whole answer; from 196 historicalDataEnd follows.
        if (serverVersion ?? 0) < ServerVersion.historicalDataEnd { historicalAnswerComplete(ticket) }
    }

    func historicalDataEnd(_ message: HistoricalDataEnd) {
        guard let ticket = history.ticketByRequestID[message.requestID] else { return }
        historicalAnswerComplete(ticket)
    }

    func historicalAnswerComplete(_ ticket: Int) {
        guard let job = history.jobs[ticket] else { return }
        let bars = HistoricalBarQuery.bars(job.raw, interval: job.interval, whatToShow: job.query.whatToShow)
        if bars.count < job.raw.count {
            logSymbol(.warning, "\(job.instrument.symbol) \(job.interval.rawValue): \(job.raw.count - bars.count) of \(job.raw.count) bars from TWS dropped (unreadable time, or prices that are not a candle)")
        }
        switch job.purpose {
        case .fetch:
            finishJob(ticket, .success(bars))
        case let .follow(key):
            // The request stays open at TWS (and in the pacer) for its updates, until cancelled.
            history.pacer.answered(ticket, now: Self.seconds())
            history.jobs[ticket]?.raw = []
            deliver(bars, to: key)
        }
    }

    func historicalDataUpdate(_ message: HistoricalDataUpdate) {
        guard let ticket = history.ticketByRequestID[message.requestID], let job = history.jobs[ticket],
              case let .follow(key) = job.purpose
        else { return }
        guard let bar = HistoricalBarQuery.bar(message.bar, interval: job.interval, whatToShow: job.query.whatToShow)
        else { return }
        deliver([bar], to: key)
    }

    /// An error naming one of the history requests; false when it names none.
    func historyError(_ error: ErrorMessage) -> Bool {
        guard let ticket = history.ticketByRequestID[error.requestID], let job = history.jobs[ticket] else { return false }
        let notice = TWSNotice(code: error.code)
        switch notice {
        case .informational, .advisory:
            logger.debug("\(job.instrument.symbol) bars: TWS \(error.code) \(error.message)")
            return true
        default: break
        }
        // 162 is IBKR's one code for most historical refusals; only its text tells pacing from "no data" from
        // "no permission".
        let text = error.message.lowercased()
        let paced = error.code == 162 && text.contains("pacing violation")
        if paced || error.code == 162 && text.contains("too many open") {
            guard job.pacingRetried else {
                logSymbol(.warning, "\(job.instrument.symbol) \(job.interval.rawValue) bars refused for pacing (\(error.message)): another client on the account may share IBKR's limits; asking once more after \(identicalWindow) s")
                history.ticketByRequestID[error.requestID] = nil
                history.pacer.finished(ticket, now: Self.seconds())
                history.jobs[ticket]?.requestID = nil
                history.jobs[ticket]?.raw = []
                history.jobs[ticket]?.pacingRetried = true
                queue(ticket, notBefore: Self.seconds() + identicalWindow)
                pumpHistory()
                return true
            }
        }
        if error.code == 162, text.contains("returned no data"), case .fetch = job.purpose {
            finishJob(ticket, .success([]))
            return true
        }
        switch job.purpose {
        case .fetch:
            logSymbol(.notice, "\(job.instrument.symbol) \(job.interval.rawValue) bars: TWS \(error.code) \(error.message)")
            finishJob(ticket, .failure(.refused(code: error.code, message: error.message)))
        case let .follow(key):
            let final: Bool = if case .requestEnded = notice { true } else { error.code == 162 }
            finishJob(ticket, .failure(.refused(code: error.code, message: error.message)))
            if final {
                logSymbol(.warning, "\(key): TWS refused its bar updates (\(error.code) \(error.message)); not asked again")
                history.series[key]?.refused = true
            } else if history.series[key] != nil {
                logSymbol(.warning, "\(key): bar updates stopped (\(error.code) \(error.message)); asking again in \(identicalWindow) s")
                let session = bound
                loop.scheduleTask(in: .nanoseconds(Int64(identicalWindow * 1e9))) { session.value.requestFollow(key) }
            }
        }
        return true
    }
}
