import Foundation
import NIOCore
import Testing
import TWSProtocol

/// Historical bars: reqHistoricalData, reqHeadTimestamp and their cancels out; historicalData, historicalDataEnd,
/// historicalDataUpdate and headTimestamp in. Layouts at every version the codec speaks, the bytes ib_async writes,
/// a real IB Gateway 200 answer, and garbage.
@Suite("Historical bars")
struct HistoricalDataTests {
    static let aapl = Contract(
        conId: 265598, symbol: "AAPL", secType: "STK", exchange: "SMART", primaryExchange: "NASDAQ", currency: "USD")

    static let bars = [
        HistoricalBar(
            time: "20260402 09:30:00 US/Eastern", open: 254.2, high: 254.8, low: 250.65, close: 252.53,
            volume: 2_829_736, wap: 252.266, barCount: 13633),
        HistoricalBar(
            time: "1775136600", open: 252.52, high: 255.4, low: 251.19, close: 255.38, volume: 0.25, wap: -1,
            barCount: -1),
    ]

    /// Every version at which a layout here changes, and the ends of the supported range.
    static let versions = [ServerVersion.minimumSupported, 176, 178, ServerVersion.historicalDataEnd - 1,
                           ServerVersion.historicalDataEnd, ServerVersion.maximumSupported]

    /// Reads `payload` as `M`, checking the id and that the layout used every field: requests are not in
    /// `ClientMessage` until the simulator answers them, so they are read directly.
    static func read<M: TWSMessage>(_: M.Type, _ payload: ByteBuffer, serverVersion: Int) throws -> M {
        try payload.withFieldReader(serverVersion: serverVersion) { id, reader in
            #expect(id == M.id)
            let message = try M.read(from: &reader)
            #expect(reader.isAtEnd, "\(M.self) left fields unread at \(serverVersion)")
            return message
        }
    }

    static func roundTrip<M: TWSMessage>(_ message: M, serverVersion: Int) throws -> M {
        try read(M.self, Wire.payload(of: message, serverVersion: serverVersion), serverVersion: serverVersion)
    }

    static func server(_ pipes: String, _ serverVersion: Int) throws -> ServerMessage {
        try ServerMessage.decode(Wire.payload(pipes), serverVersion: serverVersion)
    }

    // MARK: Layouts and round trips

    @Test func historicalDataCarriesItsDatesOnlyBelow196() throws {
        let message = HistoricalData(
            requestID: 4001, startDate: "20260401 16:00:00 US/Eastern", endDate: "20260402 16:00:00 US/Eastern",
            bars: Self.bars)
        let bar1 = "20260402 09:30:00 US/Eastern|254.2|254.8|250.65|252.53|2829736.0|252.266|13633|"
        let bar2 = "1775136600|252.52|255.4|251.19|255.38|0.25|-1.0|-1|"
        #expect(Wire.pipes(Wire.payload(of: message, serverVersion: 195))
            == "17|4001|20260401 16:00:00 US/Eastern|20260402 16:00:00 US/Eastern|2|" + bar1 + bar2)
        #expect(Wire.pipes(Wire.payload(of: message, serverVersion: 196)) == "17|4001|2|" + bar1 + bar2)

        for version in Self.versions {
            var expected = message
            if version >= ServerVersion.historicalDataEnd {
                expected.startDate = ""
                expected.endDate = ""
            }
            #expect(try Self.roundTrip(message, serverVersion: version) == expected, "at \(version)")
            #expect(try ServerMessage.decode(Wire.payload(of: message, serverVersion: version), serverVersion: version)
                == .historicalData(expected))
        }
        // No bars is a count of zero, not a missing field.
        let empty = HistoricalData(requestID: 9, bars: [])
        #expect(Wire.pipes(Wire.payload(of: empty, serverVersion: 200)) == "17|9|0|")
        #expect(try Self.roundTrip(empty, serverVersion: 200) == empty)
    }

    @Test func emptyVolumeAndWAPReadAsUnknown() throws {
        guard case let .historicalData(data) = try Self.server("17|7|1|20260402|10.0|11.0|9.0|10.5|||3|", 200) else {
            Issue.record("not historicalData")
            return
        }
        #expect(data.bars == [HistoricalBar(
            time: "20260402", open: 10, high: 11, low: 9, close: 10.5, volume: nil, wap: nil, barCount: 3)])
    }

    @Test func historicalDataEndUpdateAndHeadTimestamp() throws {
        let end = HistoricalDataEnd(
            requestID: 4001, startDate: "20260401 16:00:00 US/Eastern", endDate: "20260402 16:00:00 US/Eastern")
        #expect(Wire.pipes(Wire.payload(of: end, serverVersion: 200))
            == "108|4001|20260401 16:00:00 US/Eastern|20260402 16:00:00 US/Eastern|")

        let update = HistoricalDataUpdate(requestID: 4001, bar: Self.bars[0])
        // barCount first, then open, close, high, low, and WAP before volume: the order TWS writes this message in.
        #expect(Wire.pipes(Wire.payload(of: update, serverVersion: 176))
            == "90|4001|13633|20260402 09:30:00 US/Eastern|254.2|252.53|254.8|250.65|252.266|2829736.0|")

        let head = HeadTimestamp(requestID: 4004, timestamp: "1104503400")
        #expect(Wire.pipes(Wire.payload(of: head, serverVersion: 176)) == "88|4004|1104503400|")

        for version in Self.versions {
            #expect(try Self.roundTrip(end, serverVersion: version) == end)
            #expect(try Self.roundTrip(update, serverVersion: version) == update)
            #expect(try Self.roundTrip(head, serverVersion: version) == head)
            #expect(try ServerMessage.decode(Wire.payload(of: end, serverVersion: version), serverVersion: version)
                == .historicalDataEnd(end))
            #expect(try ServerMessage.decode(Wire.payload(of: update, serverVersion: version), serverVersion: version)
                == .historicalDataUpdate(update))
            #expect(try ServerMessage.decode(Wire.payload(of: head, serverVersion: version), serverVersion: version)
                == .headTimestamp(head))
        }
    }

    @Test func requestLayouts() throws {
        var request = RequestHistoricalData(
            requestID: 4001, contract: Self.aapl, duration: "1 D", barSize: "5 mins", whatToShow: "TRADES",
            keepUpToDate: true)
        request.chartOptions = "XYZ=1;"
        #expect(Wire.pipes(Wire.payload(of: request, serverVersion: 176))
            == "20|4001|265598|AAPL|STK||0.0|||SMART|NASDAQ|USD|||0||5 mins|1 D|1|TRADES|1|1|XYZ=1;|")

        var spread = Contract(symbol: "SPY", secType: "BAG", exchange: "SMART", currency: "USD")
        var leg = ComboLeg()
        leg.conId = 756733
        leg.ratio = 2
        leg.action = "SELL"
        leg.exchange = "SMART"
        spread.comboLegs = [leg]
        var combo = RequestHistoricalData(
            requestID: 4003, contract: spread, endDateTime: "20260402 16:00:00 US/Eastern", duration: "2 W",
            barSize: "1 hour", whatToShow: "BID_ASK", useRTH: false, formatDate: 2)
        combo.includeExpired = true
        #expect(Wire.pipes(Wire.payload(of: combo, serverVersion: 176)) == "20|4003|0|SPY|BAG||0.0|||SMART||USD|||1|"
            + "20260402 16:00:00 US/Eastern|1 hour|2 W|0|BID_ASK|2|1|756733|2|SELL|SMART|0||")

        let head = RequestHeadTimestamp(requestID: 4004, contract: Self.aapl, whatToShow: "TRADES", formatDate: 2)
        #expect(Wire.pipes(Wire.payload(of: head, serverVersion: 176))
            == "87|4004|265598|AAPL|STK||0.0|||SMART|NASDAQ|USD|||0|1|TRADES|2|")
        #expect(Wire.pipes(Wire.payload(of: CancelHistoricalData(requestID: 4001), serverVersion: 176)) == "25|1|4001|")
        #expect(Wire.pipes(Wire.payload(of: CancelHeadTimestamp(requestID: 4004), serverVersion: 176)) == "90|4004|")

        for version in Self.versions {
            #expect(try Self.roundTrip(request, serverVersion: version) == request)
            #expect(try Self.roundTrip(combo, serverVersion: version) == combo)
            #expect(try Self.roundTrip(head, serverVersion: version) == head)
            #expect(try Self.roundTrip(CancelHistoricalData(requestID: 4001), serverVersion: version).requestID == 4001)
            #expect(try Self.roundTrip(CancelHeadTimestamp(requestID: 4004), serverVersion: version).requestID == 4004)
        }
    }

    // MARK: What others write

    /// The frames ib_async 2.1.0's own `Client` wrote (Tests/e2e/ib_async_historical_requests.py).
    static func ibAsyncFrames() throws -> [String: ByteBuffer] {
        guard let object = try Fixtures.json("ib_async-historical-requests.json") as? [String: Any],
              let frames = object["frames"] as? [String: String]
        else { throw FixtureError("expected an object with frames") }
        return try frames.mapValues { base64 in
            guard let data = Data(base64Encoded: base64) else { throw FixtureError("bad base64 \(base64)") }
            let (payloads, leftover) = try Wire.frames(in: Array(data))
            guard payloads.count == 1, leftover == 0 else { throw FixtureError("expected one whole frame") }
            return payloads[0]
        }
    }

    @Test func requestsAsIbAsyncWritesThem() throws {
        let frames = try Self.ibAsyncFrames()
        #expect(frames.count == 6)
        let version = 176

        /// Decodes the named frame and checks that this codec writes the very same bytes back.
        func decode<M: TWSMessage>(_ name: String, as type: M.Type) throws -> M {
            let payload = try #require(frames[name], "no frame \(name)")
            let message = try Self.read(M.self, payload, serverVersion: version)
            #expect(Wire.bytes(Wire.payload(of: message, serverVersion: version)) == Wire.bytes(payload), "\(name)")
            return message
        }

        var live = RequestHistoricalData(
            requestID: 4001, contract: Self.aapl, duration: "1 D", barSize: "5 mins", whatToShow: "TRADES",
            keepUpToDate: true)
        live.chartOptions = "XYZ=1;"
        #expect(try decode("reqHistoricalData", as: RequestHistoricalData.self) == live)

        let epoch = RequestHistoricalData(
            requestID: 4002, contract: Self.aapl, endDateTime: "20260402 16:00:00 US/Eastern", duration: "2 W",
            barSize: "1 hour", whatToShow: "MIDPOINT", useRTH: false, formatDate: 2)
        #expect(try decode("reqHistoricalData-endDate-epoch", as: RequestHistoricalData.self) == epoch)

        let combo = try decode("reqHistoricalData-BAG", as: RequestHistoricalData.self)
        #expect(combo.contract.secType == "BAG")
        #expect(combo.contract.comboLegs.map(\.conId) == [756733, 756734])
        #expect(combo.contract.comboLegs.map(\.ratio) == [1, 2])
        #expect(combo.contract.comboLegs.map(\.action) == ["BUY", "SELL"])
        #expect(combo.whatToShow == "BID_ASK")
        #expect(combo.barSize == "1 min")
        #expect(combo.chartOptions == "")

        #expect(try decode("cancelHistoricalData", as: CancelHistoricalData.self).requestID == 4001)
        #expect(try decode("reqHeadTimeStamp", as: RequestHeadTimestamp.self)
            == RequestHeadTimestamp(requestID: 4004, contract: Self.aapl, whatToShow: "TRADES", formatDate: 2))
        #expect(try decode("cancelHeadTimeStamp", as: CancelHeadTimestamp.self).requestID == 4004)
    }

    /// IB Gateway 200's answer to a 1-day, 1-hour TRADES request for AAPL, as ibkr-go captured it: no dates
    /// before the bars, which are TWS's own decimal text.
    @Test func ibGateway200Bars() throws {
        let (payload, message) = try RecordedIbkrGoTests.server("TestCaptureDecode_HistoricalData")
        guard case let .historicalData(data) = message else { Issue.record("not historicalData: \(message)"); return }
        #expect(data.requestID == 1001)
        #expect(data.startDate == "" && data.endDate == "")
        #expect(data.bars.count == 7)
        #expect(data.bars.first == HistoricalBar(
            time: "20260402 09:30:00 US/Eastern", open: 254.2, high: 254.8, low: 250.65, close: 252.53,
            volume: 2_829_736, wap: 252.266, barCount: 13633))
        #expect(data.bars.last?.time == "20260402 15:00:00 US/Eastern")
        #expect(data.bars.last?.close == 255.89)
        #expect(data.bars.last?.barCount == 17376)
        // Read with the pre-196 layout, the bar count lands on the first price: refused where, not misread.
        #expect(throws: TWSProtocolError.malformedField(messageID: 17, fieldIndex: 4, text: "254.20")) {
            try ServerMessage.decode(payload, serverVersion: 176)
        }
    }

    // MARK: Garbage

    @Test func garbageIsAProtocolErrorThatSaysWhere() throws {
        let bar = "20260402|10.0|11.0|9.0|10.5|100|10.2|3|"
        #expect(throws: TWSProtocolError.malformedField(messageID: 17, fieldIndex: 2, text: "two")) {
            try Self.server("17|7|two|" + bar, 200)
        }
        #expect(throws: TWSProtocolError.malformedField(messageID: 17, fieldIndex: 4, text: "ten")) {
            try Self.server("17|7|1|20260402|ten|11.0|9.0|10.5|100|10.2|3|", 200)
        }
        #expect(throws: TWSProtocolError.malformedField(messageID: 17, fieldIndex: 8, text: "1,000")) {
            try Self.server("17|7|1|20260402|10.0|11.0|9.0|10.5|1,000|10.2|3|", 200)
        }
        #expect(throws: TWSProtocolError.malformedField(messageID: 17, fieldIndex: 10, text: "3.5")) {
            try Self.server("17|7|1|20260402|10.0|11.0|9.0|10.5|100|10.2|3.5|", 200)
        }
        // Below 196 the dates come first, so the same fields sit two places later.
        #expect(throws: TWSProtocolError.malformedField(messageID: 17, fieldIndex: 4, text: "two")) {
            try Self.server("17|7|20260401|20260402|two|" + bar, 176)
        }
        #expect(throws: TWSProtocolError.implausibleCount(messageID: 17, count: 1_000_000)) {
            try Self.server("17|7|1000000|" + bar, 200)
        }
        #expect(throws: TWSProtocolError.implausibleCount(messageID: 17, count: -1)) { try Self.server("17|7|-1|", 200) }
        // Two bars announced, one sent.
        #expect(throws: TWSProtocolError.truncated(messageID: 17, fieldIndex: 12)) {
            try Self.server("17|7|2|" + bar + "x|", 200)
        }
        #expect(throws: TWSProtocolError.malformedField(messageID: 90, fieldIndex: 2, text: "many")) {
            try Self.server("90|7|many|20260402|10.0|10.5|11.0|9.0|10.2|100|", 176)
        }
        #expect(throws: TWSProtocolError.truncated(messageID: 90, fieldIndex: 9)) {
            try Self.server("90|7|3|20260402|10.0|10.5|11.0|9.0|10.2|", 176)
        }
        #expect(throws: TWSProtocolError.truncated(messageID: 108, fieldIndex: 3)) { try Self.server("108|7|20260401|", 200) }
        #expect(throws: TWSProtocolError.truncated(messageID: 88, fieldIndex: 2)) { try Self.server("88|7|", 176) }

        func request(_ pipes: String) throws -> RequestHistoricalData {
            try Self.read(RequestHistoricalData.self, Wire.payload(pipes), serverVersion: 176)
        }
        let head = "20|4001|265598|AAPL|STK||0.0|||SMART|NASDAQ|USD|||0||5 mins|1 D|"
        #expect(try request(head + "1|TRADES|1|1||").keepUpToDate)
        #expect(throws: TWSProtocolError.malformedField(messageID: 20, fieldIndex: 1, text: "x")) {
            try request("20|x|")
        }
        #expect(throws: TWSProtocolError.malformedField(messageID: 20, fieldIndex: 18, text: "yes")) {
            try request(head + "yes|TRADES|1|1||")
        }
        #expect(throws: TWSProtocolError.malformedField(messageID: 20, fieldIndex: 20, text: "epoch")) {
            try request(head + "1|TRADES|epoch|1||")
        }
        #expect(throws: TWSProtocolError.truncated(messageID: 20, fieldIndex: 21)) { try request(head + "1|TRADES|1|") }
        #expect(throws: TWSProtocolError.implausibleCount(messageID: 20, count: 1_000_000_000)) {
            try request("20|4003|0|SPY|BAG||0.0|||SMART||USD|||0||1 min|1 D|1|BID_ASK|1|1000000000|1|1|BUY|SMART|0||")
        }
        #expect(throws: TWSProtocolError.malformedField(messageID: 87, fieldIndex: 15, text: "RTH")) {
            try Self.read(RequestHeadTimestamp.self,
                          Wire.payload("87|4004|265598|AAPL|STK||0.0|||SMART|NASDAQ|USD|||0|RTH|TRADES|2|"),
                          serverVersion: 176)
        }
    }
}
