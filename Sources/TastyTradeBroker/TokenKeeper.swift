import TastyTrade

/// Keeps an OAuth access token fresh for every REST call and streamer message: renewed ahead of its expiry, one
/// renewal at a time however many callers ask, and never a loop of credential attempts. TastyTrade blocks an address
/// that keeps failing to sign in for hours, so every failed renewal holds the next one back (doubling), a 429 holds it
/// back longer, and a refused grant (revoked, wrong secret) stops renewals for good: only a person can fix that.
public actor TokenKeeper {
    public enum Failure: Error, Equatable, CustomStringConvertible {
        /// The grant was refused; no renewal is tried again until restart. The message says what to do.
        case revoked(String)
        /// No token now; the next renewal is allowed after `retryIn`.
        case unavailable(String, retryIn: Duration)

        public var description: String {
            switch self {
            case let .revoked(message): message
            case let .unavailable(reason, retryIn): "\(reason); next attempt in \(Self.seconds(retryIn))"
            }
        }

        static func seconds(_ duration: Duration) -> String {
            let value = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
            return value >= 10 ? "\(Int(value.rounded())) s" : "\((value * 10).rounded() / 10) s"
        }
    }

    public struct Policy: Sendable, Equatable {
        /// Renew this long before the token expires.
        public var refreshMargin: Duration
        /// The wait after the first failed renewal; doubled after each further one, up to `failureCap`.
        public var failureBackoff: Duration
        /// The wait after a 429; doubled likewise.
        public var rateLimitBackoff: Duration
        public var failureCap: Duration

        public init(refreshMargin: Duration = .seconds(60), failureBackoff: Duration = .seconds(1), rateLimitBackoff: Duration = .seconds(10),
                    failureCap: Duration = .seconds(300)) {
            self.refreshMargin = refreshMargin
            self.failureBackoff = failureBackoff
            self.rateLimitBackoff = rateLimitBackoff
            self.failureCap = failureCap
        }

        public init(_ configuration: TastyTradeConfiguration) {
            self.init(
                refreshMargin: .seconds(configuration.tokenRefreshMarginSeconds), failureBackoff: .seconds(configuration.reconnectInitialSeconds),
                rateLimitBackoff: .seconds(configuration.rateLimitBackoffSeconds), failureCap: .seconds(max(configuration.reconnectCapSeconds * 5, 60)))
        }
    }

    /// What asks TastyTrade for a token (`POST /oauth/token` with the grant). It throws `TastyAPIError` for an answer
    /// with an error status, anything else for a failure to reach TastyTrade.
    public typealias Grant = @Sendable () async throws -> OAuthToken

    private let policy: Policy
    private let grant: Grant
    private let now: @Sendable () -> ContinuousClock.Instant

    private var current: (token: OAuthToken, expiresAt: ContinuousClock.Instant, grantedAt: ContinuousClock.Instant)?
    private var renewal: Task<OAuthToken, Error>?
    private var revokedMessage: String?
    private var heldBack: (until: ContinuousClock.Instant, reason: String)?
    private var failures = 0
    private var rateLimits = 0
    /// Tokens TastyTrade turned away (401) right after they were granted: more renewals would not help.
    private var freshRejections = 0

    /// Renewals asked of TastyTrade so far (each one a credential use).
    public private(set) var grantRequests = 0

    public init(policy: Policy, now: @escaping @Sendable () -> ContinuousClock.Instant = { .now }, grant: @escaping Grant) {
        self.policy = policy
        self.grant = grant
        self.now = now
    }

    /// A token good for at least the refresh margin, renewing it first when needed. Callers that arrive during a
    /// renewal share it.
    public func accessToken() async throws(Failure) -> OAuthToken {
        if let revokedMessage { throw .revoked(revokedMessage) }
        let moment = now()
        if let current, moment < current.expiresAt - policy.refreshMargin { return current.token }
        if let renewal { return try await outcome(of: renewal) }
        if let heldBack, moment < heldBack.until {
            // Still usable, just inside the margin: better than nothing while renewals are held back.
            if let current, moment < current.expiresAt { return current.token }
            throw .unavailable(heldBack.reason, retryIn: heldBack.until - moment)
        }
        let task = Task { [grant] in try await grant() }
        renewal = task
        grantRequests += 1
        return try await outcome(of: task)
    }

    /// A request made with `token` was answered 401: the token is dropped so the next `accessToken()` renews it. A
    /// token turned away just after it was granted means renewing does not help, so renewals are then held back.
    public func rejected(_ token: OAuthToken) {
        guard let current, current.token == token else { return }
        self.current = nil
        if now() - current.grantedAt < .seconds(10) {
            freshRejections += 1
            if freshRejections >= 2 {
                holdBack(reason: "TastyTrade turned away freshly granted access tokens (401)", base: policy.failureBackoff, count: &failures)
            }
        }
    }

    /// A request made with `token` was accepted: the rejections before it were not the grant's fault.
    public func accepted(_ token: OAuthToken) {
        if current?.token == token { freshRejections = 0 }
    }

    public var isRevoked: Bool { revokedMessage != nil }

    private func outcome(of task: Task<OAuthToken, Error>) async throws(Failure) -> OAuthToken {
        let result = await task.result
        // Only the first caller to come back settles the renewal; the others see its result.
        if renewal == task {
            renewal = nil
            settle(result)
        }
        switch result {
        case let .success(token): return token
        case let .failure(error): throw failure(for: error)
        }
    }

    private func settle(_ result: Result<OAuthToken, Error>) {
        let moment = now()
        switch result {
        case let .success(token):
            current = (token, moment + .milliseconds(Int64(token.expiresIn * 1000)), moment)
            heldBack = nil
            failures = 0
            rateLimits = 0
        case let .failure(error as TastyAPIError) where error.status == 429:
            holdBack(reason: "TastyTrade is limiting requests (429)", base: policy.rateLimitBackoff, count: &rateLimits)
        case let .failure(error as TastyAPIError) where Self.refusesGrant(error):
            revokedMessage = Self.revokedMessage(error)
        case let .failure(error):
            holdBack(reason: "cannot renew the TastyTrade access token: \(error)", base: policy.failureBackoff, count: &failures)
        }
    }

    private func failure(for error: Error) -> Failure {
        if let revokedMessage { return .revoked(revokedMessage) }
        let moment = now()
        if let heldBack { return .unavailable(heldBack.reason, retryIn: max(heldBack.until - moment, .zero)) }
        return .unavailable("cannot renew the TastyTrade access token: \(error)", retryIn: .zero)
    }

    private func holdBack(reason: String, base: Duration, count: inout Int) {
        let wait = min(base * (1 << min(count, 16)), policy.failureCap)
        count += 1
        heldBack = (now() + wait, reason)
    }

    /// The token endpoint's refusals that mean the grant itself is no good: a 400/401/403 (invalid_grant,
    /// invalid_client, invalid_credentials…). Retrying those only counts as more failed sign-ins.
    static func refusesGrant(_ error: TastyAPIError) -> Bool {
        guard let status = error.status else { return false }
        return status == 400 || status == 401 || status == 403
    }

    static func revokedMessage(_ error: TastyAPIError) -> String {
        "TastyTrade refused the OAuth grant (\(error)): the refresh token was revoked, has been replaced, or does not belong "
            + "to this client. Create a new personal grant for your OAuth application at my.tastytrade.com (Manage → My Profile → API), "
            + "set TASTYTRADE_REFRESH_TOKEN (and TASTYTRADE_CLIENT_SECRET if the application changed), then restart Tickhub. "
            + "Tickhub will not try again until then."
    }
}
