import TastyTrade

/// One DXLink connection's protocol, without I/O: what to send for each message received, and what it means for
/// the provider. SETUP → AUTH (on the server's UNAUTHORIZED) → CHANNEL_REQUEST FEED → FEED_SETUP COMPACT →
/// subscriptions; FEED_DATA read with the fields the server's FEED_CONFIG gives (which may come late, and again).
struct DXLinkSession {
    enum Phase: Equatable {
        case awaitingAuthorization
        /// AUTH sent; the next UNAUTHORIZED is a refusal of this token.
        case authorizing
        case openingFeed
        case streaming
        /// The token was refused; nothing more until `reauthorize`.
        case refused
    }

    /// What the provider does next.
    enum Outcome: Equatable {
        case send(DXLinkMessage)
        /// The feed channel is set up: subscribe everything (FEED_SUBSCRIPTION with reset).
        case feedReady
        case events([DXLinkEvent])
        /// The quote token was refused (an UNAUTHORIZED after AUTH, or an ERROR UNAUTHORIZED).
        case tokenRefused(String)
        /// The connection is of no more use: drop it and connect again.
        case failed(String)
        /// Something was wrong with one message; the connection goes on.
        case malformed(String)
    }

    /// Client channel numbers are odd.
    static let feedChannel = 1
    /// The event types subscribed for each symbol; an option's also its model figures.
    static let eventTypes = ["Quote", "Trade", "Summary"]
    static let optionEventTypes = eventTypes + ["Greeks"]

    static func eventTypes(of streamerSymbol: String) -> [String] {
        // Option streamer symbols start with a dot (`.SPY230731C393`).
        streamerSymbol.hasPrefix(".") ? optionEventTypes : eventTypes
    }

    private(set) var phase = Phase.awaitingAuthorization
    private(set) var token: String
    /// The fields per event type of the latest FEED_CONFIG that named them; empty until one does.
    private(set) var eventFields: [String: [String]] = [:]
    /// The server's keepalive timeout from its SETUP, in seconds.
    private(set) var serverKeepaliveTimeout: Double?
    let keepaliveTimeout: Double
    let aggregationPeriod: Double

    init(token: String, keepaliveTimeout: Double, aggregationPeriod: Double) {
        self.token = token
        self.keepaliveTimeout = keepaliveTimeout
        self.aggregationPeriod = aggregationPeriod
    }

    /// The first message on a new connection.
    var setup: DXLinkMessage {
        .setup(version: DXLinkMessage.version, keepaliveTimeout: keepaliveTimeout, acceptKeepaliveTimeout: keepaliveTimeout)
    }

    /// A new token for a refused one, on the same connection.
    mutating func reauthorize(with token: String) -> [Outcome] {
        self.token = token
        phase = .authorizing
        return [.send(.auth(token: token))]
    }

    mutating func receive(_ message: DXLinkMessage) -> [Outcome] {
        switch message {
        case let .setup(_, keepaliveTimeout, _):
            serverKeepaliveTimeout = keepaliveTimeout
            return []
        case let .authState(state, _):
            switch (state, phase) {
            case ("UNAUTHORIZED", .awaitingAuthorization):
                phase = .authorizing
                return [.send(.auth(token: token))]
            case ("UNAUTHORIZED", .refused):
                return []
            case ("UNAUTHORIZED", _):
                phase = .refused
                return [.tokenRefused("DXLink refused the quote token")]
            case ("AUTHORIZED", .refused):
                return []
            case ("AUTHORIZED", _):
                // Each authorization opens the feed afresh: after a refusal the server may have dropped the channel.
                phase = .openingFeed
                return [.send(.channelRequest(channel: Self.feedChannel, service: "FEED", parameters: ["contract": "AUTO"]))]
            default:
                return [.malformed("AUTH_STATE \(state) is neither AUTHORIZED nor UNAUTHORIZED")]
            }
        case let .channelOpened(channel, _, _) where channel == Self.feedChannel:
            guard phase == .openingFeed else { return [] }
            phase = .streaming
            return [.send(.feedSetup(
                channel: channel, acceptAggregationPeriod: aggregationPeriod, acceptDataFormat: "COMPACT",
                acceptEventFields: DXLinkEvent.requestedFields.filter { Self.optionEventTypes.contains($0.key) })),
                .feedReady]
        case let .feedConfig(channel, _, _, fields) where channel == Self.feedChannel:
            // A lazy FEED_CONFIG may leave the fields out, or name only the types that changed.
            eventFields.merge(fields) { _, new in new }
            return []
        case let .feedData(channel, data) where channel == Self.feedChannel:
            guard phase == .streaming else { return [] }
            do {
                return [.events(try DXLinkEvent.decode(data: data, eventFields: eventFields))]
            } catch {
                return [.malformed(error.message)]
            }
        case let .channelClosed(channel) where channel == Self.feedChannel,
             let .channelCancel(channel) where channel == Self.feedChannel:
            guard phase == .streaming || phase == .openingFeed else { return [] }
            return [.failed("DXLink closed the feed channel")]
        case let .error(_, error, text):
            let detail = text.isEmpty ? error : "\(error): \(text)"
            switch error {
            case "UNAUTHORIZED":
                guard phase != .refused else { return [] }
                phase = .refused
                return [.tokenRefused("DXLink refused the quote token (\(detail))")]
            case "TIMEOUT", "UNSUPPORTED_PROTOCOL":
                return [.failed("DXLink error \(detail)")]
            default:
                return [.malformed("DXLink error \(detail)")]
            }
        case .keepalive, .unknown, .auth, .channelRequest, .feedSetup, .feedSubscription, .channelOpened, .feedConfig,
             .feedData, .channelClosed, .channelCancel:
            return []
        }
    }

    /// FEED_SUBSCRIPTION for streamer symbols, every event type each; `reset` replaces what the server holds.
    static func subscription(add: [String], remove: [String] = [], reset: Bool = false) -> DXLinkMessage {
        func each(_ symbols: [String]) -> [DXLinkSubscription] {
            symbols.flatMap { symbol in eventTypes(of: symbol).map { DXLinkSubscription(type: $0, symbol: symbol) } }
        }
        return .feedSubscription(channel: feedChannel, reset: reset, add: each(add), remove: each(remove))
    }
}
