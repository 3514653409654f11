import Hub
import HubProtocol
import Foundation
import Logging
import Store
import Synchronization
import TickhubCore

/// Positions kept in the database: manual and imported ones for brokers Tickhub cannot reach, and the synced
/// brokers' (IBKR's from the provider, TastyTrade's from its API). Publishes the holdings of every broker whose
/// positions do not come live to the server, which values them live.
public final class PortfolioService: HubArchive {
    let store: PositionStore
    let publish: @Sendable (_ broker: String, _ holdings: [Holding], _ unvalued: [UnvaluedHolding]) -> Void
    let logger: Logger
    private let state: Mutex<LiveState>

    /// Brokers whose positions reach the server from their own link while it is up: the database's copy of their
    /// synced rows would only repeat (or, between two reports, contradict) what the link reports. Their entered
    /// rows (manual, imported: accounts the link does not report) still come from the database, and the server
    /// takes a broker's holdings whole, so the two are published together, from here.
    struct LiveState {
        var live: Set<String>
        /// The link's latest holdings of each live broker (none before its first report).
        var linked: [String: Held] = [:]
        /// Each live broker's entered rows, as last read from the database.
        var entered: [String: Held] = [:]
    }

    struct Held {
        var holdings: [Holding] = []
        var unvalued: [UnvaluedHolding] = []
    }

    public init(store: PositionStore, liveBrokers: Set<String> = [BrokerAccount.ibkr], logger: Logger = Logger(label: "tickhub.portfolio"),
                publish: @escaping @Sendable (String, [Holding], [UnvaluedHolding]) -> Void) {
        self.store = store
        self.publish = publish
        self.logger = logger
        state = Mutex(LiveState(live: liveBrokers))
    }

    /// Says whether `broker`'s positions come live (TastyTrade's once its sync is up). A broker no longer live has
    /// its stored positions, the last it reported, published again at once.
    public func setLive(_ broker: String, _ isLive: Bool) async {
        let changed = state.withLock { state in
            guard isLive else {
                state.linked[broker] = nil
                state.entered[broker] = nil
                return state.live.remove(broker) != nil
            }
            return state.live.insert(broker).inserted
        }
        if changed { await publishStored() }
    }

    /// A live broker's positions as its link reports them, all its synced accounts at once: published with the
    /// broker's entered positions (other accounts', kept in the database), which the server would otherwise lose.
    /// Reads no database: a fill reaches the server at once.
    public func publishLive(_ broker: String, _ holdings: [Holding], unvalued: [UnvaluedHolding] = []) {
        state.withLock { state in
            state.linked[broker] = Held(holdings: holdings, unvalued: unvalued)
            // Under the lock: two publications of one broker never cross, so the newest is the one that stays.
            publishMerged(broker, state)
        }
    }

    private func publishMerged(_ broker: String, _ state: LiveState) {
        let linked = state.linked[broker] ?? Held(), entered = state.entered[broker] ?? Held()
        publish(broker, linked.holdings + entered.holdings, linked.unvalued + entered.unvalued)
    }

    /// Publishes the stored holdings of every broker, valued and unvalued: all of them for a broker whose positions
    /// do not come live, the entered ones (with the link's latest) for one whose do.
    public func publishStored() async {
        do {
            let open = try await store.openPositions()
            let accounts = try await store.accounts()
            var byBroker: [String: Held] = [:]
            for broker in Set(accounts.map(\.broker)) { byBroker[broker] = Held() }
            for record in open {
                switch Self.holding(record) {
                case let .valued(holding): byBroker[record.broker, default: Held()].holdings.append(holding)
                case let .unvalued(kept): byBroker[record.broker, default: Held()].unvalued.append(kept)
                }
            }
            let enteredOnly = open.filter { !$0.origin.isSynced }
            state.withLock { state in
                for (broker, held) in byBroker {
                    guard state.live.contains(broker) else {
                        publish(broker, held.holdings, held.unvalued)
                        continue
                    }
                    var entered = Held()
                    for record in enteredOnly where record.broker == broker {
                        switch Self.holding(record) {
                        case let .valued(holding): entered.holdings.append(holding)
                        case let .unvalued(kept): entered.unvalued.append(kept)
                        }
                    }
                    state.entered[broker] = entered
                    // Only a link that reports through `publishLive` is merged with: one that publishes to the server
                    // itself (IBKR's) would have its positions replaced until its next report.
                    if state.linked[broker] != nil { publishMerged(broker, state) }
                }
            }
        } catch {
            logger.error("cannot read positions: \(error)")
        }
    }

    /// A stored position as the server values it, or lists it unvalued with why.
    enum StoredHolding: Equatable {
        case valued(Holding)
        case unvalued(UnvaluedHolding)
    }

    static func holding(_ record: PositionRecord) -> StoredHolding {
        func unvalued(_ reason: String) -> StoredHolding {
            .unvalued(UnvaluedHolding(
                broker: record.broker, account: record.accountId, symbol: record.symbol, secType: record.securityType.rawValue,
                quantity: record.quantity, multiplier: record.multiplier, averageCost: record.averageCost, currency: record.currency,
                reason: reason))
        }
        if let reason = record.unvaluedReason { return unvalued(reason) }
        let instrument: Instrument
        do { instrument = try SymbolGrammar.parse(record.symbol) } catch { return unvalued(error.description) }
        // IBKR gives options' and futures' cost per contract; TastyTrade, like the entered and imported, per unit.
        let perContract = record.origin == .ibkr && (record.securityType == .option || record.securityType == .future)
        return .valued(Holding(
            broker: record.broker, account: record.accountId, instrument: instrument, quantity: record.quantity,
            averageCost: record.averageCost, multiplier: record.multiplier, currency: record.currency,
            costIncludesMultiplier: perContract))
    }

    /// Keeps the IBKR positions in the database in step with what IBKR reports, by account; vanished ones are
    /// closed.
    public func syncIBKR(_ byAccount: [String: [BrokerPosition]]) async {
        for (account, reported) in byAccount {
            await syncBroker(BrokerAccount.ibkr, origin: .ibkr, account: account, reported)
        }
    }

    /// Keeps one account of a synced broker in the database as the broker reports it whole (vanished positions
    /// closed, the account's entered ones superseded); a broker not live has its holdings published again.
    public func syncBroker(_ broker: String, origin: PositionOrigin, account: String, _ reported: [BrokerPosition]) async {
        do {
            let result = try await store.syncBroker(broker, origin: origin, accountId: account, positions: reported)
            let moved = !result.changes.inserted.isEmpty || !result.changes.updated.isEmpty || !result.changes.closed.isEmpty
            // A live broker's synced rows come from its link; its entered rows may have been superseded.
            let live = state.withLock { $0.live.contains(broker) }
            if live ? !result.superseded.isEmpty : moved || !result.superseded.isEmpty { await publishStored() }
        } catch {
            logger.error("cannot store \(broker) positions of \(account): \(error)")
        }
    }

    // MARK: HTTP (routes in PortfolioRoutes.swift; bodies in PositionBody.swift)

    func create(_ request: HTTPRequest) async -> HTTPResponse {
        await Self.answering(request) { body throws(RequestError) in
            try body.refuseReadOnly()
            let (draft, broker, account) = try body.draft(requireAccount: true)
            return await self.storing {
                try await self.ensureAccount(broker!, account!)
                return .json(201, PositionBody.encode(try await self.store.insertManual(draft, broker: broker!, accountId: account!)))
            }
        }
    }

    func update(_ id: Int64, _ request: HTTPRequest) async -> HTTPResponse {
        await Self.answering(request) { body throws(RequestError) in
            let (draft, _, _) = try body.draft(requireAccount: false)
            let existing: PositionRecord?
            do { existing = try await self.store.position(id: id) } catch { return Self.response(error) }
            guard let existing, existing.isOpen else { return .error(404, code: "not_found", "no position \(id)") }
            guard !existing.origin.isSynced else { return Self.readOnly(existing.origin) }
            try body.checkUnchanged(existing)
            if let read = body.staleUpdate(existing) {
                return .error(409, code: "conflict", "position \(id) was last changed at \(existing.updatedAt), not at the updatedAt \(read) this update was based on: read it again")
            }
            return await self.storing { .json(200, PositionBody.encode(try await self.store.update(id: id, draft))) }
        }
    }

    /// One open position, as the list shows it and as a PUT takes it back.
    func position(_ id: Int64) async -> HTTPResponse {
        do {
            guard let record = try await store.position(id: id), record.isOpen else { return .error(404, code: "not_found", "no position \(id)") }
            return .json(200, PositionBody.encode(record))
        } catch {
            return Self.response(error)
        }
    }

    /// A write's body read, the work done, and the answer marked `Deprecation: true` when the body used an old
    /// field name (whatever the outcome, so a client learns it on its first try).
    static func answering(_ request: HTTPRequest,
                          _ work: (PositionBody) async throws(RequestError) -> HTTPResponse) async -> HTTPResponse {
        let body: PositionBody
        do { body = try PositionBody(request.body) } catch { return .error(400, code: error.code, error.message) }
        var response: HTTPResponse
        do { response = try await work(body) } catch { response = .error(400, code: error.code, error.message) }
        if body.usesDeprecatedNames {
            response.headers.append(("deprecation", "true"))
            response.headers.append(("link", "<\(deprecationDoc)>; rel=\"deprecation\""))
        }
        return response
    }

    /// Where the field names, old and new, are listed.
    static let deprecationDoc = "docs/protocol.md#field-names"

    /// Store work, its failure answered by what failed; then the other brokers' holdings published again.
    func storing(_ work: () async throws -> HTTPResponse) async -> HTTPResponse {
        do {
            let response = try await work()
            await publishStored()
            return response
        } catch {
            return Self.response(error)
        }
    }

    func delete(_ id: Int64) async -> HTTPResponse {
        do {
            guard let existing = try await store.position(id: id) else { return .error(404, code: "not_found", "no position \(id)") }
            guard !existing.origin.isSynced else { return Self.readOnly(existing.origin) }
            try await store.delete(id: id)
            await publishStored()
            return HTTPResponse(status: 204, body: [])
        } catch {
            return Self.response(error)
        }
    }

    func importCSV(_ request: HTTPRequest) async -> HTTPResponse {
        guard let broker = request.query["broker"], let account = request.query["account"], !broker.isEmpty, !account.isEmpty else {
            return .error(400, code: "missing_account", "give ?broker=…&account=… for the imported positions")
        }
        guard broker != "ibkr" else { return .error(400, code: "read_only_broker", "IBKR positions come from IBKR") }
        do {
            try await ensureAccount(broker, account)
            let changes = try await store.importCSV(text: String(decoding: request.body, as: UTF8.self), broker: broker, accountId: account)
            await publishStored()
            let body = try JSONSerialization.data(withJSONObject: [
                "inserted": changes.inserted.count, "updated": changes.updated.count, "closed": changes.closed.count,
                "unchanged": changes.unchanged,
            ], options: [.sortedKeys])
            return .json(200, Array(body))
        } catch {
            return Self.response(error)
        }
    }

    /// Positions per page unless `limit` says otherwise, and the most one page may hold: a page is one query on
    /// an index and one JSON document, whatever the table holds.
    static let defaultPageSize = 1_000
    static let maximumPageSize = 5_000

    /// One page of open positions, and `nextCursor` for the next one (null after the last).
    func list(_ request: HTTPRequest) async -> HTTPResponse {
        var limit = Self.defaultPageSize
        if let text = request.query["limit"] {
            guard let n = Int(text), (1...Self.maximumPageSize).contains(n) else {
                return .error(400, code: "invalid_field", "limit must be a whole number from 1 to \(Self.maximumPageSize)")
            }
            limit = n
        }
        var cursor: PositionCursor?
        if let token = request.query["cursor"], !token.isEmpty {
            guard let parsed = PositionCursor(token: token) else {
                return .error(400, code: "invalid_field", "cursor must be a nextCursor this hub returned")
            }
            cursor = parsed
        }
        do {
            // One row more than the page says whether another page follows.
            let records = try await store.openPositions(broker: request.query["broker"], after: cursor, limit: limit + 1)
            let page = records.prefix(limit)
            var w = JSONWriter(capacity: 64 + 220 * page.count)
            w.beginObject()
            w.key("positions")
            w.beginArray()
            for record in page { PositionBody.write(record, into: &w) }
            w.endArray()
            w.field("nextCursor", records.count > limit ? PositionCursor(after: page[page.index(before: page.endIndex)]).token : nil)
            w.endObject()
            return .json(200, w.bytes)
        } catch {
            return Self.response(error)
        }
    }

    func history(_ request: HTTPRequest) async -> HTTPResponse {
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let from = request.query["from"].flatMap(Int64.init) ?? now - 86_400_000
        let to = request.query["to"].flatMap(Int64.init) ?? now
        guard from <= to else { return .error(400, code: "bad_range", "from must not be after to (ms since the epoch)") }
        do {
            let scope = request.query["scope"].flatMap(PnLScope.init(text:))
            let snapshots = try await store.snapshots(from: from, to: to, scope: scope)
            // The totals are kept as computed and rounded here, in USD like every total.
            let usd = CurrencyMinorUnit.decimals("USD")
            var w = JSONWriter(capacity: 64 + 120 * snapshots.count)
            w.beginObject()
            w.key("snapshots")
            w.beginArray()
            for snapshot in snapshots {
                w.beginObject()
                w.field("takenAt", snapshot.takenAt)
                w.field("scope", snapshot.scope.text)
                w.field("marketValue", snapshot.marketValue, decimals: usd)
                w.field("unrealizedPnl", snapshot.unrealizedPnl, decimals: usd)
                w.field("dailyPnl", snapshot.dailyPnl, decimals: usd)
                w.endObject()
            }
            w.endArray()
            w.endObject()
            return .json(200, w.bytes)
        } catch {
            return Self.response(error)
        }
    }

    /// Records totals for the history chart: overall, per broker and per account.
    /// Returns why the snapshots could not be written, nil when they were.
    @discardableResult
    public func recordPnL(_ totals: [PnLRecord]) async -> String? {
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let snapshots = totals.map { t in
            PnLSnapshot(takenAt: now, scope: t.scope, marketValue: t.marketValue, unrealizedPnl: t.unrealizedPnL, dailyPnl: t.dailyPnL)
        }
        do {
            _ = try await store.recordSnapshots(snapshots)
            return nil
        } catch {
            logger.error("cannot record P&L snapshots: \(error)")
            return "cannot record P&L snapshots: \(error)"
        }
    }

    /// Returns why the quotes could not be saved, nil when they were.
    @discardableResult
    public func saveQuotes(_ quotes: [Quote]) async -> String? {
        do {
            try await store.saveLastQuotes(quotes)
            return nil
        } catch {
            logger.error("cannot save last quotes: \(error)")
            return "cannot save last quotes: \(error)"
        }
    }

    /// The quotes saved by the last run, flagged stale.
    public func lastQuotes() async -> [Quote] {
        (try? await store.loadLastQuotes()) ?? []
    }

    func ensureAccount(_ broker: String, _ account: String) async throws(StoreError) {
        if try await store.account(broker: broker, accountId: account) == nil {
            _ = try await store.createAccount(broker: broker, accountId: account)
        }
    }

    /// A synced broker's row is changed at the broker, never here.
    static func readOnly(_ origin: PositionOrigin) -> HTTPResponse {
        let name = origin == .ibkr ? "IBKR" : origin == .tastytrade ? "TastyTrade" : origin.rawValue
        return .error(400, code: "read_only_broker", "\(name) positions come from \(name)")
    }

    static func response(_ error: any Error) -> HTTPResponse {
        guard let error = error as? StoreError else { return .error(500, code: "internal", "\(error)") }
        switch error {
        case .invalidPosition, .csvImport, .invalidAccount, .invalidSnapshot:
            return .error(400, code: "invalid", error.description)
        case .positionNotFound, .unknownAccount:
            return .error(404, code: "not_found", error.description)
        case .accountExists, .accountHasPositions, .duplicatePosition, .notManual, .positionClosed:
            return .error(409, code: "conflict", error.description)
        default:
            return .error(503, code: "database_unavailable", error.description)
        }
    }
}

struct RequestError: Error {
    let code: String
    let message: String
    init(_ code: String, _ message: String) {
        self.code = code
        self.message = message
    }
}
