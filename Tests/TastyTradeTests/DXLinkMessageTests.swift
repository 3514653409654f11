import TastyTrade
import TickhubCore
import Testing

@Suite("DXLink messages")
struct DXLinkMessageTests {
    static let fields: [String: [String]] = [
        "Quote": ["eventType", "eventSymbol", "bidPrice", "askPrice", "bidSize", "askSize"],
        "Trade": ["eventType", "eventSymbol", "price", "dayVolume", "size"],
    ]

    @Test func theSessionInOrder() throws {
        let exchange: [(String, DXLinkMessage)] = [
            (#"{"type":"SETUP","channel":0,"version":"0.1-DXF-JS/0.3.0","keepaliveTimeout":60,"acceptKeepaliveTimeout":60}"#,
             .setup(version: "0.1-DXF-JS/0.3.0", keepaliveTimeout: 60, acceptKeepaliveTimeout: 60)),
            (#"{"type":"AUTH_STATE","channel":0,"state":"UNAUTHORIZED"}"#, .authState(state: "UNAUTHORIZED", userID: nil)),
            (#"{"type":"AUTH","channel":0,"token":"tok"}"#, .auth(token: "tok")),
            (#"{"type":"AUTH_STATE","channel":0,"state":"AUTHORIZED","userId":"u1"}"#, .authState(state: "AUTHORIZED", userID: "u1")),
            (#"{"type":"CHANNEL_REQUEST","channel":3,"service":"FEED","parameters":{"contract":"AUTO"}}"#,
             .channelRequest(channel: 3, service: "FEED", parameters: ["contract": "AUTO"])),
            (#"{"type":"CHANNEL_OPENED","channel":3,"service":"FEED","parameters":{"contract":"AUTO","subFormat":"LIST"}}"#,
             .channelOpened(channel: 3, service: "FEED", parameters: ["contract": "AUTO", "subFormat": "LIST"])),
            (#"{"type":"FEED_SETUP","channel":3,"acceptAggregationPeriod":0.1,"acceptDataFormat":"COMPACT","acceptEventFields":{"Quote":["eventType","eventSymbol","bidPrice","askPrice","bidSize","askSize"],"Trade":["eventType","eventSymbol","price","dayVolume","size"]}}"#,
             .feedSetup(channel: 3, acceptAggregationPeriod: 0.1, acceptDataFormat: "COMPACT", acceptEventFields: Self.fields)),
            (#"{"type":"FEED_CONFIG","channel":3,"dataFormat":"COMPACT","aggregationPeriod":0.1,"eventFields":{"Quote":["eventType","eventSymbol","bidPrice","askPrice","bidSize","askSize"],"Trade":["eventType","eventSymbol","price","dayVolume","size"]}}"#,
             .feedConfig(channel: 3, dataFormat: "COMPACT", aggregationPeriod: 0.1, eventFields: Self.fields)),
            (#"{"type":"FEED_SUBSCRIPTION","channel":3,"reset":true,"add":[{"type":"Quote","symbol":"SPY"},{"type":"Trade","symbol":"SPY"}]}"#,
             .feedSubscription(channel: 3, reset: true, add: [.init(type: "Quote", symbol: "SPY"), .init(type: "Trade", symbol: "SPY")], remove: [])),
            (#"{"type":"FEED_SUBSCRIPTION","channel":3,"remove":[{"type":"Quote","symbol":"SPY"}]}"#,
             .feedSubscription(channel: 3, reset: false, add: [], remove: [.init(type: "Quote", symbol: "SPY")])),
            (#"{"type":"KEEPALIVE","channel":0}"#, .keepalive(channel: 0)),
            (#"{"type":"CHANNEL_CANCEL","channel":3}"#, .channelCancel(channel: 3)),
            (#"{"type":"CHANNEL_CLOSED","channel":3}"#, .channelClosed(channel: 3)),
            (#"{"type":"ERROR","channel":0,"error":"UNAUTHORIZED","message":"Token is expired"}"#,
             .error(channel: 0, error: "UNAUTHORIZED", message: "Token is expired")),
            (#"{"type":"SOMETHING_NEW","channel":7}"#, .unknown(type: "SOMETHING_NEW", channel: 7)),
        ]
        for (text, message) in exchange {
            #expect(try DXLinkMessage.decode(text) == message, "\(text)")
            #expect(try DXLinkMessage.decode(message.json) == message, "\(message.json) does not read back")
        }
    }

    @Test func compactFeedDataReadWithTheConfigsOrder() throws {
        let text = #"{"type":"FEED_DATA","channel":3,"data":["Trade",["Trade","SPY",559.36,1.3743299E7,100.0,"Trade","BTC/USD:CXTALP",58356.71,"NaN","NaN"],"Quote",["Quote","SPY",559.35,559.37,"Infinity",300]]}"#
        guard case let .feedData(3, data) = try DXLinkMessage.decode(text) else { Issue.record("not FEED_DATA"); return }
        let events = try DXLinkEvent.decode(data: data, eventFields: Self.fields)
        #expect(events.map(\.symbol) == ["SPY", "BTC/USD:CXTALP", "SPY"])
        #expect(events[0].type == "Trade" && events[0]["price"] == 559.36 && events[0]["dayVolume"] == 13_743_299 && events[0]["size"] == 100)
        #expect(events[1]["price"] == 58356.71)
        #expect(events[1].values.keys.contains("dayVolume") && events[1]["dayVolume"] == nil, "NaN is a field with no value")
        #expect(events[2]["bidPrice"] == 559.35 && events[2]["askPrice"] == 559.37 && events[2]["bidSize"] == nil && events[2]["askSize"] == 300)

        // The order is the config's, not the request's: a server that reorders is read by its own order.
        let reordered: [String: [String]] = ["Quote": ["eventSymbol", "askPrice", "eventType", "bidPrice", "bidSize", "askSize"]]
        let swapped = try DXLinkEvent.decode(data: [.string("Quote"), .array([.string("AAPL"), .number(2), .string("Quote"), .number(1), .number(5), .number(6)])], eventFields: reordered)
        #expect(swapped == [DXLinkEvent(type: "Quote", symbol: "AAPL", values: ["askPrice": 2, "bidPrice": 1, "bidSize": 5, "askSize": 6])])
    }

    @Test func compactDataWrittenReadsBack() throws {
        let events = [
            DXLinkEvent(type: "Quote", symbol: "SPY", values: ["bidPrice": 1.5, "askPrice": 1.75, "bidSize": nil, "askSize": 3]),
            DXLinkEvent(type: "Trade", symbol: ".SPY230731C393", values: ["price": 7.1, "dayVolume": 1200, "size": 1]),
            DXLinkEvent(type: "Quote", symbol: "BTC/USD:CXTALP", values: ["bidPrice": 58000, "askPrice": 58010, "bidSize": 0.5, "askSize": 0.25]),
        ]
        let message = DXLinkMessage.feedData(channel: 3, data: DXLinkEvent.compact(events, eventFields: Self.fields))
        #expect(message.json.contains(#""NaN""#))
        guard case let .feedData(_, data) = try DXLinkMessage.decode(message.json) else { Issue.record("not FEED_DATA"); return }
        let again = try DXLinkEvent.decode(data: data, eventFields: Self.fields)
        #expect(Set(again.map(\.symbol)) == Set(events.map(\.symbol)))
        for event in events { #expect(again.contains(event), "\(event.symbol)") }
    }

    @Test func fullFormatToo() throws {
        let data = try #require(JSONValue.decode(.init(#"[{"eventType":"Quote","eventSymbol":"AAPL","bidPrice":1,"askPrice":"NaN","exchangeCode":"Q"}]"#.utf8)).array)
        #expect(try DXLinkEvent.decode(data: data, eventFields: [:]) == [DXLinkEvent(type: "Quote", symbol: "AAPL", values: ["bidPrice": 1, "askPrice": nil])])
    }

    @Test func malformedFeedDataIsAClearError() throws {
        let cases: [String] = [
            #"["Quote"]"#,                                             // a type without values
            #"["Quote",["Quote","SPY",1,2,3]]"#,                       // 5 values for 6 fields
            #"["Candle",["Candle","SPY"]]"#,                           // a type the config has no fields for
            #"[5,[1]]"#,                                               // no event type
            #"["Quote",{"x":1}]"#,                                     // values that are no array
            #"["Quote",["Quote",7,1,2,3,4]]"#,                         // a symbol that is no text
            #"[{"eventType":"Quote"}]"#,                               // FULL without a symbol
        ]
        for text in cases {
            let data = try #require(JSONValue.decode(.init(text.utf8)).array)
            #expect { try DXLinkEvent.decode(data: data, eventFields: Self.fields) } throws: { error in
                (error as? TastyTradeFormatError)?.message.hasPrefix("FEED_DATA") == true
            }
        }
        #expect(try DXLinkEvent.decode(data: [], eventFields: Self.fields).isEmpty)
    }

    @Test func malformedMessagesAreClearErrors() {
        for text in ["", "{", "[1]", #"{"channel":0}"#, #"{"type":"AUTH"}"#, #"{"type":"FEED_DATA","channel":3,"data":{}}"#,
                     #"{"type":"KEEPALIVE","channel":-1}"#, #"{"type":"KEEPALIVE","channel":"x"}"#,
                     #"{"type":"FEED_CONFIG","channel":3,"eventFields":{"Quote":[1,2]}}"#,
                     #"{"type":"FEED_SUBSCRIPTION","channel":3,"add":[{"type":"Quote"}]}"#] {
            #expect(throws: TastyTradeFormatError.self, "\(text)") { try DXLinkMessage.decode(text) }
        }
    }
}
