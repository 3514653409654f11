import Foundation
import NIOCore
import Testing
import TickhubCore
import TWSProtocol

/// ib_insync against a real TWS at server version 176 (paper account DU5509097), recorded by a proxy:
/// request key → the base64 TCP chunks the server sent afterwards. Chunks split frames anywhere.
@Suite("Recorded session: ib_insync ↔ TWS 176")
struct RecordedIbInsyncTests {
    static let serverVersion = 176

    /// Request key → the server's bytes after it, chunks joined.
    static func serverStreams() throws -> [String: [UInt8]] {
        guard let object = try Fixtures.json("EncertAI-ib_insync_request_response.json") as? [String: [String]] else {
            throw FixtureError("expected an object of base64 chunk lists")
        }
        return try object.mapValues { chunks in
            try chunks.flatMap { chunk -> [UInt8] in
                guard let data = Data(base64Encoded: chunk) else { throw FixtureError("bad base64 \(chunk)") }
                return Array(data)
            }
        }
    }

    /// Request key → every decoded server message after it (the "API_" hello excluded).
    static func decodedMessages() throws -> [String: [ServerMessage]] {
        var out: [String: [ServerMessage]] = [:]
        for (key, bytes) in try serverStreams() where key != "API_" {
            let (frames, leftover) = try Wire.frames(in: bytes)
            guard leftover == 0 else { throw FixtureError("\(key) ends inside a frame") }
            out[key] = try frames.map { try ServerMessage.decode($0, serverVersion: serverVersion) }
        }
        return out
    }

    @Test func theFixtureHoldsEveryRequestKey() throws {
        let keys = try Self.serverStreams().keys.sorted()
        #expect(keys == ["3_219", "3_220", "5_1", "61_1", "62_1", "6_2", "71_2", "76_1", "7_3", "99_0", "API_"])
    }

    @Test func serverHelloIsTheOnlyFrameAfterTheClientHello() throws {
        let bytes = try #require(try Self.serverStreams()["API_"])
        #expect(bytes.count == 30)
        let (frames, leftover) = try Wire.frames(in: bytes)
        #expect(leftover == 0)
        try #require(frames.count == 1)
        #expect(TWSFraming.fieldCount(of: frames[0]) == 2)
        let hello = try #require(ServerHello(frame: frames[0]))
        #expect(hello.serverVersion == 176)
        #expect(hello.connectionTime == "20231021 13:28:15 EST")
        #expect(hello == ServerHello(serverVersion: 176, connectionTime: "20231021 13:28:15 EST"))
    }

    @Test func everyFrameDecodesAndTheKindsAddUp() throws {
        let messages = try Self.decodedMessages()
        var counts: [String: Int] = [:]
        for message in messages.values.joined() { counts[message.kind, default: 0] += 1 }
        #expect(counts == [
            "managedAccounts": 1, "nextValidID": 1, "error": 7,
            "positionEnd": 1, "openOrderEnd": 1, "completedOrdersEnd": 1,
            "accountValue": 153, "accountUpdateTime": 9, "accountDownloadEnd": 1,
            "accountUpdateMulti": 236, "accountUpdateMultiEnd": 2,
            "executionDetailsEnd": 1, "accountSummary": 80, "accountSummaryEnd": 1,
            "unknown(5)": 2,  // openOrder, which this codec does not model
        ])
        #expect(messages.values.map(\.count).reduce(0, +) == 497)
    }

    @Test func startApiIsAnsweredByAccountsIdAndFarmNotices() throws {
        let messages = try #require(try Self.decodedMessages()["71_2"])
        let farm = { (code: Int, text: String) in ServerMessage.error(ErrorMessage(requestID: -1, code: code, message: text)) }
        #expect(messages == [
            .managedAccounts(ManagedAccounts(accounts: ["DU5509097"])),
            .nextValidID(NextValidID(orderID: 217)),
            farm(2104, "Market data farm connection is OK:usfarm.nj"),
            farm(2104, "Market data farm connection is OK:usfarm"),
            farm(2106, "HMDS data farm connection is OK:euhmds"),
            farm(2106, "HMDS data farm connection is OK:fundfarm"),
            farm(2106, "HMDS data farm connection is OK:ushmds"),
            farm(2158, "Sec-def data farm connection is OK:secdefil"),
        ])
        guard case let .managedAccounts(accounts) = messages[0] else { Issue.record("not managedAccounts"); return }
        #expect(accounts.accounts == ["DU5509097"])
        #expect(accounts.accountsList == "DU5509097")
        for case let .error(notice) in messages {
            #expect(notice.requestID == -1)
            #expect(notice.errorTime == nil)  // below server version 194
            #expect(notice.advancedOrderRejectJSON == "")
        }
    }

    @Test func accountUpdatesCarryTheAccountsValues() throws {
        let messages = try #require(try Self.decodedMessages()["6_2"])
        let values = messages.compactMap { if case let .accountValue(v) = $0 { v } else { nil } }
        #expect(values.count == 153)
        #expect(values.first == AccountValue(key: "AccountCode", value: "DU5509097", currency: "", account: "DU5509097"))
        #expect(values.allSatisfy { $0.account == "DU5509097" })

        func value(_ key: String, _ currency: String) -> String? {
            values.first { $0.key == key && $0.currency == currency }?.value
        }
        #expect(value("NetLiquidation", "GBP") == "1040992.61")
        #expect(value("NetLiquidation", "GBP").flatMap(Double.init) == 1_040_992.61)
        #expect(value("BuyingPower", "GBP") == "4153889.44")
        #expect(value("AccruedCash", "BASE") == "2520.25")
        #expect(value("CashBalance", "BASE") == "1038472.36")
        #expect(value("AccountType", "") == "PARTNERSHIP")
        #expect(value("DayTradingStatus-S", "") == "::false:1263197.81:")
        #expect(value("SegmentTitle-C", "") == "UK Commodities")
        #expect(value("Currency", "BASE") == "BASE")

        #expect(Array(messages.suffix(2)) == [
            .accountUpdateTime(AccountUpdateTime(time: "13:26")),
            .accountDownloadEnd(AccountDownloadEnd(account: "DU5509097")),
        ])
    }

    @Test func accountUpdatesMultiCarryTheRequestId() throws {
        let messages = try #require(try Self.decodedMessages()["76_1"])
        let rows = messages.compactMap { if case let .accountUpdateMulti(v) = $0 { v } else { nil } }
        #expect(rows.count == 156)
        #expect(rows.allSatisfy { $0.requestID == 217 && $0.account == "DU5509097" && $0.modelCode == "" })
        let first = try #require(rows.first)
        #expect(first.key == "AccountCode")
        #expect(first.value == "DU5509097")
        #expect(first.currency == "")
        let accrued = try #require(rows.first { $0.key == "AccruedCash" && $0.currency == "GBP" })
        #expect(Double(accrued.value) == 2520.25)
        #expect(messages.last == .accountUpdateMultiEnd(AccountUpdateMultiEnd(requestID: 217)))
    }

    @Test func accountSummaryRowsThenItsEnd() throws {
        let messages = try #require(try Self.decodedMessages()["62_1"])
        let rows = messages.compactMap { if case let .accountSummary(v) = $0 { v } else { nil } }
        #expect(rows.count == 80)
        #expect(rows.allSatisfy { $0.requestID == 221 })
        #expect(rows.first == AccountSummary(
            requestID: 221, account: "DU5509097", tag: "AccountType", value: "PARTNERSHIP", currency: ""))
        #expect(rows.contains(AccountSummary(
            requestID: 221, account: "DU5509097", tag: "NetLiquidation", value: "1040992.61", currency: "GBP")))
        #expect(rows.contains(AccountSummary(
            requestID: 221, account: "DU5509097", tag: "BuyingPower", value: "4153889.44", currency: "GBP")))
        #expect(rows.contains(AccountSummary(
            requestID: 221, account: "All", tag: "CashBalance", value: "1038472.36", currency: "BASE")))
        #expect(rows.contains(AccountSummary(
            requestID: 221, account: "All", tag: "Cryptocurrency", value: "", currency: "GBP")))
        #expect(rows.filter { $0.account == "All" }.count == 50)
        #expect(messages.last == .accountSummaryEnd(AccountSummaryEnd(requestID: 221)))
        // The same burst interleaves account-time ticks and the earlier multi subscription.
        #expect(messages.filter { $0 == .accountUpdateTime(AccountUpdateTime(time: "05:05")) }.count == 8)
        #expect(messages.filter { $0.kind == "accountUpdateMulti" }.count == 80)
        #expect(messages.contains(.accountUpdateMultiEnd(AccountUpdateMultiEnd(requestID: 217))))
    }

    @Test func orderRejectionIsError321AndOpenOrdersAreSkipped() throws {
        let messages = try Self.decodedMessages()
        #expect(messages["3_219"] == [.unknown(id: 5)])
        #expect(messages["3_220"] == [
            .error(ErrorMessage(
                requestID: 220, code: 321, message: "Error validating request.-'bN' : cause - Missing order exchange.")),
            .unknown(id: 5),
        ])
    }

    @Test func endMarkers() throws {
        let messages = try Self.decodedMessages()
        #expect(messages["61_1"] == [.positionEnd(PositionEnd())])
        #expect(messages["5_1"] == [.openOrderEnd(OpenOrderEnd())])
        #expect(messages["99_0"] == [.completedOrdersEnd(CompletedOrdersEnd())])
        #expect(messages["7_3"] == [.executionDetailsEnd(ExecutionDetailsEnd(requestID: 218))])
    }

    /// The whole recording as one stream, read in pieces of every size, gives the same frames as one read.
    @Test func incrementalReadsGiveTheSameFrames() throws {
        let streams = try Self.serverStreams()
        let all = streams.keys.sorted().flatMap { streams[$0]! }
        #expect(all.count == 24_930)
        let whole = try Wire.frames(in: all)
        #expect(whole.leftover == 0)
        #expect(whole.frames.count == 498)
        let expected = whole.frames.map(Wire.bytes)

        let byteAtATime = try Wire.reassemble(all) { _ in 1 }
        #expect(byteAtATime.leftover == 0)
        #expect(byteAtATime.frames == expected)

        let smallPieces = try Wire.reassemble(all) { 1 + $0 % 13 }
        #expect(smallPieces.leftover == 0)
        #expect(smallPieces.frames == expected)

        var random = SeededGenerator(seed: 176)
        let randomPieces = try Wire.reassemble(all) { _ in Int.random(in: 1...700, using: &random) }
        #expect(randomPieces.leftover == 0)
        #expect(randomPieces.frames == expected)
    }
}
