import TastyTrade
import TickhubCore
import Testing

@testable import TastyTradeBroker

@Suite("DXLink session")
struct DXLinkSessionTests {
    static func streaming() -> DXLinkSession {
        var session = DXLinkSession(token: "tok", keepaliveTimeout: 60, aggregationPeriod: 0.1)
        _ = session.receive(.setup(version: "1.0", keepaliveTimeout: 60, acceptKeepaliveTimeout: 60))
        _ = session.receive(.authState(state: "UNAUTHORIZED", userID: nil))
        _ = session.receive(.authState(state: "AUTHORIZED", userID: "u"))
        _ = session.receive(.channelOpened(channel: DXLinkSession.feedChannel, service: "FEED", parameters: [:]))
        return session
    }

    @Test func setupAuthChannelFeedInOrder() {
        var session = DXLinkSession(token: "tok", keepaliveTimeout: 60, aggregationPeriod: 0.1)
        #expect(session.setup == .setup(version: DXLinkMessage.version, keepaliveTimeout: 60, acceptKeepaliveTimeout: 60))
        #expect(session.receive(.setup(version: "1.0", keepaliveTimeout: 45, acceptKeepaliveTimeout: 60)).isEmpty)
        #expect(session.serverKeepaliveTimeout == 45)
        #expect(session.receive(.authState(state: "UNAUTHORIZED", userID: nil)) == [.send(.auth(token: "tok"))])
        #expect(session.receive(.authState(state: "AUTHORIZED", userID: "u"))
            == [.send(.channelRequest(channel: 1, service: "FEED", parameters: ["contract": "AUTO"]))])
        let opened = session.receive(.channelOpened(channel: 1, service: "FEED", parameters: ["contract": "AUTO"]))
        guard case let .send(.feedSetup(1, period, format, fields))? = opened.first else { Issue.record("no FEED_SETUP"); return }
        #expect(period == 0.1 && format == "COMPACT")
        #expect(Set(fields.keys) == ["Quote", "Trade", "Summary", "Greeks"])
        #expect(opened.last == .feedReady)
        #expect(session.phase == .streaming)
    }

    @Test func dataIsReadWithTheServersFieldsEvenWhenTheyComeLate() {
        var session = Self.streaming()
        let data: [JSONValue] = [.string("Quote"), .array([.string("SPY"), .string("Quote"), .number(2), .number(1)])]
        // No FEED_CONFIG has named the fields yet: the data cannot be placed, and is not guessed.
        guard case .malformed? = session.receive(.feedData(channel: 1, data: data)).first else { Issue.record("data read without fields"); return }
        #expect(session.receive(.feedConfig(channel: 1, dataFormat: "COMPACT", aggregationPeriod: 0.1, eventFields: [:])).isEmpty)
        _ = session.receive(.feedConfig(
            channel: 1, dataFormat: "COMPACT", aggregationPeriod: nil,
            eventFields: ["Quote": ["eventSymbol", "eventType", "askPrice", "bidPrice"]]))
        #expect(session.receive(.feedData(channel: 1, data: data))
            == [.events([DXLinkEvent(type: "Quote", symbol: "SPY", values: ["askPrice": 2, "bidPrice": 1])])])
        // A later FEED_CONFIG naming another type keeps the first's fields.
        _ = session.receive(.feedConfig(channel: 1, dataFormat: "COMPACT", aggregationPeriod: nil, eventFields: ["Trade": ["eventSymbol", "price"]]))
        #expect(session.eventFields["Quote"] == ["eventSymbol", "eventType", "askPrice", "bidPrice"])
    }

    @Test func anUnauthorizedAfterAuthIsARefusalOnce() {
        var session = DXLinkSession(token: "tok", keepaliveTimeout: 60, aggregationPeriod: 0.1)
        _ = session.receive(.authState(state: "UNAUTHORIZED", userID: nil))
        #expect(session.receive(.authState(state: "UNAUTHORIZED", userID: nil)) == [.tokenRefused("DXLink refused the quote token")])
        #expect(session.receive(.error(channel: 0, error: "UNAUTHORIZED", message: "expired")).isEmpty, "one refusal, reported once")
        #expect(session.reauthorize(with: "new") == [.send(.auth(token: "new"))])
        #expect(session.receive(.authState(state: "AUTHORIZED", userID: nil))
            == [.send(.channelRequest(channel: 1, service: "FEED", parameters: ["contract": "AUTO"]))])
    }

    @Test func aStreamingSessionRefusedByError() {
        var session = Self.streaming()
        #expect(session.receive(.error(channel: 0, error: "UNAUTHORIZED", message: "the quote token was revoked"))
            == [.tokenRefused("DXLink refused the quote token (UNAUTHORIZED: the quote token was revoked)")])
        #expect(session.receive(.authState(state: "UNAUTHORIZED", userID: nil)).isEmpty)
        #expect(session.receive(.feedData(channel: 1, data: [])).isEmpty, "no data while refused")
    }

    @Test func endsAndOddities() {
        var session = Self.streaming()
        #expect(session.receive(.channelClosed(channel: 1)) == [.failed("DXLink closed the feed channel")])
        #expect(session.receive(.error(channel: 0, error: "TIMEOUT", message: "")) == [.failed("DXLink error TIMEOUT")])
        #expect(session.receive(.error(channel: 0, error: "BAD_ACTION", message: "x")) == [.malformed("DXLink error BAD_ACTION: x")])
        #expect(session.receive(.keepalive(channel: 0)).isEmpty)
        #expect(session.receive(.unknown(type: "NEW", channel: 0)).isEmpty)
        #expect(session.receive(.channelClosed(channel: 7)).isEmpty, "not our channel")
    }

    @Test func subscriptionsNameEveryEventType() {
        #expect(DXLinkSession.subscription(add: ["SPY"], reset: true) == .feedSubscription(
            channel: 1, reset: true,
            add: [.init(type: "Quote", symbol: "SPY"), .init(type: "Trade", symbol: "SPY"), .init(type: "Summary", symbol: "SPY")],
            remove: []))
        guard case let .feedSubscription(_, _, add, _) = DXLinkSession.subscription(add: [".SPY271217C600"]) else { return }
        #expect(add.map(\.type) == ["Quote", "Trade", "Summary", "Greeks"], "an option's model figures too")
    }
}

@Suite("DXLink events into quotes")
struct DXLinkQuoteEventsTests {
    @Test func eachEventTypeFillsItsFields() {
        var quote = Quote(symbol: "SPY", source: .tastytrade)
        let changed1 = quote.apply(DXLinkEvent(type: "Quote", symbol: "SPY", values: ["bidPrice": 593.17, "askPrice": 593.19, "bidSize": 200, "askSize": 300]))
        #expect(changed1)
        let changed2 = quote.apply(DXLinkEvent(type: "Trade", symbol: "SPY", values: ["price": 593.18, "size": 100, "dayVolume": 41_234_567, "time": 1_796_482_990_000]))
        #expect(changed2)
        let changed3 = quote.apply(DXLinkEvent(type: "Summary", symbol: "SPY", values: ["dayOpenPrice": 590.5, "dayHighPrice": 594.2, "dayLowPrice": 589.9, "prevDayClosePrice": 591.02, "dayClosePrice": nil]))
        #expect(changed3)
        #expect(quote.bid == 593.17 && quote.ask == 593.19 && quote.bidSize == 200 && quote.askSize == 300)
        #expect(quote.last == 593.18 && quote.lastSize == 100 && quote.volume == 41_234_567 && quote.lastTradeTime == 1_796_482_990_000)
        #expect(quote.open == 590.5 && quote.high == 594.2 && quote.low == 589.9 && quote.close == 591.02)
        let changed4 = quote.apply(DXLinkEvent(type: "Quote", symbol: "SPY", values: ["bidPrice": 593.17]))
        #expect(!changed4, "the same value changes nothing")
    }

    @Test func anOptionsGreeks() {
        var quote = Quote(symbol: "SPY 271217C00600000", source: .tastytrade)
        let changed = quote.apply(DXLinkEvent(
            type: "Greeks", symbol: ".SPY271217C600",
            values: ["volatility": 0.21, "delta": 0.55, "gamma": 0.01, "theta": -0.05, "vega": 0.8]))
        #expect(changed)
        #expect(quote.greeks == OptionGreeks(impliedVolatility: 0.21, delta: 0.55, gamma: 0.01, vega: 0.8, theta: -0.05))
        let absurd = quote.apply(DXLinkEvent(type: "Greeks", symbol: ".SPY271217C600", values: ["delta": 3, "volatility": nil]))
        #expect(absurd)
        #expect(quote.greeks?.delta == nil && quote.greeks?.impliedVolatility == nil && quote.greeks?.gamma == 0.01,
                "a delta outside -1…1 is no delta")
    }

    @Test func noValueClearsAndAbsentLeaves() {
        var quote = Quote(symbol: "SPY", source: .tastytrade)
        _ = quote.apply(DXLinkEvent(type: "Quote", symbol: "SPY", values: ["bidPrice": 1, "askPrice": 2]))
        let changed5 = quote.apply(DXLinkEvent(type: "Quote", symbol: "SPY", values: ["bidPrice": nil]))
        #expect(changed5)
        #expect(quote.bid == nil && quote.ask == 2)
        let changed6 = quote.apply(DXLinkEvent(type: "Quote", symbol: "SPY", values: ["askPrice": 0]))
        #expect(changed6)
        #expect(quote.ask == nil, "dxFeed's 0 price is no price")
        let changed7 = quote.apply(DXLinkEvent(type: "TimeAndSale", symbol: "SPY", values: ["price": 0.5]))
        #expect(!changed7)
    }
}
