import Logging
import Synchronization
import TastyTrade
import TickhubCore
import WebSocketClient

/// TastyTrade's account streamer: one WebSocket that names the accounts (`connect`), keeps itself alive with
/// heartbeats, and hears each account's changes (`CurrentPosition`, `AccountBalance`, …) as they happen. Every message
/// out carries the current access token, so a renewed token takes over at the next heartbeat without reconnecting.
/// A lost or silent link is replaced after a backoff; a revoked grant ends it.
final class AccountStreamer: Sendable {
    enum Event: Sendable {
        /// The streamer acknowledged `connect`: the accounts' changes flow from here on.
        case connected(sessionID: String?)
        case notification(type: String, data: JSONValue, timestamp: Int64?)
        /// The link ended or could not be made; another follows after `retryIn`.
        case lost(reason: String, retryIn: Duration)
        /// No token can be had ever again (a revoked grant): the streamer stops.
        case revoked(String)
    }

    struct Settings: Sendable {
        var url: String
        var userAgent: String
        var heartbeat: Duration
        var connectTimeout: Duration
        var backoff: Backoff

        init(url: String, userAgent: String, heartbeat: Duration, connectTimeout: Duration, backoff: Backoff) {
            self.url = url
            self.userAgent = userAgent
            self.heartbeat = heartbeat
            self.connectTimeout = connectTimeout
            self.backoff = backoff
        }

        init(_ configuration: TastyTradeConfiguration) {
            self.init(
                url: configuration.streamerURL, userAgent: configuration.userAgent, heartbeat: .seconds(configuration.heartbeatSeconds),
                connectTimeout: .seconds(configuration.requestTimeoutSeconds),
                backoff: Backoff(initial: configuration.reconnectInitialSeconds, cap: configuration.reconnectCapSeconds))
        }
    }

    private enum Incoming: Sendable {
        case text(String)
        case closed
    }

    private let settings: Settings
    private let accounts: [String]
    private let tokens: TokenKeeper
    private let logger: Logger
    private let onEvent: @Sendable (Event) async -> Void
    private let requestIDs = Atomic<Int64>(0)

    init(settings: Settings, accounts: [String], tokens: TokenKeeper, logger: Logger, onEvent: @escaping @Sendable (Event) async -> Void) {
        self.settings = settings
        self.accounts = accounts
        self.tokens = tokens
        self.logger = logger
        self.onEvent = onEvent
    }

    /// Connects and stays connected until the task is cancelled or the grant is revoked.
    func run() async {
        var attempt = 0
        while !Task.isCancelled {
            var floor = Duration.zero
            let reason: String
            do {
                let connected = try await session()
                if connected { attempt = 0 }
                if await tokens.isRevoked { _ = try await tokens.accessToken() }
                reason = "the account streamer closed the connection"
            } catch let failure as TokenKeeper.Failure {
                switch failure {
                case let .revoked(message):
                    await onEvent(.revoked(message))
                    return
                case let .unavailable(_, retryIn):
                    floor = retryIn
                    reason = "\(failure)"
                }
            } catch is CancellationError {
                return
            } catch {
                reason = "cannot reach the account streamer: \(error)"
            }
            if Task.isCancelled { return }
            attempt += 1
            let wait = max(floor, .seconds(settings.backoff.delay(attempt: attempt, unit: .random(in: 0..<1))))
            logger.warning("TastyTrade account streamer: \(reason); reconnecting in \(TokenKeeper.Failure.seconds(wait))")
            await onEvent(.lost(reason: reason, retryIn: wait))
            try? await Task.sleep(for: wait)
        }
    }

    /// One connection, from opening to its end; true when the streamer acknowledged `connect` on it.
    private func session() async throws -> Bool {
        var token = try await tokens.accessToken()
        let (incoming, feed) = AsyncStream<Incoming>.makeStream(bufferingPolicy: .bufferingNewest(10_000))
        let link = try await WebSocketLink.open(
            url: settings.url, headers: ["User-Agent": settings.userAgent], timeout: settings.connectTimeout,
            onText: { feed.yield(.text($0)) }, onClose: { feed.yield(.closed); feed.finish() })
        defer { link.close() }
        let state = LinkState()
        var connected = false
        var refusals = 0
        let send = { @Sendable (request: AccountStreamerRequest, token: OAuthToken) in
            state.sent.withLock {
                $0[request.requestID] = token
                if $0.count > 64 { $0.removeValue(forKey: $0.keys.min()!) }
            }
            link.send(request.json)
        }
        send(.connect(accounts: accounts, authToken: token.authorization, requestID: nextRequestID()), token)

        return try await withThrowingTaskGroup(of: Void.self) { group in
            // Heartbeats with the token of the moment; a link silent for three heartbeats (and the connect timeout)
            // is dead even if no close reached us.
            group.addTask { [settings, tokens] in
                let silence = settings.heartbeat * 3 + settings.connectTimeout
                while !Task.isCancelled {
                    try await Task.sleep(for: settings.heartbeat)
                    if ContinuousClock.now - state.heard.withLock({ $0 }) > silence {
                        link.close()
                        return
                    }
                    do {
                        let token = try await tokens.accessToken()
                        send(.heartbeat(authToken: token.authorization, requestID: self.nextRequestID()), token)
                    } catch TokenKeeper.Failure.revoked {
                        // Nothing more can be said on this link; the reconnect loop reports the grant.
                        link.close()
                        return
                    } catch {
                        // Renewals held back: this heartbeat is skipped, the link lives on until the silence limit.
                    }
                }
            }
            defer { group.cancelAll() }
            for await message in incoming {
                guard case let .text(text) = message else { break }
                state.heard.withLock { $0 = .now }
                let decoded: [AccountStreamerMessage]
                do {
                    decoded = try AccountStreamerMessage.decode(text)
                } catch {
                    logger.warning("TastyTrade account streamer: unreadable message dropped: \(error)")
                    continue
                }
                for item in decoded {
                    switch item {
                    case let .ack(action, _, sessionID):
                        refusals = 0
                        guard action == "connect" else { break }
                        connected = true
                        logger.info("TastyTrade account streamer connected for \(accounts.joined(separator: ", "))")
                        await onEvent(.connected(sessionID: sessionID))
                    case let .refused(action, message):
                        logger.warning("TastyTrade account streamer refused \(action.isEmpty ? "a message" : action): \(message)")
                        refusals += 1
                        let tokenRefused = message.lowercased().contains("token") || message.lowercased().contains("auth")
                        // Anything else refused (unknown accounts, a bad message) will not change by asking again at
                        // once; neither will the same refusal three times: the link ends and the backoff paces what follows.
                        guard tokenRefused, refusals <= 3 else {
                            throw StreamerRefusal(message: "the account streamer refused \(action.isEmpty ? "a message" : action): \(message)")
                        }
                        if let latest = state.sent.withLock({ $0.max { $0.key < $1.key }?.value }) { await tokens.rejected(latest) }
                        token = try await tokens.accessToken()
                        if connected {
                            send(.heartbeat(authToken: token.authorization, requestID: nextRequestID()), token)
                        } else {
                            send(.connect(accounts: accounts, authToken: token.authorization, requestID: nextRequestID()), token)
                        }
                    case let .notification(type, data, timestamp):
                        await onEvent(.notification(type: type, data: data, timestamp: timestamp))
                    }
                }
            }
            return connected
        }
    }

    private func nextRequestID() -> Int64 {
        requestIDs.wrappingAdd(1, ordering: .relaxed).newValue
    }
}

/// What a connection's heartbeat task and its reader share.
private final class LinkState: Sendable {
    let heard = Mutex(ContinuousClock.now)
    /// Tokens sent, by request id, so a refusal can name the token TastyTrade turned away.
    let sent = Mutex<[Int64: OAuthToken]>([:])
}

struct StreamerRefusal: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
