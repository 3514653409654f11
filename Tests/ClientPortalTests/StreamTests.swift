import ClientPortal
import Foundation
import Testing
import TickhubCore

@Suite("Stream topics and messages")
struct StreamTests {
    @Test func clientCommandsAsTheGatewayWantsThem() {
        #expect(StreamCommand.subscribe(conid: 265598, fields: [.last, .bid, .ask]).text == #"smd+265598+{"fields":["31","84","86"]}"#)
        #expect(StreamCommand.unsubscribe(conid: 265598).text == "umd+265598+{}")
        #expect(StreamCommand.keepAlive.text == "tic")
        #expect(StreamCommand.session("bb66\"x").text == #"{"session":"bb66\"x"}"#)
    }

    @Test func commandsReadBack() {
        let commands: [StreamCommand] = [
            .subscribe(conid: 265598, fields: MarketDataField.quoteFields), .unsubscribe(conid: 8314), .keepAlive, .session("abc"),
        ]
        for command in commands { #expect(StreamCommand.parse(command.text) == command) }
        #expect(StreamCommand.parse(#"smd+1+{"fields":["31","99999",7059]}"#) == .subscribe(conid: 1, fields: [.last, .lastSize]))
        for bad in ["", "smd", "smd+1", "smd+x+{}", "smd+1+{}", "umd+1+[]", "xyz+1+{}", "smd+1+{\"fields\":", "{\"session\":\"\"}", "{}"] {
            #expect(StreamCommand.parse(bad) == nil, "\(bad)")
        }
    }

    @Test func everyRecordedMessageClassified() throws {
        let messages = try Recordings.lines("ws_messages.jsonl").map(StreamMessage.decode)
        #expect(messages.count == 13)
        #expect(messages[0] == .waitingForSession)
        #expect(messages[1] == .authStatus(AuthStatus(authenticated: true, connected: false)))
        #expect(messages[2] == .connected(user: "trader1"))
        #expect(messages[3] == .heartbeat(1_733_505_600_000))
        guard case let .marketData(priming) = messages[4] else { Issue.record("\(messages[4])"); return }
        #expect(priming.isPriming && priming.conid == 265598)
        guard case let .marketData(last) = messages[5] else { Issue.record("\(messages[5])"); return }
        // Change % as a bare number, as IBKR's own example sends it.
        #expect(last.values[.last] == FormattedValue(value: 243.06) && last.values[.changePercent] == FormattedValue(value: 0.09))
        guard case let .marketData(book) = messages[6] else { Issue.record("\(messages[6])"); return }
        #expect(book.values[.bidSize] == FormattedValue(value: 1200, isApproximate: true))
        guard case let .marketData(halted) = messages[7] else { Issue.record("\(messages[7])"); return }
        #expect(halted.isHalted && halted.values[.last]??.value == 243.10)
        guard case let .marketData(unsubscribed) = messages[8] else { Issue.record("\(messages[8])"); return }
        #expect(unsubscribed.availability?.isSubscribed == false)
        #expect(messages[9] == .authStatus(AuthStatus(authenticated: false, competing: true, connected: false, message: "competing session")))
        #expect(messages[10] == .notification("Your session will expire soon."))
        #expect(messages[11] == .bulletin("Exchange halt notice"))
        #expect(messages[12] == .other(topic: "spl"))
    }

    @Test func streamMergesIntoOneQuote() throws {
        var quote = Quote(symbol: "AAPL", source: .ibkr)
        for message in try Recordings.lines("ws_messages.jsonl").map(StreamMessage.decode) {
            if case let .marketData(update) = message { quote.apply(update, receivedAt: 1) }
        }
        #expect(quote.last == 243.10 && quote.bid == 243.05 && quote.ask == 243.07)
        #expect(quote.bidSize == 1200 && quote.askSize == 900 && quote.volume == 45_613_001)
        // The "N" message changed nothing of the quote (the transport ends the subscription on it), so the stamp is the halt's.
        #expect(quote.timestamp == 1_733_505_602_000)
    }

    @Test(arguments: ["", "{", "[]", "7", "null", #"{"topic":7}"#, #"{"topic":"smd+x","31":"1"}"#, #"{"topic":"sts"}"#,
                      #"{"topic":"sts","args":{}}"#, #"{"hello":"world"}"#])
    func unreadableFramesAreNamedNotFatal(text: String) {
        guard case .unreadable = StreamMessage.decode(Data(text.utf8)) else {
            Issue.record("\(text) read as \(StreamMessage.decode(Data(text.utf8)))")
            return
        }
    }

    @Test func marketDataTopic() {
        #expect(StreamTopic.conid(inMarketDataTopic: "smd+265598") == 265598)
        #expect(StreamTopic.conid(inMarketDataTopic: "umd+265598") == nil)
        #expect(StreamTopic.conid(inMarketDataTopic: "smd+") == nil)
        #expect(StreamTopic.marketData(8314) == "smd+8314")
    }
}
