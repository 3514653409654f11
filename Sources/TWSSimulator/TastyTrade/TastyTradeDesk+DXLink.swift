import Foundation
import NIOCore
import NIOWebSocket
import TastyTrade
import TickhubCore

/// One DXLink socket: its setup, the quote token it authorized with, and its feed channels.
final class DXLinkClient {
    /// One FEED channel: the fields its FEED_CONFIG promised, its subscriptions, and what each was last sent.
    struct FeedChannel {
        var eventFields: [String: [String]] = [:]
        var subscriptions: [DXLinkSubscription] = []
        var sent: [DXLinkSubscription: [String: Double?]] = [:]
    }

    let id: Int
    let channel: Channel
    var setupDone = false
    /// The quote token of its last accepted AUTH; data flows while the desk still honours it.
    var token: String?
    var channels: [Int: FeedChannel] = [:]
    var lastHeard = NIODeadline.now()
    var lastSent = NIODeadline.now()

    init(id: Int, channel: Channel) {
        self.id = id
        self.channel = channel
    }

    var subscriptionCount: Int { channels.values.reduce(0) { $0 + $1.subscriptions.count } }

    func send(_ message: DXLinkMessage) {
        lastSent = .now()
        channel.writeAndFlush(
            WebSocketFrame(fin: true, opcode: .text, data: channel.allocator.buffer(string: message.json)), promise: nil)
    }
}

extension TastyTradeDesk {
    /// The event types this DXLink serves and every field it can fill for each (the first two are each event's
    /// type and symbol). A FEED_SETUP's fields are kept in its order, less those unknown here.
    static let dxLinkFields: [String: [String]] = [
        "Quote": ["eventType", "eventSymbol", "eventTime", "bidTime", "bidPrice", "bidSize", "askTime", "askPrice", "askSize"],
        "Trade": ["eventType", "eventSymbol", "eventTime", "time", "price", "change", "size", "dayVolume", "dayTurnover"],
        "Summary": ["eventType", "eventSymbol", "eventTime", "dayOpenPrice", "dayHighPrice", "dayLowPrice", "dayClosePrice",
                    "prevDayClosePrice", "openInterest"],
        "Greeks": ["eventType", "eventSymbol", "eventTime", "time", "price", "volatility", "delta", "gamma", "theta", "rho", "vega"],
    ]

    func openFeed(_ channel: Channel) -> DXLinkClient {
        let client = DXLinkClient(id: nextClientID, channel: channel)
        nextClientID += 1
        feeds[client.id] = client
        return client
    }

    func closeFeed(_ client: DXLinkClient) {
        feeds[client.id] = nil
        refreshFeedSymbols()
    }

    func closeFeeds() {
        for client in feeds.values { client.channel.close(promise: nil) }
        feeds = [:]
        refreshFeedSymbols()
    }

    // MARK: Messages

    func received(_ text: String, from client: DXLinkClient) {
        client.lastHeard = .now()
        let message: DXLinkMessage
        do {
            message = try DXLinkMessage.decode(text)
        } catch {
            client.send(.error(channel: 0, error: "INVALID_MESSAGE", message: "\(error)"))
            return
        }
        if case .setup = message {
            client.setupDone = true
            client.send(.setup(
                version: DXLinkMessage.version, keepaliveTimeout: configuration.dxLinkTimeoutSeconds,
                acceptKeepaliveTimeout: configuration.dxLinkTimeoutSeconds))
            if client.token == nil { client.send(.authState(state: "UNAUTHORIZED", userID: nil)) }
            return
        }
        guard client.setupDone else {
            client.send(.error(channel: 0, error: "BAD_ACTION", message: "SETUP comes first"))
            return
        }
        switch message {
        case .keepalive:
            break
        case let .auth(token):
            guard quoteTokenValid(token) else {
                client.token = nil
                client.send(.error(channel: 0, error: "UNAUTHORIZED", message: "the token is invalid or expired"))
                client.send(.authState(state: "UNAUTHORIZED", userID: nil))
                return
            }
            client.token = token
            // What it was sent before losing its authorization goes out again in full.
            for number in client.channels.keys { client.channels[number]?.sent = [:] }
            client.send(.authState(state: "AUTHORIZED", userID: "tickhub-sim"))
        case let .channelRequest(channel, service, parameters):
            guard client.token != nil else { return refuseUnauthorized(client, channel: channel) }
            guard service == "FEED" else {
                client.send(.error(channel: channel, error: "UNSUPPORTED_PROTOCOL", message: "only the FEED service is served here"))
                return
            }
            client.channels[channel] = DXLinkClient.FeedChannel()
            client.send(.channelOpened(channel: channel, service: "FEED", parameters: parameters))
        case let .channelCancel(channel):
            client.channels[channel] = nil
            refreshFeedSymbols()
            client.send(.channelClosed(channel: channel))
        case let .feedSetup(channel, _, _, fields):
            guard client.token != nil else { return refuseUnauthorized(client, channel: channel) }
            guard client.channels[channel] != nil else { return refuseUnopened(client, channel: channel) }
            let granted = Self.grantedFields(fields)
            client.channels[channel]?.eventFields = granted
            client.channels[channel]?.sent = [:]
            // COMPACT whatever was asked: dxFeed is retiring FULL.
            client.send(.feedConfig(
                channel: channel, dataFormat: "COMPACT", aggregationPeriod: Double(configuration.aggregationMilliseconds) / 1000,
                eventFields: granted))
        case let .feedSubscription(channel, reset, add, remove):
            guard client.token != nil else { return refuseUnauthorized(client, channel: channel) }
            guard var feed = client.channels[channel] else { return refuseUnopened(client, channel: channel) }
            if reset {
                feed.subscriptions = []
                feed.sent = [:]
            }
            let removed = Set(remove)
            feed.subscriptions.removeAll { removed.contains($0) }
            for subscription in removed { feed.sent[subscription] = nil }
            for subscription in add where Self.dxLinkFields[subscription.type] != nil && !feed.subscriptions.contains(subscription) {
                feed.subscriptions.append(subscription)
            }
            client.channels[channel] = feed
            refreshFeedSymbols()
        case .feedData, .channelOpened, .channelClosed, .feedConfig, .authState, .error, .setup:
            break
        case let .unknown(type, channel):
            client.send(.error(channel: channel, error: "BAD_ACTION", message: "unknown message type \(type)"))
        }
    }

    private func refuseUnauthorized(_ client: DXLinkClient, channel: Int) {
        client.send(.error(channel: channel, error: "UNAUTHORIZED", message: "AUTH with a quote token first"))
    }

    private func refuseUnopened(_ client: DXLinkClient, channel: Int) {
        client.send(.error(channel: channel, error: "BAD_ACTION", message: "channel \(channel) is not open (CHANNEL_REQUEST first)"))
    }

    /// What a FEED_SETUP asked, less what is not served: its order kept, the type and symbol always in; a type
    /// asked with no fields gets all of them.
    static func grantedFields(_ asked: [String: [String]]) -> [String: [String]] {
        var granted: [String: [String]] = [:]
        for (type, fields) in asked {
            guard let known = dxLinkFields[type] else { continue }
            var kept = fields.filter { known.contains($0) }
            for required in ["eventSymbol", "eventType"] where !kept.contains(required) { kept.insert(required, at: 0) }
            granted[type] = fields.isEmpty ? known : kept
        }
        return granted
    }

    // MARK: Data

    /// The Tickhub symbols DXLink clients follow, stepped by the engine's tick clock like a TWS subscription's.
    func refreshFeedSymbols() {
        var symbols: Set<String> = []
        for client in feeds.values {
            for feed in client.channels.values {
                for subscription in feed.subscriptions {
                    guard let symbol = TastySymbol.tickhubSymbol(streamerSymbol: subscription.symbol),
                          walk(symbol) != nil
                    else { continue }
                    symbols.insert(symbol)
                }
            }
        }
        if symbols != engine.tastyTradeSymbols { engine.tastyTradeSymbols = symbols }
    }

    /// Every aggregation period: each subscription whose event changed goes out, one FEED_DATA per channel. A
    /// symbol the market does not have gets nothing, as dxFeed sends nothing for it.
    func feedRound() {
        for client in feeds.values {
            guard let token = client.token else { continue }
            guard quoteTokenValid(token) else {
                unauthorize(client, because: "the quote token expired")
                continue
            }
            for (number, feed) in client.channels where !feed.eventFields.isEmpty && !feed.subscriptions.isEmpty {
                var events: [DXLinkEvent] = []
                var sent = feed.sent
                for subscription in feed.subscriptions {
                    guard let fields = feed.eventFields[subscription.type],
                          let values = eventValues(subscription.type, symbol: subscription.symbol, fields: fields),
                          sent[subscription] != values
                    else { continue }
                    sent[subscription] = values
                    events.append(DXLinkEvent(type: subscription.type, symbol: subscription.symbol, values: values))
                }
                client.channels[number]?.sent = sent
                guard !events.isEmpty else { continue }
                client.send(.feedData(channel: number, data: DXLinkEvent.compact(events, eventFields: feed.eventFields)))
                counters.feedMessages += 1
            }
        }
    }

    /// An event's values now, restricted to `fields`; nil when the symbol has no walk or the type does not apply
    /// (Greeks of a stock).
    func eventValues(_ type: String, symbol streamerSymbol: String, fields: [String]) -> [String: Double?]? {
        guard let symbol = TastySymbol.tickhubSymbol(streamerSymbol: streamerSymbol), let walk = walk(symbol) else { return nil }
        let tradeTime = Double(walk.lastTradeTime) * 1000
        let all: [String: Double?]
        switch type {
        case "Quote":
            all = ["eventTime": 0, "bidTime": tradeTime, "bidPrice": walk.bid, "bidSize": walk.bidSize,
                   "askTime": tradeTime, "askPrice": walk.ask, "askSize": walk.askSize]
        case "Trade":
            guard walk.hasTrades else { return nil }
            all = ["eventTime": 0, "time": tradeTime, "price": walk.last, "change": walk.last - walk.close,
                   "size": walk.lastSize, "dayVolume": walk.volume, "dayTurnover": nil]
        case "Summary":
            // The day's close is unknown until the day is over: dxFeed's NaN.
            all = ["eventTime": 0, "dayOpenPrice": walk.open, "dayHighPrice": walk.high, "dayLowPrice": walk.low,
                   "dayClosePrice": nil, "prevDayClosePrice": walk.close,
                   "openInterest": walk.instrument.securityType == .option ? walk.openInterest : nil]
        case "Greeks":
            guard let valuation = walk.valuation else { return nil }
            all = ["eventTime": 0, "time": tradeTime, "price": valuation.price, "volatility": walk.modelVolatility,
                   "delta": valuation.delta, "gamma": valuation.gamma, "theta": valuation.theta, "rho": nil,
                   "vega": valuation.vega]
        default:
            return nil
        }
        var values: [String: Double?] = [:]
        for field in fields where field != "eventType" && field != "eventSymbol" {
            values[field] = all[field] ?? nil
        }
        return values
    }

    // MARK: Faults and keepalives

    /// The `dxLinkUnauthorized` fault: every quote token issued so far is refused from now on, and the sockets
    /// authorized with one are told so and get no more data until they AUTH with a new one.
    func refuseQuoteTokens() {
        quoteTokens = [:]
        for client in feeds.values where client.token != nil {
            unauthorize(client, because: "the quote token was revoked")
        }
    }

    private func unauthorize(_ client: DXLinkClient, because reason: String) {
        client.token = nil
        client.send(.error(channel: 0, error: "UNAUTHORIZED", message: reason))
        client.send(.authState(state: "UNAUTHORIZED", userID: nil))
    }

    /// Sockets silent past the timeout get TIMEOUT and are closed; the others get a KEEPALIVE when one is due.
    func keepFeedsAlive() {
        let now = NIODeadline.now()
        let timeout = TimeAmount.nanoseconds(Int64(configuration.dxLinkTimeoutSeconds * 1e9))
        let keepalive = TimeAmount.nanoseconds(Int64(configuration.dxLinkKeepaliveSeconds * 1e9))
        var closed = false
        for client in feeds.values {
            if now - client.lastHeard >= timeout {
                client.send(.error(channel: 0, error: "TIMEOUT", message: "no message within \(configuration.dxLinkTimeoutSeconds) s"))
                client.channel.close(promise: nil)
                feeds[client.id] = nil
                closed = true
            } else if now - client.lastSent >= keepalive {
                client.send(.keepalive(channel: 0))
            }
        }
        if closed { refreshFeedSymbols() }
    }
}
