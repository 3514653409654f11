import NIOCore
import Testing
import TWSProtocol

/// rust-ibapi's recorded request/response pairs against a real TWS at server version 173.
@Suite("Recorded session: rust-ibapi ↔ TWS 173")
struct RecordedRustIbapiTests {
    static let serverVersion = 173

    struct Interaction {
        var name: String
        var request: ByteBuffer
        var responses: [ByteBuffer] = []
    }

    /// Just enough YAML for this file: `- name:` at the margin starts an interaction; `raw:` lines under `request:` and
    /// `responses:` hold double-quoted payloads with `\0` escapes.
    static func interactions() throws -> [Interaction] {
        var out: [Interaction] = []
        var inResponses = false
        for line in try Fixtures.text("rust-ibapi_tws_interactions.yaml").split(separator: "\n") {
            let trimmed = line.drop(while: { $0 == " " })
            if line.hasPrefix("- name: ") {  // only interactions sit at the left margin; fields are indented
                out.append(Interaction(name: String(line.dropFirst(8)), request: Wire.payload("")))
                inResponses = false
            } else if trimmed.hasPrefix("request:") {
                inResponses = false
            } else if trimmed.hasPrefix("responses:") {
                inResponses = true
            } else if trimmed.hasPrefix("raw: ") || trimmed.hasPrefix("- raw: ") {
                guard !out.isEmpty else { throw FixtureError("raw before any interaction") }
                let payload = Wire.buffer(try unquote(trimmed.drop(while: { $0 != "\"" })))
                if inResponses { out[out.count - 1].responses.append(payload) } else { out[out.count - 1].request = payload }
            }
        }
        return out
    }

    /// A YAML double-quoted scalar's bytes.
    static func unquote(_ quoted: Substring) throws -> [UInt8] {
        let text = Array(quoted.utf8)
        guard text.count >= 2, text.first == UInt8(ascii: "\""), text.last == UInt8(ascii: "\"") else {
            throw FixtureError("not a double-quoted scalar: \(quoted)")
        }
        var out: [UInt8] = []
        var i = 1
        while i < text.count - 1 {
            if text[i] == UInt8(ascii: "\\") {
                i += 1
                switch text[i] {
                case UInt8(ascii: "0"): out.append(0)
                case UInt8(ascii: "\\"): out.append(UInt8(ascii: "\\"))
                case UInt8(ascii: "\""): out.append(UInt8(ascii: "\""))
                case UInt8(ascii: "n"): out.append(10)
                case UInt8(ascii: "t"): out.append(9)
                default: throw FixtureError("unhandled escape in \(quoted)")
                }
            } else {
                out.append(text[i])
            }
            i += 1
        }
        return out
    }

    static func interaction(_ name: String) throws -> Interaction {
        guard let found = try interactions().first(where: { $0.name == name }) else {
            throw FixtureError("no interaction \(name)")
        }
        return found
    }

    static func decode(_ payload: ByteBuffer) throws -> ServerMessage {
        try ServerMessage.decode(payload, serverVersion: serverVersion)
    }

    @Test func theFileParses() throws {
        let all = try Self.interactions()
        #expect(all.map(\.name) == ["server_time", "managed_accounts", "positions", "account_summary", "pnl"])
        #expect(all.map(\.responses.count) == [1, 1, 3, 4, 0])
    }

    @Test func requestsDecodeAndReencodeByteForByte() throws {
        let requests = try Self.interactions().map(\.request)
        let decoded = try requests.map { try ClientMessage.decode($0, serverVersion: Self.serverVersion) }
        #expect(decoded == [
            .requestCurrentTime(RequestCurrentTime()),
            .requestManagedAccounts(RequestManagedAccounts()),
            .requestPositions(RequestPositions()),
            .requestAccountSummary(RequestAccountSummary(
                requestID: 9000, group: "All", tags: "NetLiquidation,TotalCashValue,GrossPositionValue")),
            .cancelPnL(CancelPnL(requestID: 9001)),
        ])
        for (payload, message) in zip(requests, decoded) {
            let request = try #require(message.message)
            #expect(Wire.bytes(Wire.payload(of: request, serverVersion: Self.serverVersion)) == Wire.bytes(payload))
        }
    }

    @Test func currentTime() throws {
        let response = try #require(try Self.interaction("server_time").responses.first)
        #expect(try Self.decode(response) == .currentTime(CurrentTime(time: 1_752_606_307)))
        #expect(Wire.bytes(Wire.payload(of: CurrentTime(time: 1_752_606_307), serverVersion: 173)) == Wire.bytes(response))
    }

    @Test func managedAccounts() throws {
        let response = try #require(try Self.interaction("managed_accounts").responses.first)
        guard case let .managedAccounts(m) = try Self.decode(response) else { Issue.record("not managedAccounts"); return }
        #expect(m.accounts == ["ACCOUNT_ID"])
    }

    @Test func positionsOfAStockAndAFuture() throws {
        let responses = try Self.interaction("positions").responses
        try #require(responses.count == 3)
        #expect(responses.prefix(2).map(TWSFraming.fieldCount) == [16, 16])

        guard case let .position(aapl) = try Self.decode(responses[0]) else { Issue.record("not a position"); return }
        #expect(aapl.account == "ACCOUNT_ID")
        #expect(aapl.contract == Contract(
            conId: 265598, symbol: "AAPL", secType: "STK", exchange: "NASDAQ", currency: "USD",
            localSymbol: "AAPL", tradingClass: "NMS"))
        #expect(aapl.position == -110)
        #expect(aapl.averageCost == 201.8829709)

        guard case let .position(es) = try Self.decode(responses[1]) else { Issue.record("not a position"); return }
        #expect(es.contract.conId == 637533641)
        #expect(es.contract.symbol == "ES")
        #expect(es.contract.secType == "FUT")
        #expect(es.contract.lastTradeDateOrContractMonth == "20250919")
        #expect(es.contract.multiplier == "50")
        #expect(es.contract.exchange == "")  // futures and options positions carry no routing exchange
        #expect(es.contract.localSymbol == "ESU5")
        #expect(es.position == 1)
        #expect(es.averageCost == 315114.75)

        #expect(try Self.decode(responses[2]) == .positionEnd(PositionEnd()))
    }

    @Test func accountSummary() throws {
        let responses = try Self.interaction("account_summary").responses
        let decoded = try responses.map(Self.decode)
        #expect(decoded == [
            .accountSummary(AccountSummary(
                requestID: 9000, account: "ACCOUNT_ID", tag: "GrossPositionValue", value: "23172.60", currency: "USD")),
            .accountSummary(AccountSummary(
                requestID: 9000, account: "ACCOUNT_ID", tag: "NetLiquidation", value: "246447.83", currency: "USD")),
            .accountSummary(AccountSummary(
                requestID: 9000, account: "ACCOUNT_ID", tag: "TotalCashValue", value: "269339.33", currency: "USD")),
            .accountSummaryEnd(AccountSummaryEnd(requestID: 9000)),
        ])
        // Text-only messages come back byte for byte.
        for (payload, message) in zip(responses, decoded) {
            let m = try #require(message.message)
            #expect(Wire.bytes(Wire.payload(of: m, serverVersion: 173)) == Wire.bytes(payload))
        }
    }
}
