import TickhubCore

/// Picks, for one symbol, which provider's quotes clients see. Pure: events and time in, decisions out.
///
/// Failover is immediate: the moment the current source cannot serve the symbol (its provider is down,
/// the symbol is unavailable there, or it has gone silent while the market is open), the best eligible
/// provider takes over. Failback is deliberate: a better provider must have been eligible for
/// `failbackSeconds` and have delivered a fresh quote, so a flapping link does not make sources flap.
public struct SourceSelector: Sendable, Equatable {
    public struct Policy: Sendable, Equatable {
        /// Preference order, best first.
        public var order: [QuoteSource]
        public var failbackSeconds: Double
        /// A serving provider with no quote for this long while the market is open counts as failed.
        public var silenceSeconds: Double

        public init(order: [QuoteSource] = [.ibkr, .tastytrade, .yahoo, .alphaVantage], failbackSeconds: Double = 3, silenceSeconds: Double = 30) {
            self.order = order
            self.failbackSeconds = failbackSeconds
            self.silenceSeconds = silenceSeconds
        }
    }

    public struct Change: Equatable, Sendable {
        public var from: QuoteSource?
        public var to: QuoteSource?
        public var reason: String

        public init(from: QuoteSource?, to: QuoteSource?, reason: String) {
            self.from = from
            self.to = to
            self.reason = reason
        }
    }

    struct Candidate: Equatable {
        var state: ProviderSymbolState = .pending
        var providerAvailable = true
        /// Milliseconds since the epoch.
        var lastQuoteAt: Int64?
        /// When it last became eligible; nil while it is not.
        var eligibleSince: Int64?
        var requestedAt: Int64?
    }

    public let policy: Policy
    public private(set) var current: QuoteSource?
    var candidates: [QuoteSource: Candidate] = [:]

    public init(policy: Policy) {
        self.policy = policy
    }

    // MARK: Inputs

    public mutating func requested(_ provider: QuoteSource, now: Int64) {
        var candidate = candidates[provider] ?? Candidate()
        candidate.requestedAt = now
        candidates[provider] = candidate
        refreshEligibility(provider, now: now, marketOpen: true)
    }

    public mutating func state(_ provider: QuoteSource, _ state: ProviderSymbolState, now: Int64) {
        candidates[provider, default: Candidate()].state = state
        refreshEligibility(provider, now: now, marketOpen: true)
    }

    public mutating func providerAvailable(_ provider: QuoteSource, _ available: Bool, now: Int64) {
        candidates[provider, default: Candidate()].providerAvailable = available
        refreshEligibility(provider, now: now, marketOpen: true)
    }

    /// Records a quote; only fresh (not stale) quotes count as the provider serving.
    public mutating func quote(from provider: QuoteSource, fresh: Bool, now: Int64) {
        guard fresh else { return }
        candidates[provider, default: Candidate()].lastQuoteAt = now
        if case .pending = candidates[provider]?.state { candidates[provider]?.state = .serving }
        refreshEligibility(provider, now: now, marketOpen: true)
    }

    // MARK: Decisions

    /// What a provider has said about the symbol, if anything.
    public func knows(_ provider: QuoteSource) -> ProviderSymbolState? { candidates[provider]?.state }

    /// Whether a provider could serve the symbol now.
    public func isEligible(_ provider: QuoteSource, now: Int64, marketOpen: Bool) -> Bool {
        guard let c = candidates[provider], c.providerAvailable else { return false }
        switch c.state {
        case .unavailable, .unknown: return false
        case .pending, .serving: break
        }
        guard marketOpen else { return true }
        let silence = Int64(policy.silenceSeconds * 1000)
        // Silence counts from the later of the last quote and the last request.
        let since = [c.lastQuoteAt, c.requestedAt].compactMap { $0 }.max() ?? c.eligibleSince ?? now
        return now - since <= silence
    }

    private mutating func refreshEligibility(_ provider: QuoteSource, now: Int64, marketOpen: Bool) {
        let eligible = isEligible(provider, now: now, marketOpen: marketOpen)
        if eligible, candidates[provider]?.eligibleSince == nil { candidates[provider]?.eligibleSince = now }
        if !eligible { candidates[provider]?.eligibleSince = nil }
    }

    /// Re-decides the source; returns the change when there is one.
    public mutating func evaluate(now: Int64, marketOpen: Bool) -> Change? {
        for provider in candidates.keys { refreshEligibility(provider, now: now, marketOpen: marketOpen) }
        let eligible = policy.order.filter { isEligible($0, now: now, marketOpen: marketOpen) }

        if let current, eligible.contains(current) {
            // Fail back only to a better provider that has been steady and is actually quoting.
            let steady = Int64(policy.failbackSeconds * 1000)
            for better in policy.order.prefix(while: { $0 != current }) where eligible.contains(better) {
                guard let c = candidates[better], let since = c.eligibleSince, now - since >= steady,
                      let last = c.lastQuoteAt, last >= since
                else { continue }
                return switchTo(better, reason: "\(better.rawValue) is serving again")
            }
            return nil
        }
        // No current source, or it failed: the best eligible one takes over at once.
        let next = eligible.first
        guard next != current else { return nil }
        let reason = current.map { "\($0.rawValue) cannot serve it now" } ?? "first source"
        return switchTo(next, reason: next == nil ? whyNoProvider() : reason)
    }

    /// Each provider's reason, for users: "ibkr: over the IBKR market-data line budget; yahoo: rate-limited".
    func whyNoProvider() -> String {
        let reasons = policy.order.map { provider -> String in
            guard let c = candidates[provider] else { return "\(provider.rawValue): not asked" }
            if !c.providerAvailable { return "\(provider.rawValue): down" }
            switch c.state {
            case let .unavailable(why): return "\(provider.rawValue): \(why)"
            case .unknown: return "\(provider.rawValue): unknown instrument"
            case .pending, .serving: return "\(provider.rawValue): silent"
            }
        }
        return reasons.joined(separator: "; ")
    }

    private mutating func switchTo(_ provider: QuoteSource?, reason: String) -> Change {
        let change = Change(from: current, to: provider, reason: reason)
        current = provider
        return change
    }

    /// The providers that should hold a subscription for the symbol: down the preference order until one can
    /// serve it (so the preferred one is always there to be seen recovering), plus the current source.
    public func wanted(now: Int64, marketOpen: Bool) -> [QuoteSource] {
        var result: [QuoteSource] = []
        for provider in policy.order {
            result.append(provider)
            // Not asked yet: assume it can serve until it says otherwise, and go no lower.
            let untried = candidates[provider].map { $0.requestedAt == nil && $0.providerAvailable } ?? true
            if untried || isEligible(provider, now: now, marketOpen: marketOpen) { break }
        }
        if let current, !result.contains(current) { result.append(current) }
        return result
    }
}
