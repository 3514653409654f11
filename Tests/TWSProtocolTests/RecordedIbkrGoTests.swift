import NIOCore
import Testing
import TWSProtocol

/// Payloads ibkr-go copied from a live IB Gateway at server version 200 (length prefix stripped).
@Suite("Recorded payloads: ibkr-go ↔ IB Gateway 200")
struct RecordedIbkrGoTests {
    static let serverVersion = 200

    struct Capture {
        var name: String
        var payload: ByteBuffer
    }

    /// `ibkr-go_sv200_captured_payloads.json`: `payload_fields` joined with NULs, each terminated.
    static func captured() throws -> [Capture] {
        guard let list = try Fixtures.json("ibkr-go/ibkr-go_sv200_captured_payloads.json") as? [[String: Any]] else {
            throw FixtureError("expected a list of captures")
        }
        return try list.map { entry in
            guard let name = entry["test"] as? String, let fields = entry["payload_fields"] as? [String] else {
                throw FixtureError("capture without test or payload_fields")
            }
            return Capture(name: name, payload: Wire.payload(fields: fields))
        }
    }

    /// `ibkr-go_sv200_additional_frames.json`: `pipe_fields` split on `|`, each field terminated.
    /// The server-206 frame with a binary message id is left out: this codec stays below 201.
    static func additional() throws -> [Capture] {
        guard let object = try Fixtures.json("ibkr-go/ibkr-go_sv200_additional_frames.json") as? [String: Any],
              let frames = object["frames"] as? [[String: String]]
        else { throw FixtureError("expected an object with frames") }
        return try frames.compactMap { entry in
            guard let what = entry["what"], let pipes = entry["pipe_fields"] else {
                throw FixtureError("frame without what or pipe_fields")
            }
            if pipes.hasPrefix("[") { return nil }
            let fields = pipes.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
            return Capture(name: what, payload: Wire.payload(fields: fields))
        }
    }

    static func server(_ name: String) throws -> (payload: ByteBuffer, message: ServerMessage) {
        guard let capture = try (captured() + additional()).first(where: { $0.name == name }) else {
            throw FixtureError("no capture \(name)")
        }
        return (capture.payload, try ServerMessage.decode(capture.payload, serverVersion: serverVersion))
    }

    @Test func everyServerPayloadDecodesAndUnmodelledOnesAreUnknown() throws {
        var kinds: [String] = []
        for capture in try Self.captured() + Self.additional() where !capture.name.hasPrefix("TestCaptureEncode_") {
            kinds.append(try ServerMessage.decode(capture.payload, serverVersion: Self.serverVersion).kind)
        }
        #expect(kinds == [
            // captured payloads
            "managedAccounts", "nextValidID", "error", "contractDetails", "unknown(11)", "contractDetailsEnd",
            "accountSummary", "accountSummaryEnd", "position", "positionEnd", "historicalData", "tickPrice",
            "tickSize", "marketDataType", "tickSnapshotEnd", "unknown(5)", "openOrderEnd", "unknown(106)",
            // additional frames
            "currentTime", "unknown(109)", "accountPnL", "unknown(3)", "accountValue", "portfolioValue",
            "accountUpdateTime", "accountDownloadEnd", "accountUpdateMulti", "accountUpdateMultiEnd", "unknown(72)",
            "tickRequestParameters", "tickGeneric", "tickString", "tickOptionComputation", "tickOptionComputation", "unknown(59)",
            "completedOrdersEnd", "unknown(78)",
        ])
    }

    @Test func farmNoticeHasErrorTimeAndNoVersionField() throws {
        let (payload, message) = try Self.server("TestCaptureDecode_APIError_2104")
        #expect(TWSFraming.fields(of: payload) == [
            "4", "-1", "2104", "Market data farm connection is OK:usfarm", "", "1775425766350",
        ])
        let expected = ErrorMessage(
            requestID: -1, code: 2104, message: "Market data farm connection is OK:usfarm", errorTime: 1_775_425_766_350)
        #expect(message == .error(expected))
        #expect(Wire.bytes(Wire.payload(of: expected, serverVersion: 200)) == Wire.bytes(payload))
    }

    @Test func contractDetailsForAAPL() throws {
        let (payload, message) = try Self.server("TestCaptureDecode_ContractDetails")
        #expect(TWSFraming.fieldCount(of: payload) == 44)
        guard case let .contractDetails(cd) = message else { Issue.record("not contractDetails: \(message)"); return }
        #expect(cd.requestID == 1001)
        #expect(cd.contract.symbol == "AAPL")
        #expect(cd.contract.secType == "STK")
        #expect(cd.contract.lastTradeDateOrContractMonth == "")
        #expect(cd.lastTradeDate == "")
        #expect(cd.contract.strike == 0)
        #expect(cd.contract.exchange == "SMART")
        #expect(cd.contract.currency == "USD")
        #expect(cd.contract.localSymbol == "AAPL")
        #expect(cd.marketName == "NMS")
        #expect(cd.contract.tradingClass == "NMS")
        #expect(cd.contract.conId == 265598)
        #expect(cd.minTick == 0.01)
        #expect(cd.contract.multiplier == "")
        #expect(cd.orderTypes.hasPrefix("ACTIVETIM,AD,ADDONT,"))
        #expect(cd.orderTypes.hasSuffix(",WHATIF"))
        #expect(cd.validExchanges.split(separator: ",").count == 26)
        #expect(cd.priceMagnifier == 1)
        #expect(cd.underConId == 0)
        #expect(cd.longName == "APPLE INC")
        #expect(cd.contract.primaryExchange == "NASDAQ")
        #expect(cd.industry == "Technology")
        #expect(cd.category == "Computers")
        #expect(cd.subcategory == "Computers")
        #expect(cd.timeZoneID == "US/Eastern")
        #expect(cd.tradingHours.hasPrefix("20260405:CLOSED;20260406:0400-20260406:2000;"))
        #expect(cd.liquidHours.hasPrefix("20260405:CLOSED;20260406:0930-20260406:1600;"))
        #expect(cd.evRule == "")
        #expect(cd.evMultiplier == nil)
        #expect(cd.secIDs == [TagValue("ISIN", "US0378331005")])
        #expect(cd.aggGroup == 1)
        #expect(cd.marketRuleIDs.split(separator: ",").count == 26)
        #expect(cd.stockType == "COMMON")
        #expect(cd.minSize == "0.0001")
        #expect(cd.sizeIncrement == "0.0001")
        #expect(cd.suggestedSizeIncrement == "100")
        #expect(cd.ineligibilityReasons == [])
        // Re-encoded at the same version it has the same shape.
        #expect(TWSFraming.fieldCount(of: Wire.payload(of: cd, serverVersion: 200)) == 44)
    }

    @Test func contractDetailsEnd() throws {
        #expect(try Self.server("TestCaptureDecode_ContractDetailsEnd").message
            == .contractDetailsEnd(ContractDetailsEnd(requestID: 1001)))
    }

    @Test func delayedQuoteTicks() throws {
        #expect(try Self.server("TestCaptureDecode_TickPrice").message
            == .tickPrice(TickPrice(requestID: 1001, tickType: 68, price: 255.45, size: 200, attributes: 0)))
        #expect(try Self.server("TestCaptureDecode_TickSize").message
            == .tickSize(TickSize(requestID: 1001, tickType: 74, size: 312894)))
        #expect(try Self.server("TestCaptureDecode_MarketDataType").message
            == .marketDataType(MarketDataType(requestID: 1001, marketDataType: 3)))
        #expect(try Self.server("TestCaptureDecode_TickSnapshotEnd").message
            == .tickSnapshotEnd(TickSnapshotEnd(requestID: 1001)))
        #expect(try Self.server("tickReqParams (81), no version field").message
            == .tickRequestParameters(TickRequestParameters(
                requestID: 1001, minTick: 0.01, bboExchange: "9c0001", snapshotPermissions: 4)))
        #expect(try Self.server("tickGeneric (45) shortable=3.0 (generic tick 236)").message
            == .tickGeneric(TickGeneric(requestID: 1001, tickType: 46, value: 3.0)))
        #expect(try Self.server("tickString (46) delayed last timestamp (tick 88)").message
            == .tickString(TickString(requestID: 1001, tickType: 88, value: "1775174157")))
    }

    @Test func accountPnL() throws {
        let (payload, message) = try Self.server("pnl (94), no version field")
        let expected = AccountPnL(
            requestID: 4, dailyPnL: 11340.427636781911, unrealizedPnL: 54385.58271885987,
            realizedPnL: -103.92738339177643)
        #expect(message == .accountPnL(expected))
        // Java's shortest digits come back exactly.
        #expect(Wire.bytes(Wire.payload(of: expected, serverVersion: 200)) == Wire.bytes(payload))
    }

    @Test func portfolioValueCarriesThePrimaryExchange() throws {
        let (payload, message) = try Self.server("updatePortfolio (7) v8 -- note right='0' for a stock")
        #expect(TWSFraming.fieldCount(of: payload) == 20)
        guard case let .portfolioValue(p) = message else { Issue.record("not portfolioValue: \(message)"); return }
        #expect(p.contract.conId == 265598)
        #expect(p.contract.symbol == "AAPL")
        #expect(p.contract.secType == "STK")
        #expect(p.contract.right == "0")
        #expect(p.contract.primaryExchange == "NASDAQ")
        #expect(p.contract.exchange == "")
        #expect(p.contract.currency == "USD")
        #expect(p.contract.localSymbol == "AAPL")
        #expect(p.contract.tradingClass == "NMS")
        #expect(p.position == -100)
        #expect(p.marketPrice == 291.6234436)
        #expect(p.marketValue == -29162.34)
        #expect(p.averageCost == 291.2660812)
        #expect(p.unrealizedPnL == -35.74)
        #expect(p.realizedPnL == -71.44)
        #expect(p.account == "DU9000001")
    }

    @Test func positionCarriesTheRoutingExchange() throws {
        let (payload, message) = try Self.server("TestCaptureDecode_Position")
        #expect(TWSFraming.fieldCount(of: payload) == 16)
        let expected = Position(
            account: "DU9000001",
            contract: Contract(
                conId: 3691937, symbol: "AMZN", secType: "STK", exchange: "NASDAQ", currency: "USD",
                localSymbol: "AMZN", tradingClass: "NMS"),
            position: 15, averageCost: 200.25)
        #expect(message == .position(expected))
        #expect(try Self.server("TestCaptureDecode_PositionEnd").message == .positionEnd(PositionEnd()))
    }

    @Test func sessionAndAccountMessages() throws {
        #expect(try Self.server("TestCaptureDecode_ManagedAccounts").message
            == .managedAccounts(ManagedAccounts(accounts: ["DU9000001"])))
        #expect(try Self.server("TestCaptureDecode_NextValidID").message == .nextValidID(NextValidID(orderID: 1)))
        #expect(try Self.server("TestCaptureDecode_AccountSummaryValue").message
            == .accountSummary(AccountSummary(
                requestID: 1001, account: "DU9000001", tag: "BuyingPower", value: "300000.00", currency: "EUR")))
        #expect(try Self.server("TestCaptureDecode_AccountSummaryEnd").message
            == .accountSummaryEnd(AccountSummaryEnd(requestID: 1001)))
        #expect(try Self.server("TestCaptureDecode_OpenOrderEnd").message == .openOrderEnd(OpenOrderEnd()))
        #expect(try Self.server("currentTime (49)").message == .currentTime(CurrentTime(time: 1_781_163_646)))
        #expect(try Self.server("updateAccountValue (6) v2").message
            == .accountValue(AccountValue(key: "AccountCode", value: "DU9000001", currency: "", account: "DU9000001")))
        #expect(try Self.server("updateAccountTime (8)").message == .accountUpdateTime(AccountUpdateTime(time: "14:34")))
        #expect(try Self.server("accountDownloadEnd (54)").message
            == .accountDownloadEnd(AccountDownloadEnd(account: "DU9000001")))
        var multi = AccountUpdateMulti()
        multi.requestID = 1001
        multi.account = "DU9000001"
        multi.key = "Currency"
        multi.value = "EUR"
        multi.currency = "EUR"
        #expect(try Self.server("accountUpdateMulti (73)").message == .accountUpdateMulti(multi))
        #expect(try Self.server("accountUpdateMultiEnd (74)").message
            == .accountUpdateMultiEnd(AccountUpdateMultiEnd(requestID: 1001)))
        #expect(try Self.server("completedOrdersEnd (102) bare").message == .completedOrdersEnd(CompletedOrdersEnd()))
    }

    /// The captured client requests decode, and encoding them gives the captured bytes.
    @Test func clientRequests() throws {
        let requests = try Self.captured().filter { $0.name.hasPrefix("TestCaptureEncode_") }
        let decoded = try requests.map { try ClientMessage.decode($0.payload, serverVersion: Self.serverVersion) }
        #expect(decoded == [
            .startAPI(StartAPI(clientID: 1)),
            .requestPositions(RequestPositions()),
            .requestAllOpenOrders(RequestAllOpenOrders()),
        ])
        for (capture, message) in zip(requests, decoded) {
            let request = try #require(message.message)
            #expect(Wire.bytes(Wire.payload(of: request, serverVersion: 200)) == Wire.bytes(capture.payload))
        }
    }
}
