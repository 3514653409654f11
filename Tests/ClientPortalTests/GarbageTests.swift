import ClientPortal
import Foundation
import Testing
import TickhubCore

/// Bytes no gateway sends, into every reader: an error or nothing, never a trap, never a non-finite number.
@Suite("Garbage in")
struct GarbageTests {
    static func decodeEverything(_ data: Data) {
        if case let .marketData(update) = StreamMessage.decode(data) { check(update) }
        if let reply = try? MarketDataUpdate.decodeSnapshot(data) { reply.updates.forEach(check) }
        _ = try? AuthStatus.decode(data)
        _ = try? TickleAnswer.decode(data)
        _ = try? BrokerageAccounts.decode(data)
        _ = try? ContractSearchResult.decodeList(data)
        _ = try? StockListing.decode(data)
        _ = try? PortfolioAccount.decodeList(data)
        if let page = try? PortfolioPosition.decodePage(data) {
            let holds = page.positions.allSatisfy { $0.quantity.isFinite && $0.conid >= 1 }
            #expect(holds)
        }
        if let entries = try? AccountSummary.decode(data) {
            let holds = entries.values.allSatisfy { $0.amount?.isFinite ?? true }
            #expect(holds)
        }
        _ = try? PartitionedPnL.decode(data)
        if let history = try? MarketDataHistory.decode(data) {
            // Whatever the rows, the bars made of them are candles with finite prices and volumes.
            for interval in BarInterval.allCases {
                let bars = history.bars(interval: interval, hasVolume: true)
                let holds = bars.allSatisfy { $0.isConsistent && ($0.volume?.isFinite ?? true) && $0.time % interval.milliseconds == 0 }
                #expect(holds)
            }
        }
        let text = String(decoding: data, as: UTF8.self)
        _ = StreamCommand.parse(text)
        _ = MarketDataAvailability(code: text)
        if let read = FormattedNumber.parse(text) { #expect(read.value.isFinite) }
    }

    static func check(_ update: MarketDataUpdate) {
        #expect(update.conid >= 1)
        var quote = Quote(symbol: "X", source: .ibkr)
        quote.apply(update, receivedAt: 1)
        for value in [quote.bid, quote.ask, quote.last, quote.volume, quote.close] {
            if let value { #expect(value.isFinite) }
        }
    }

    @Test func randomBytes() {
        var random = SeededGenerator(seed: 17)
        for _ in 0..<2_000 {
            let count = Int.random(in: 0...200, using: &random)
            Self.decodeEverything(Data((0..<count).map { _ in UInt8.random(in: 0...255, using: &random) }))
        }
    }

    /// The recordings cut short and with bytes flipped: JSON that nearly parses, which random bytes rarely reach.
    @Test func mangledRecordings() throws {
        var random = SeededGenerator(seed: 23)
        let names = try FileManager.default.contentsOfDirectory(atPath: Recordings.directory.path).filter { $0.hasSuffix(".json") || $0.hasSuffix(".jsonl") }
        #expect(names.count >= 14)
        for name in names {
            let bytes = Array(try Recordings.data(name))
            for _ in 0..<100 {
                var mangled = Array(bytes.prefix(Int.random(in: 0...bytes.count, using: &random)))
                for _ in 0..<Int.random(in: 0...4, using: &random) where !mangled.isEmpty {
                    mangled[Int.random(in: 0..<mangled.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
                }
                Self.decodeEverything(Data(mangled))
            }
        }
    }

    @Test func hostileValues() {
        let bodies = [
            #"[{"conid":1,"31":"1e308","84":"99999999999999999999999999999999999999999B","86":1e999,"87":"9,999,999,999,999B"}]"#,
            #"[{"conid":1,"31":"nan","84":"inf","86":"-0","88":"-5","7308":"NaN","7633":"1e400%"}]"#,
            #"[{"conid":9007199254740993,"31":"1"}]"#,
            #"{"upnl":{"U.Core":{"dpl":"inf","nl":"1,000"}}}"#,
            #"[{"conid":1,"position":"1e999","acctId":7}]"#,
        ]
        for body in bodies { Self.decodeEverything(Data(body.utf8)) }
        let reply = try? MarketDataUpdate.decodeSnapshot(Data(bodies[1].utf8))
        #expect(reply?.updates.first?.values[.last] == .some(nil))
        #expect(reply?.updates.first?.values[.delta] == .some(nil))
    }
}
