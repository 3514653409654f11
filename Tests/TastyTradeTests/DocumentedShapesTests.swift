import Foundation
import TastyTrade
import Testing

/// The hand-written answers in `Tests/Fixtures/tastytrade` (shapes from TastyTrade's documentation and SDKs and
/// dxLink's specification; see its ORIGIN.md and docs/tastytrade-notes.md), read with the vocabulary's own readers.
enum DocumentedAnswers {
    static let directory: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // Tests/TastyTradeTests
        .deletingLastPathComponent()  // Tests
        .appendingPathComponent("Fixtures/tastytrade", isDirectory: true)
        .standardizedFileURL

    static func bytes(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: directory.appendingPathComponent(name)))
    }
}

@Suite("TastyTrade's documented shapes: REST answers")
struct DocumentedRESTShapesTests {
    @Test func oauthTokenIsPlainOAuthJSON() throws {
        let token = try OAuthToken(json: try DocumentedAnswers.bytes("oauth_token.json"))
        #expect(token.accessToken == "eyJhbGciOiJFUzI1NiJ9.demo-access.signature")
        #expect(token.expiresIn == 900)
        #expect(token.tokenType == "Bearer")
        #expect(token.idToken != nil)
        #expect(token.authorization == "Bearer eyJhbGciOiJFUzI1NiJ9.demo-access.signature")
    }

    @Test func oauthTokenWithoutTokenTypeIsBearer() throws {
        // The SDKs read only access_token and expires_in; the docs read show no token answer.
        let token = try OAuthToken(json: try DocumentedAnswers.bytes("oauth_token_minimal.json"))
        #expect(token.expiresIn == 900)
        #expect(token.authorization.hasPrefix("Bearer "))
        #expect(token.idToken == nil)
    }

    @Test func accountsAreNestedWithTheirAuthority() throws {
        let accounts = try TastyAccount.list(json: try DocumentedAnswers.bytes("customers_me_accounts.json"))
        #expect(accounts.map(\.accountNumber) == ["5WT00001", "5WT00002", "5WT00003"])
        #expect(accounts.map(\.authorityLevel) == ["owner", "trade-only", "read-only"])
        #expect(accounts.map(\.marginOrCash) == ["Margin", "Cash", "Margin"])
        #expect(accounts.map(\.isClosed) == [false, false, true])
        #expect(accounts[1].accountTypeName == "Roth IRA")
        #expect(accounts[0].nickname == "Individual Margin")
    }

    @Test func positionsWithMarks() throws {
        let list = try TastyPosition.list(json: try DocumentedAnswers.bytes("positions.json"))
        #expect(list.skipped.isEmpty)
        let bySymbol = Dictionary(uniqueKeysWithValues: list.positions.map { ($0.symbol, $0) })
        #expect(list.positions.count == 6)

        let aapl = try #require(bySymbol["AAPL"])
        #expect(aapl.accountNumber == "5WT00001")
        #expect(aapl.instrumentType == .equity)
        #expect(aapl.quantity == 100 && aapl.quantityDirection == "Long")
        #expect(aapl.averageOpenPrice == 288.7 && aapl.closePrice == 282.48)
        #expect(aapl.mark == 284.115)
        #expect(aapl.multiplier == 1)
        // "None" is the third effect: zero stays zero, nothing is negated.
        #expect(aapl.realizedDayGain == 0)

        // The documented Long AAPL carries cost-effect Credit, so the sign comes from quantity-direction alone.
        let tsla = try #require(bySymbol["TSLA"])
        #expect(tsla.quantity == -10 && tsla.quantityDirection == "Short")
        #expect(tsla.costEffect == "Debit")
        #expect(tsla.realizedDayGain == -37.5)
        #expect(tsla.mark == 246.02)

        let call = try #require(bySymbol["SPY   230731C00393000"])
        #expect(call.instrumentType == .equityOption && call.underlyingSymbol == "SPY")
        #expect(call.quantity == 2 && call.multiplier == 100)
        #expect(call.expiresAt == "2023-07-31T20:15:00.000+00:00")
        #expect(call.mark == 5.1)

        let put = try #require(bySymbol["SPY   240324P00480500"])
        #expect(put.quantity == -1 && put.multiplier == 100 && put.costEffect == "Credit")

        let future = try #require(bySymbol["/ESZ6"])
        #expect(future.instrumentType == .future && future.multiplier == 50 && future.underlyingSymbol == "/ES")
        #expect(future.expiresAt == "2026-12-18T14:30:00.000+00:00")

        let coin = try #require(bySymbol["BTC/USD"])
        #expect(coin.instrumentType == .cryptocurrency && coin.quantity == 0.25 && coin.multiplier == 1)
        #expect(coin.averageOpenPrice == 58210.4 && coin.mark == 59250)
    }

    @Test func positionsOutsideTheFiveTypesAndBareNumbersAreKept() throws {
        let list = try TastyPosition.list(json: try DocumentedAnswers.bytes("positions_odd.json"))
        #expect(list.positions.map(\.symbol) == ["912797KX4", "IBM", "KO"])

        let bill = list.positions[0]
        #expect(bill.instrumentType == nil)
        #expect(bill.instrumentTypeText == "Fixed Income Security")
        #expect(bill.multiplier == 0.01 && bill.quantity == 5000)

        let ibm = list.positions[1]
        #expect(ibm.quantity == 15 && ibm.closePrice == 229.4 && ibm.averageOpenPrice == 201.05)
        #expect(ibm.streamerSymbol == "IBM")

        let closed = list.positions[2]
        #expect(closed.quantity == 0 && closed.quantityDirection == "Zero")
        #expect(closed.realizedDayGain == 112.6)

        // The unreadable item is reported with where and why, not dropped silently.
        #expect(list.skipped.count == 1)
        let why = try #require(list.skipped.first)
        #expect(why.contains("data.items[3]") && why.contains("MSFT") && why.contains("quantity"))
    }

    @Test func balancesAreOneObjectOfStrings() throws {
        let balance = try TastyBalance(json: try DocumentedAnswers.bytes("balances.json"))
        #expect(balance.accountNumber == "5WT00001")
        #expect(balance.currency == "USD")
        #expect(balance.cashBalance == 7218.997)
        #expect(balance.netLiquidatingValue == 32520.734)
        #expect(balance.marginEquity == 32520.734)
        #expect(balance.equityBuyingPower == 45657.048)
        #expect(balance.derivativeBuyingPower == 22828.524)
        #expect(balance.dayTradingBuyingPower == 0)
        #expect(balance.maintenanceRequirement == 9692.211)
        #expect(balance.longEquityValue == 24629.746 && balance.shortEquityValue == 2460.2)
        #expect(balance.longDerivativeValue == 1020 && balance.shortDerivativeValue == 179)
        // pending-cash-effect Debit: money on its way out.
        #expect(balance.pendingCash == -500)
        #expect(balance.updatedAt == "2026-12-04T21:49:54.095+00:00")
    }

    @Test func errorsInEveryDocumentedAndToleratedForm() throws {
        let login = try #require(TastyAPIError(json: try DocumentedAnswers.bytes("error_invalid_credentials.json"), status: 401))
        #expect(login.status == 401 && login.code == "invalid_credentials" && login.message == "Login failed.")

        let validation = try #require(TastyAPIError(json: try DocumentedAnswers.bytes("error_unprocessable.json"), status: 422))
        #expect(validation.code == "validation_error")
        #expect(validation.details == ["invalid_symbol: Symbol is not valid", "quantity: must be greater than 0"])

        let grant = try #require(TastyAPIError(json: try DocumentedAnswers.bytes("error_oauth_string_form.json"), status: 400))
        #expect(grant.code == "invalid_grant" && grant.message == "Grant revoked or invalid")

        let version = try #require(TastyAPIError(json: try DocumentedAnswers.bytes("error_numeric_code.json"), status: 406))
        #expect(version.code == "406" && version.message == "The requested version is not supported.")

        // A 401 without a User-Agent comes as nginx HTML: no error object, the caller reports the status.
        #expect(TastyAPIError(json: try DocumentedAnswers.bytes("no_user_agent_401.html"), status: 401) == nil)
    }

    @Test func quoteToken() throws {
        let token = try DXLinkToken(json: try DocumentedAnswers.bytes("api_quote_tokens.json"))
        #expect(token.url == "wss://tasty-openapi-ws.dxfeed.com/realtime")
        #expect(token.level == "api" && !token.isDelayed)
        #expect(token.token == "dGFzdHktZG9jcy1leGFtcGxlLXF1b3RlLXRva2Vu")
    }

    @Test func sandboxQuoteTokenLevelIsDelayed() throws {
        // The sandbox's level is "demo" and its quotes are 15 minutes delayed; no level spelled "delayed" is documented.
        let token = try DXLinkToken(json: try DocumentedAnswers.bytes("api_quote_tokens_demo.json"))
        #expect(token.level == "demo")
        #expect(token.isDelayed)
    }
}

@Suite("TastyTrade's documented shapes: account streamer")
struct DocumentedStreamerShapesTests {
    @Test func connectRequestReadsAndWritesTheDocumentedKeys() throws {
        // The SDKs add a `source` member; the reader ignores what it does not need.
        let request = try AccountStreamerRequest(json: try DocumentedAnswers.bytes("streamer_connect_request.json"))
        #expect(request.action == "connect")
        #expect(request.value == ["5WT00001", "5WT00002"])
        #expect(request.authToken == "Bearer eyJhbGciOiJFUzI1NiJ9.demo-access.signature")
        #expect(request.requestID == 2)

        let written = AccountStreamerRequest.connect(
            accounts: ["5WT00001", "5WT00002"], authToken: "Bearer eyJhbGciOiJFUzI1NiJ9.demo-access.signature", requestID: 2)
        var documented = try #require(
            try JSONSerialization.jsonObject(with: Data(try DocumentedAnswers.bytes("streamer_connect_request.json"))) as? NSDictionary)
            .mutableCopy() as! NSMutableDictionary
        documented.removeObject(forKey: "source")
        let ours = try #require(try JSONSerialization.jsonObject(with: Data(written.json.utf8)) as? NSDictionary)
        #expect(ours == documented)
    }

    @Test func oneAccountAsAPlainString() throws {
        let request = try AccountStreamerRequest(json: try DocumentedAnswers.bytes("streamer_connect_request_one_account.json"))
        #expect(request.action == "connect" && request.value == ["5WT00001"] && request.requestID == 1)
    }

    @Test func acknowledgementsAndRefusal() throws {
        #expect(try AccountStreamerMessage.decode(try DocumentedAnswers.bytes("streamer_connect_ack.json"))
            == [.ack(action: "connect", requestID: 2, sessionID: "a3f09c5e")])
        #expect(try AccountStreamerMessage.decode(try DocumentedAnswers.bytes("streamer_heartbeat_ack.json"))
            == [.ack(action: "heartbeat", requestID: 3, sessionID: "a3f09c5e")])
        #expect(try AccountStreamerMessage.decode(try DocumentedAnswers.bytes("streamer_refusal.json"))
            == [.refused(action: "heartbeat", message: "connect-not-completed")])
    }

    @Test func positionNotificationCarriesTheRESTObject() throws {
        let messages = try AccountStreamerMessage.decode(try DocumentedAnswers.bytes("streamer_current_position.json"))
        guard messages.count == 1, case let .notification(type, data, timestamp) = messages[0] else {
            Issue.record("expected one notification, got \(messages)")
            return
        }
        #expect(type == "CurrentPosition")
        #expect(timestamp == 1_796_482_931_418)
        let position = try TastyPosition(object: data)
        #expect(position.accountNumber == "5WT00001" && position.symbol == "AAPL")
        #expect(position.quantity == 150 && position.averageOpenPrice == 287.1)
    }

    @Test func resultsBatchGivesOneMessageEach() throws {
        let messages = try AccountStreamerMessage.decode(try DocumentedAnswers.bytes("streamer_results_batch.json"))
        var types: [String] = []
        var position: TastyPosition?
        var balance: TastyBalance?
        for message in messages {
            guard case let .notification(type, data, _) = message else {
                Issue.record("expected notifications only, got \(message)")
                continue
            }
            types.append(type)
            if type == "CurrentPosition" { position = try TastyPosition(object: data) }
            if type == "AccountBalance" { balance = try TastyBalance(object: data) }
        }
        #expect(types == ["Order", "CurrentPosition", "AccountBalance"])
        // The fill closed the short: the position comes back Zero, not missing.
        #expect(position?.symbol == "TSLA" && position?.quantity == 0 && position?.quantityDirection == "Zero")
        #expect(position?.realizedDayGain == 41.2)
        #expect(balance?.netLiquidatingValue == 32561.934 && balance?.cashBalance == 4757.797)
    }
}

@Suite("TastyTrade's documented shapes: DXLink")
struct DocumentedDXLinkShapesTests {
    static func message(_ name: String) throws -> DXLinkMessage {
        try DXLinkMessage.decode(try DocumentedAnswers.bytes(name))
    }

    @Test func sessionMessages() throws {
        #expect(try Self.message("dxlink_setup_server.json")
            == .setup(version: "1.0.2-dxlink-server", keepaliveTimeout: 60, acceptKeepaliveTimeout: 60))
        guard case .authState("UNAUTHORIZED", _) = try Self.message("dxlink_auth_state_unauthorized.json") else {
            Issue.record("AUTH_STATE UNAUTHORIZED not read")
            return
        }
        guard case .authState("AUTHORIZED", _) = try Self.message("dxlink_auth_state_authorized.json") else {
            Issue.record("AUTH_STATE AUTHORIZED not read")
            return
        }
        #expect(try Self.message("dxlink_channel_opened.json")
            == .channelOpened(channel: 3, service: "FEED", parameters: ["contract": "AUTO"]))
        #expect(try Self.message("dxlink_channel_closed.json") == .channelClosed(channel: 3))
        #expect(try Self.message("dxlink_keepalive.json") == .keepalive(channel: 0))
        #expect(try Self.message("dxlink_error_unauthorized.json")
            == .error(channel: 0, error: "UNAUTHORIZED", message: "The token is not valid."))
    }

    @Test func feedConfigMayComeWithoutFields() throws {
        guard case let .feedConfig(channel, format, period, fields) = try Self.message("dxlink_feed_config_lazy.json") else {
            Issue.record("FEED_CONFIG without eventFields not read")
            return
        }
        #expect(channel == 3 && format == "COMPACT" && period == 0.1 && fields.isEmpty)
    }

    @Test func compactDataReadInTheConfigsFieldOrder() throws {
        guard case let .feedConfig(_, format, _, fields) = try Self.message("dxlink_feed_config.json") else {
            Issue.record("FEED_CONFIG not read")
            return
        }
        #expect(format == "COMPACT")
        #expect(fields["Quote"] == ["eventSymbol", "eventType", "askPrice", "bidPrice", "askSize", "bidSize"])
        guard case let .feedData(channel, data) = try Self.message("dxlink_feed_data.json") else {
            Issue.record("FEED_DATA not read")
            return
        }
        #expect(channel == 3)
        let events = try DXLinkEvent.decode(data: data, eventFields: fields)
        #expect(events.map { "\($0.type) \($0.symbol)" } == [
            "Quote SPY", "Quote .SPY230731C393", "Trade SPY", "Trade BTC/USD:CXTALP", "Summary SPY", "Summary /ESZ26:XCME",
        ])
        // Ask before bid in this config: a reader using its own request's order would swap them.
        #expect(events[0]["bidPrice"] == 593.17 && events[0]["askPrice"] == 593.19)
        #expect(events[0]["bidSize"] == 200 && events[0]["askSize"] == 300)
        // "NaN" is a field present without a value, not a zero and not a missing field.
        #expect(events[1]["askSize"] == 12)
        #expect(events[1].values.keys.contains("bidSize") && events[1]["bidSize"] == nil)
        #expect(events[2]["price"] == 593.18 && events[2]["dayVolume"] == 41_234_567 && events[2]["size"] == 100)
        #expect(events[3]["price"] == 59250 && events[3]["dayVolume"] == nil && events[3]["size"] == nil)
        #expect(events[4]["prevDayClosePrice"] == 591.02 && events[4]["dayClosePrice"] == nil && events[4]["openInterest"] == 0)
        // "Infinity" and "-Infinity" are no value either.
        #expect(events[5].values.keys.contains("dayClosePrice") && events[5]["dayClosePrice"] == nil)
        #expect(events[5].values.keys.contains("openInterest") && events[5]["openInterest"] == nil)
        #expect(events[5]["prevDayClosePrice"] == 6071.5)
    }

    @Test func compactDataWithoutItsTypesFieldsIsRefused() throws {
        guard case let .feedData(_, data) = try Self.message("dxlink_feed_data.json") else {
            Issue.record("FEED_DATA not read")
            return
        }
        #expect(throws: TastyTradeFormatError.self) { try DXLinkEvent.decode(data: data, eventFields: [:]) }
    }
}

@Suite("TastyTrade's documented shapes: symbols")
struct DocumentedSymbolShapesTests {
    /// The positions' order symbols against the streamer symbols the documentation, the SDKs and dxFeed give.
    @Test func positionsMapToTickhubAndToTheirStreamerSymbols() throws {
        let list = try TastyPosition.list(json: try DocumentedAnswers.bytes("positions.json"))
        var streamer: [String: String] = [:]
        var unmapped: [String: String] = [:]
        for position in list.positions {
            switch TastySymbol.instrument(orderSymbol: position.symbol, type: position.instrumentType) {
            case let .success(instrument):
                let symbol = try #require(TastySymbol.streamerSymbol(instrument), "\(position.symbol) has no streamer symbol")
                streamer[position.symbol] = symbol
                #expect(TastySymbol.tickhubSymbol(streamerSymbol: symbol) == instrument.symbol)
            case let .failure(reason):
                unmapped[position.symbol] = reason.reason
            }
        }
        #expect(streamer == [
            "AAPL": "AAPL", "TSLA": "TSLA",
            "SPY   230731C00393000": ".SPY230731C393",
            "SPY   240324P00480500": ".SPY240324P480.5",
            "BTC/USD": "BTC/USD:CXTALP",
        ])
        // Futures are kept and shown unvalued with the reason.
        #expect(Array(unmapped.keys) == ["/ESZ6"])
        #expect(unmapped["/ESZ6"]?.isEmpty == false)
    }

    @Test func streamerSymbolsTickhubHasNoSymbolFor() {
        #expect(TastySymbol.tickhubSymbol(streamerSymbol: "/ESZ26:XCME") == nil)
        #expect(TastySymbol.tickhubSymbol(streamerSymbol: "./EW4Q24C5750:XCME") == nil)
    }
}
