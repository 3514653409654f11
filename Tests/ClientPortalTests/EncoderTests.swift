import ClientPortal
import Foundation
import Testing
import TickhubCore

/// The simulator's side, read back by the transport's.
@Suite("Gateway encoders")
struct EncoderTests {
    @Test func streamMessageReadsBackAsWritten() throws {
        let fields: [MarketDataField: String] = [
            .last: FieldText.price(382.891), .bid: FieldText.price(382.88), .askSize: FieldText.size(1_300),
            .volume: FieldText.volume(45_612_345), .volumeLong: FieldText.volumeLong(45_612_345), .availability: "RpB",
        ]
        let text = StreamEncoding.marketData(conid: 265598, updated: 1_733_505_600_000, fields: fields)
        #expect(text.hasPrefix(#"{"topic":"smd+265598","conid":265598,"_updated":1733505600000,"31":"382.89","84":"382.88","85":"1,300","87":"45.6M""#))
        guard case let .marketData(update) = StreamMessage.decode(Data(text.utf8)) else { Issue.record("not market data: \(text)"); return }
        #expect(update.values[.last] == FormattedValue(value: 382.89))
        #expect(update.values[.askSize] == FormattedValue(value: 1300))
        #expect(update.values[.volumeLong] == FormattedValue(value: 45_612_345))
        #expect(update.availability?.timeline == .realTime)
    }

    @Test func prefixesAndPriming() throws {
        #expect(FieldText.priorClose(238.04) == "C238.04" && FieldText.halted(12.5) == "H12.50")
        let primed = try MarketDataUpdate.decodeSnapshot(Data(("[" + StreamEncoding.snapshotRow(conid: 8314, updated: 5, fields: [:]) + "]").utf8))
        #expect(primed.updates.first?.isPriming == true)
        #expect(StreamEncoding.snapshotRow(conid: 8314, updated: 5, fields: [:]) == #"{"conidEx":"8314","conid":8314}"#)
        let row = StreamEncoding.snapshotRow(conid: 8314, updated: 5, fields: [.last: FieldText.priorClose(238.04)])
        let read = try MarketDataUpdate.decodeSnapshot(Data("[\(row)]".utf8)).updates[0]
        #expect(read.values[.last] == FormattedValue(value: 238.04, isPriorClose: true) && read.updated == 5)
    }

    @Test func systemMessagesReadBack() {
        #expect(StreamMessage.decode(Data(StreamEncoding.heartbeat(42).utf8)) == .heartbeat(42))
        #expect(StreamMessage.decode(Data(StreamEncoding.connected(user: "sim").utf8)) == .connected(user: "sim"))
        let status = AuthStatus(authenticated: false, competing: true)
        #expect(StreamMessage.decode(Data(StreamEncoding.authStatus(status).utf8)) == .authStatus(status))
        #expect(StreamMessage.decode(Data(StreamEncoding.waitingForSession.utf8)) == .waitingForSession)
    }
}
