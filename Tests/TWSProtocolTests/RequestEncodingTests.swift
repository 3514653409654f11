import NIOCore
import Testing
import TWSProtocol

/// Client requests encode to exactly the bytes real clients send.
@Suite("Request encoding")
struct RequestEncodingTests {
    static let aapl = Contract(
        conId: 265598, symbol: "AAPL", secType: "STK", exchange: "SMART", primaryExchange: "NASDAQ", currency: "USD",
        localSymbol: "AAPL", tradingClass: "NMS")

    /// The payload in pipe notation (every `|` a terminator).
    func pipes(_ message: any TWSMessage, _ serverVersion: Int = 176) -> String {
        Wire.pipes(Wire.payload(of: message, serverVersion: serverVersion))
    }

    @Test func startApiFrameBytes() {
        let frame = StartAPI(clientID: 1).frame(serverVersion: 176)
        #expect(Wire.bytes(frame) == [0x00, 0x00, 0x00, 0x08, 0x37, 0x31, 0x00, 0x32, 0x00, 0x31, 0x00, 0x00])
        // Below optional capabilities there is no capabilities field.
        #expect(pipes(StartAPI(clientID: 1), 71) == "71|2|1|")
        #expect(pipes(StartAPI(clientID: 7, optionalCapabilities: "+PACEAPI")) == "71|2|7|+PACEAPI|")
    }

    @Test func clientHelloBytes() {
        var buffer = ByteBuffer()
        ClientHello().encode(into: &buffer)
        #expect(Wire.bytes(buffer) == [
            0x41, 0x50, 0x49, 0x00, 0x00, 0x00, 0x00, 0x09, 0x76, 0x31, 0x35, 0x37, 0x2E, 0x2E, 0x31, 0x37, 0x38,
        ])
        var withOptions = ByteBuffer()
        ClientHello(versions: 100...177, options: "+PACEAPI").encode(into: &withOptions)
        #expect(Wire.bytes(withOptions) == Array("API\0".utf8) + [0, 0, 0, 18] + Array("v100..177 +PACEAPI".utf8))
    }

    @Test func positionsAndAccountUpdatesMatchTheRecording() {
        // Recorded from ib_insync (first_commit.json).
        #expect(Wire.bytes(RequestPositions().frame(serverVersion: 176)) == [0, 0, 0, 5] + Array("61\u{0}1\u{0}".utf8))
        #expect(Wire.bytes(RequestAccountUpdates(subscribe: true, account: "DU5509097").frame(serverVersion: 176))
            == [0, 0, 0, 16] + Array("6\u{0}2\u{0}1\u{0}DU5509097\u{0}".utf8))
        #expect(pipes(RequestAccountUpdates(subscribe: false, account: "DU5509097")) == "6|2|0|DU5509097|")
        #expect(Wire.bytes(RequestOpenOrders().frame(serverVersion: 176)) == [0, 0, 0, 4] + Array("5\u{0}1\u{0}".utf8))
        #expect(pipes(RequestCompletedOrders()) == "99|0|")
    }

    @Test func marketDataForAStock() {
        let request = RequestMarketData(requestID: 5, contract: Self.aapl)
        let payload = Wire.payload(of: request, serverVersion: 176)
        #expect(Wire.pipes(payload) == "1|11|5|265598|AAPL|STK||0.0|||SMART|NASDAQ|USD|AAPL|NMS|0||0|0||")
        #expect(TWSFraming.fieldCount(of: payload) == 20)
        #expect(pipes(RequestMarketData(requestID: 6, contract: Self.aapl, genericTickList: "233,236", snapshot: true))
            == "1|11|6|265598|AAPL|STK||0.0|||SMART|NASDAQ|USD|AAPL|NMS|0|233,236|1|0||")
    }

    @Test func marketDataForACombo() {
        var bag = Contract(symbol: "SPY", secType: "BAG", exchange: "SMART", currency: "USD")
        var leg = ComboLeg()
        leg.conId = 756733
        leg.ratio = 1
        leg.action = "BUY"
        leg.exchange = "SMART"
        bag.comboLegs = [leg]
        #expect(pipes(RequestMarketData(requestID: 7, contract: bag))
            == "1|11|7|0|SPY|BAG||0.0|||SMART||USD|||1|756733|1|BUY|SMART|0||0|0||")
    }

    @Test func contractDetails() {
        let request = RequestContractDetails(
            requestID: 3, contract: Contract(symbol: "AAPL", secType: "STK", exchange: "SMART", currency: "USD"))
        let payload = Wire.payload(of: request, serverVersion: 176)
        #expect(Wire.pipes(payload) == "9|8|3|0|AAPL|STK||0.0|||SMART||USD|||0||||")
        #expect(TWSFraming.fieldCount(of: payload) == 19)
        // Below bond issuer id (176) the issuer field is absent.
        #expect(TWSFraming.fieldCount(of: Wire.payload(of: request, serverVersion: 175)) == 18)
    }

    @Test func pnlRequests() {
        #expect(pipes(RequestPnL(requestID: 13, account: "DU1234567")) == "92|13|DU1234567||")
        #expect(pipes(RequestPnLSingle(requestID: 14, account: "DU1234567", conId: 265598)) == "94|14|DU1234567||265598|")
        #expect(pipes(CancelPnL(requestID: 13)) == "93|13|")
        #expect(pipes(CancelPnLSingle(requestID: 14)) == "95|14|")
    }

    @Test func marketDataControl() {
        #expect(pipes(RequestMarketDataType(3)) == "59|1|3|")
        #expect(pipes(CancelMarketData(requestID: 5)) == "2|2|5|")
    }

    @Test func accountSummary() {
        #expect(pipes(RequestAccountSummary(requestID: 12, tags: "NetLiquidation,BuyingPower"))
            == "62|1|12|All|NetLiquidation,BuyingPower|")
        #expect(pipes(CancelAccountSummary(requestID: 12)) == "63|1|12|")
        #expect(pipes(CancelPositions()) == "64|1|")
    }

    @Test func sessionRequests() {
        #expect(pipes(RequestIDs(count: 1)) == "8|1|1|")
        #expect(pipes(RequestCurrentTime()) == "49|1|")
        #expect(pipes(RequestManagedAccounts()) == "17|1|")
        #expect(pipes(RequestAllOpenOrders()) == "16|1|")
        var auto = RequestAutoOpenOrders()
        auto.autoBind = true
        #expect(pipes(auto) == "15|1|1|")
        var multi = RequestAccountUpdatesMulti()
        multi.requestID = 184
        multi.account = "DU5509097"
        #expect(pipes(multi) == "76|1|184|DU5509097||0|")
        var executions = RequestExecutions()
        executions.requestID = 185
        #expect(pipes(executions) == "7|3|185|0|||||||")
    }

    /// A frame's length prefix covers exactly its payload, wherever in a buffer it is written.
    @Test func framesAppendAndPatchTheirLength() throws {
        var buffer = ByteBuffer(bytes: [0xAA, 0xBB])
        RequestCurrentTime().encode(into: &buffer, serverVersion: 176)
        RequestIDs(count: 1).encode(into: &buffer, serverVersion: 176)
        #expect(Wire.bytes(buffer) == [0xAA, 0xBB, 0, 0, 0, 5] + Array("49\u{0}1\u{0}".utf8)
            + [0, 0, 0, 6] + Array("8\u{0}1\u{0}1\u{0}".utf8))
    }
}
