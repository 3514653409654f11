import AsyncHTTPClient
import Foundation
import Logging
import Synchronization
import TastyTrade
import TickhubCore

/// What the sync tells the hub: an account's whole set of positions after each change, its balances, and where the
/// sync stands.
public enum TastyTradeSyncEvent: Sendable, Equatable {
    case positions(account: String, [TastyPosition])
    case balances(account: String, TastyBalance)
    case status(BrokerSyncStatus)
}

/// The TastyTrade broker: fetches the accounts' positions and balances at start, keeps them current from the account
/// streamer (a fill reaches the sink as soon as the streamer says it), fetches everything again every
/// `fullRefreshSeconds` and after each streamer reconnect to heal what it missed, and renews its access token ahead of
/// expiry. A revoked grant ends the sync in the error state with what to do; nothing is retried until restart.
public final class TastyTradeSync: Sendable {
    public static let broker = "tastytrade"

    public let configuration: TastyTradeConfiguration
    /// The REST API with its token keeper, shared with the DXLink quote provider (`api.quoteToken()`).
    public let api: TastyTradeAPI
    private let logger: Logger
    private let running = Mutex<Task<Void, Never>?>(nil)

    public init(configuration: TastyTradeConfiguration, credentials: TastyTradeCredentials, client: HTTPClient, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        api = TastyTradeAPI(configuration: configuration, credentials: credentials, client: client, logger: logger)
    }

    /// Starts syncing; events go to `sink` in the order they happened. A second start while running does nothing.
    public func start(_ sink: @escaping @Sendable (TastyTradeSyncEvent) -> Void) {
        running.withLock { task in
            guard task == nil else { return }
            let run = SyncRun(configuration: configuration, api: api, logger: logger, sink: sink)
            task = Task { await run.run() }
        }
    }

    /// Stops the streamer and the fetches; the last status says `off`.
    public func stop() {
        running.withLock { task in
            task?.cancel()
            task = nil
        }
    }

    /// Stops, and returns once the streamer and the fetches are over (and the last status sent).
    public func stopAndWait() async {
        let task = running.withLock { task in
            defer { task = nil }
            task?.cancel()
            return task
        }
        await task?.value
    }

    /// The DXLink quote token, through the same grant and token keeper.
    public func quoteToken() async throws -> DXLinkToken { try await api.quoteToken() }
}

/// One run of the sync, from start to stop or to a revoked grant.
actor SyncRun {
    private let configuration: TastyTradeConfiguration
    private let api: TastyTradeAPI
    private let logger: Logger
    private let sink: @Sendable (TastyTradeSyncEvent) -> Void

    private var book = TastyTradeBook()
    private var accounts: [String] = []
    /// Accounts asked for by configuration that the grant does not see (said in the status).
    private var missingAccounts: [String] = []
    /// Per account, the positions TastyTrade sent that could not be read, with why.
    private var unreadable: [String: [String]] = [:]
    private var status = BrokerSyncStatus(broker: TastyTradeSync.broker, state: .off)
    /// The status's own detail, before the standing notes (missing accounts, unreadable positions) are added.
    private var mainDetail: String?
    private var streamerConnected = false
    private var streamerEverConnected = false
    private var revoked: String?
    private var failures = 0
    private var rateLimits = 0
    private var healing: Task<Void, Never>?

    init(configuration: TastyTradeConfiguration, api: TastyTradeAPI, logger: Logger, sink: @escaping @Sendable (TastyTradeSyncEvent) -> Void) {
        self.configuration = configuration
        self.api = api
        self.logger = logger
        self.sink = sink
    }

    func run() async {
        publish(.connecting, detail: nil)
        while accounts.isEmpty {
            do {
                try await resolveAccounts()
            } catch {
                guard await recover(from: error, while: "listing the accounts") else { return finish() }
            }
        }
        publish(.syncing, detail: nil)
        while true {
            do {
                try await fetchAll()
                break
            } catch {
                guard await recover(from: error, while: "fetching positions and balances") else { return finish() }
            }
        }
        publish(.connecting, detail: "positions fetched; connecting the account streamer")
        let streamer = AccountStreamer(
            settings: .init(configuration), accounts: accounts, tokens: api.tokens, logger: logger,
            onEvent: { [weak self] event in await self?.streamed(event) })
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await streamer.run() }
            group.addTask { await self.refreshPeriodically() }
            // Either ends only when stopped or when the grant is revoked; the other then goes too.
            await group.next()
            group.cancelAll()
        }
        finish()
    }

    private func finish() {
        healing?.cancel()
        if let revoked {
            publish(.error, detail: revoked)
        } else {
            publish(.off, detail: nil)
        }
    }

    // MARK: Fetching

    private func resolveAccounts() async throws {
        let visible = try await api.accounts()
        let open = visible.filter { !$0.isClosed }.map(\.accountNumber)
        if configuration.accounts.isEmpty {
            guard !open.isEmpty else { throw SyncStop("the TastyTrade grant sees no open account") }
            accounts = open
        } else {
            accounts = configuration.accounts.filter(open.contains)
            missingAccounts = configuration.accounts.filter { !open.contains($0) }
            guard !accounts.isEmpty else {
                throw SyncStop("none of tastytrade.accounts (\(configuration.accounts.joined(separator: ", "))) is an open account of this grant "
                    + "(it sees \(open.isEmpty ? "none" : open.joined(separator: ", "))): fix tastytrade.accounts and restart")
            }
        }
        logger.info("TastyTrade: syncing \(accounts.joined(separator: ", "))")
    }

    /// Every account's positions and balances, each account's set replacing what was there.
    private func fetchAll() async throws {
        for account in accounts {
            book.beginFetch(account: account)
            do {
                let list = try await api.positions(account: account)
                let balance = try await api.balances(account: account)
                let settled = book.finishFetch(account: account, positions: list.positions, balance: balance)
                unreadable[account] = list.skipped.isEmpty ? nil : list.skipped
                if !list.skipped.isEmpty {
                    logger.warning("TastyTrade \(account): \(list.skipped.count) position(s) unreadable: \(list.skipped.joined(separator: "; "))")
                }
                sink(.positions(account: account, settled.positions))
                sink(.balances(account: account, settled.balance))
            } catch {
                book.abandonFetch(account: account)
                throw error
            }
        }
        status.lastSyncAt = nowMilliseconds()
        failures = 0
        rateLimits = 0
    }

    private func refreshPeriodically() async {
        while !Task.isCancelled {
            do {
                try await Task.sleep(for: .seconds(configuration.fullRefreshSeconds))
            } catch { return }
            if await !refreshNow() { return }
        }
    }

    /// One full fetch, retried after failures until it succeeds; false when the sync must stop.
    private func refreshNow() async -> Bool {
        while !Task.isCancelled {
            do {
                try await fetchAll()
                publish(streamerConnected ? .live : .connecting, detail: streamerConnected ? nil : mainDetail)
                return true
            } catch {
                guard await recover(from: error, while: "refreshing positions and balances") else { return false }
            }
        }
        return false
    }

    /// Says what failed and waits before the next attempt; false when there is to be none (a revoked grant, a
    /// configuration to fix, or the sync stopped).
    private func recover(from error: Error, while doing: String) async -> Bool {
        if Task.isCancelled || error is CancellationError { return false }
        let wait: Duration
        let detail: String
        switch error {
        case let TokenKeeper.Failure.revoked(message):
            revoked = message
            logger.error("TastyTrade: \(message)")
            return false
        case let stop as SyncStop:
            revoked = stop.message
            logger.error("TastyTrade: \(stop.message)")
            return false
        case let TokenKeeper.Failure.unavailable(_, retryIn):
            failures += 1
            wait = max(retryIn, backoff(failures))
            detail = "\(error)"
        case let api as TastyAPIError where api.status == 429:
            rateLimits += 1
            wait = min(.seconds(configuration.rateLimitBackoffSeconds) * (1 << min(rateLimits - 1, 8)), .seconds(configuration.reconnectCapSeconds * 5))
            detail = "TastyTrade is limiting requests (429) while \(doing)"
        default:
            failures += 1
            wait = backoff(failures)
            detail = "\(doing) failed: \(error)"
        }
        publish(.error, detail: "\(detail); next attempt in \(TokenKeeper.Failure.seconds(wait))")
        logger.warning("TastyTrade: \(detail); next attempt in \(TokenKeeper.Failure.seconds(wait))")
        do { try await Task.sleep(for: wait) } catch { return false }
        return !Task.isCancelled
    }

    private func backoff(_ attempt: Int) -> Duration {
        let policy = Backoff(initial: configuration.reconnectInitialSeconds, cap: configuration.reconnectCapSeconds)
        return .seconds(policy.delay(attempt: attempt, unit: .random(in: 0..<1)))
    }

    // MARK: The streamer

    private func streamed(_ event: AccountStreamer.Event) async {
        switch event {
        case .connected:
            streamerConnected = true
            if streamerEverConnected {
                // What happened while the streamer was away came to no one: fetch it, without holding up the
                // notifications that follow.
                healing?.cancel()
                healing = Task { _ = await self.refreshNow() }
            } else {
                publish(.live, detail: nil)
            }
            streamerEverConnected = true
        case let .lost(reason, retryIn):
            streamerConnected = false
            publish(.connecting, detail: "account streamer lost (\(reason)); reconnecting in \(TokenKeeper.Failure.seconds(retryIn)); positions may lag until then")
        case let .revoked(message):
            revoked = message
        case let .notification(type, data, _):
            switch type {
            case "CurrentPosition":
                do {
                    let position = try TastyPosition(object: data)
                    if let set = book.streamed(position) {
                        status.lastSyncAt = nowMilliseconds()
                        sink(.positions(account: position.accountNumber, set))
                    }
                } catch {
                    // The next full fetch brings the position whole; until then the account's set stands.
                    logger.warning("TastyTrade: unreadable CurrentPosition (the next full fetch heals it): \(error)")
                    healing?.cancel()
                    healing = Task { _ = await self.refreshNow() }
                }
            case "AccountBalance":
                do {
                    let balance = try TastyBalance(object: data)
                    if let settled = book.streamed(balance) { sink(.balances(account: balance.accountNumber, settled)) }
                } catch {
                    logger.warning("TastyTrade: unreadable AccountBalance: \(error)")
                }
            default:
                // Orders, transactions and alerts are not positions: the CurrentPosition that follows a fill is.
                logger.trace("TastyTrade streamer: \(type) not used")
            }
        }
    }

    // MARK: Status

    private func publish(_ state: BrokerSyncStatus.State, detail: String?) {
        mainDetail = detail
        var next = status
        next.state = state
        next.accounts = accounts
        var notes: [String] = []
        if let detail { notes.append(detail) }
        if !missingAccounts.isEmpty { notes.append("not visible to this grant: \(missingAccounts.joined(separator: ", "))") }
        let unread = unreadable.keys.sorted().flatMap { account in unreadable[account]!.map { "\(account) \($0)" } }
        if !unread.isEmpty { notes.append("\(unread.count) position(s) could not be read: \(unread.joined(separator: "; "))") }
        next.detail = notes.isEmpty ? nil : notes.joined(separator: "; ")
        guard next != status || state == .live else { return }
        status = next
        sink(.status(next))
    }

    private func nowMilliseconds() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }
}

/// Something only a person can fix (the configuration): the sync stops and says it.
struct SyncStop: Error, CustomStringConvertible {
    let message: String
    init(_ message: String) { self.message = message }
    var description: String { message }
}
