import Foundation
import Testing
import TWSSimulator
import TastyTrade
import TickhubCore

/// The simulated account streamer over a real WebSocket: the connect handshake, refusals, and a fill's position
/// and balances announced at once.
@Suite("TastyTrade simulator account streamer")
struct TastyTradeStreamerTests {
    /// The streamer's messages from index `from` on, decoded (a `results` batch gives several).
    static func messages(_ client: StreamTestClient, from: Int, _ what: String,
                         where match: @escaping @Sendable (AccountStreamerMessage) -> Bool) async throws -> (index: Int, message: AccountStreamerMessage) {
        let found = try await client.next(from: from, what) { text in
            ((try? AccountStreamerMessage.decode(text)) ?? []).contains(where: match)
        }
        let message = try AccountStreamerMessage.decode(found.text).first(where: match)!
        return (found.index, message)
    }

    @Test func connectIsAcknowledgedAndHeartbeatsNeedIt() async throws {
        try await withTastyTrade { tt in
            let token = try await tt.accessToken()
            let streamer = try await tt.socket("/streamer")
            defer { Task { await streamer.close() } }
            try await streamer.send(AccountStreamerRequest.heartbeat(authToken: token, requestID: 1).json)
            _ = try await Self.messages(streamer, from: 0, "heartbeat refused before connect") {
                $0 == .refused(action: "heartbeat", message: "connect-not-completed")
            }
            try await streamer.send(AccountStreamerRequest.connect(accounts: ["5WT00001"], authToken: "not-a-token", requestID: 2).json)
            _ = try await Self.messages(streamer, from: 0, "connect refused for a dead token") {
                if case .refused("connect", _) = $0 { return true } else { return false }
            }
            try await streamer.send(AccountStreamerRequest.connect(accounts: ["5WT00001"], authToken: "Bearer \(token)", requestID: 3).json)
            let ack = try await Self.messages(streamer, from: 0, "connect ack") {
                if case .ack("connect", 3, _) = $0 { return true } else { return false }
            }
            guard case let .ack(_, _, sessionID) = ack.message else { return }
            #expect(sessionID?.isEmpty == false)
            try await streamer.send(AccountStreamerRequest.heartbeat(authToken: "Bearer \(token)", requestID: 4).json)
            _ = try await Self.messages(streamer, from: ack.index, "heartbeat ack") {
                if case .ack("heartbeat", 4, _) = $0 { return true } else { return false }
            }
            #expect(try await tt.tastyTrade.status().connectedStreamers == 1)
        }
    }

    @Test func aFillIsAnnouncedAtOnceSingleThenBatched() async throws {
        try await withTastyTrade { tt in
            let token = try await tt.accessToken()
            let margin = try await tt.socket("/streamer")
            let cash = try await tt.socket("/streamer")
            defer { Task { await margin.close(); await cash.close() } }
            try await margin.send(AccountStreamerRequest.connect(accounts: ["5WT00001"], authToken: token, requestID: 1).json)
            try await cash.send(AccountStreamerRequest.connect(accounts: ["5WT00002"], authToken: token, requestID: 1).json)
            let connected = try await Self.messages(margin, from: 0, "connect ack") { if case .ack = $0 { true } else { false } }
            _ = try await Self.messages(cash, from: 0, "connect ack") { if case .ack = $0 { true } else { false } }

            // The first fill: two messages. Sell 20 of 50 AAPL at 240 (bought at 212.40): 552 realized.
            let started = ContinuousClock.now
            let sold = try await tt.tastyTrade.fill(account: "5WT00001", symbol: "AAPL", quantity: -20, price: 240)
            #expect(sold.quantity == 30)
            #expect(sold.averageOpenPrice == 212.4)
            #expect(abs((sold.realizedDayGain ?? 0) - 552) < 0.001)
            let position = try await Self.messages(margin, from: connected.index + 1, "CurrentPosition") {
                if case .notification("CurrentPosition", _, _) = $0 { true } else { false }
            }
            #expect(ContinuousClock.now - started < .seconds(1))
            guard case let .notification(_, data, timestamp) = position.message else { return }
            #expect(timestamp != nil)
            let announced = try TastyPosition(object: data)
            #expect(announced.symbol == "AAPL")
            #expect(announced.quantity == 30)
            let balance = try await Self.messages(margin, from: connected.index + 1, "AccountBalance") {
                if case .notification("AccountBalance", _, _) = $0 { true } else { false }
            }
            guard case let .notification(_, balanceData, _) = balance.message else { return }
            #expect(try TastyBalance(object: balanceData).cashBalance == 48_250.75 + 20 * 240)
            let single = try AccountStreamerMessage.decode(await margin.box.message(position.index))
            #expect(single.count == 1, "the first fill's notifications come one by one")

            // The second: one results batch holding both. Cover the MSFT short past zero: long 10 at 400.
            let covered = try await tt.tastyTrade.fill(account: "5WT00001", symbol: "MSFT", quantity: 30, price: 400)
            #expect(covered.quantity == 10)
            #expect(covered.quantityDirection == "Long")
            #expect(covered.averageOpenPrice == 400)
            #expect(abs((covered.realizedDayGain ?? 0) - 620) < 0.001, "20 covered at 400 after selling at 431")
            let batch = try await margin.next(from: balance.index + 1, "a results batch") { $0.hasPrefix("{\"results\"") }
            let messages = try AccountStreamerMessage.decode(batch.text)
            #expect(messages.count == 2)
            guard case let .notification("CurrentPosition", batched, _) = messages.first else {
                Issue.record("batch: \(batch.text)")
                return
            }
            #expect(try TastyPosition(object: batched).symbol == "MSFT")

            // The cash account heard nothing of the margin account's fills.
            #expect(await cash.box.messages.count == 1)
            #expect(try await tt.tastyTrade.status().notifications == 4)
        }
    }

    @Test func fillsOpenNewPositionsAndRefuseWhatCannotBeTraded() async throws {
        try await withTastyTrade { tt in
            let opened = try await tt.tastyTrade.fill(account: "5WT00002", symbol: "SPY   271217P00500000", quantity: 2, price: 12.5)
            #expect(opened.instrumentType == .equityOption)
            #expect(opened.multiplier == 100)
            #expect(opened.underlyingSymbol == "SPY")
            let positions = try await tt.tastyTrade.positions(account: "5WT00002")
            #expect(positions.contains { $0.symbol == "SPY   271217P00500000" && $0.mark != nil })
            let bought = try await tt.tastyTrade.fill(account: "5WT00002", symbol: "ETH/USD", quantity: 0.5)
            #expect(bought.instrumentType == .cryptocurrency)
            #expect(bought.averageOpenPrice ?? 0 > 0, "at the mark when no price is given")
            await #expect(throws: (any Error).self) {
                try await tt.tastyTrade.fill(account: "5WT00001", symbol: "/CLF7", quantity: 1, price: 70)
            }
            await #expect(throws: (any Error).self) {
                try await tt.tastyTrade.fill(account: "5WT99999", symbol: "AAPL", quantity: 1, price: 1)
            }
            await #expect(throws: (any Error).self) {
                try await tt.tastyTrade.fill(account: "5WT00001", symbol: "AAPL", quantity: 0, price: 1)
            }
        }
    }

    @Test func aSessionLivesWhileItsLatestTokenDoes() async throws {
        try await withTastyTrade({ $0.tokenSeconds = 3 }) { tt in
            let first = try await tt.accessToken()
            let started = ContinuousClock.now
            let streamer = try await tt.socket("/streamer")
            defer { Task { await streamer.close() } }
            try await streamer.send(AccountStreamerRequest.connect(accounts: ["5WT00001"], authToken: first, requestID: 1).json)
            _ = try await Self.messages(streamer, from: 0, "connect ack") { if case .ack = $0 { true } else { false } }
            // Halfway through the first token's life, a heartbeat carries a new one: the session goes on with it.
            try await Task.sleep(until: started + .milliseconds(1_500))
            let second = try await tt.accessToken()
            try await streamer.send(AccountStreamerRequest.heartbeat(authToken: "Bearer \(second)", requestID: 2).json)
            _ = try await Self.messages(streamer, from: 0, "heartbeat ack") { if case .ack("heartbeat", 2, _) = $0 { true } else { false } }
            // A second past the first token's death (a housekeeping round has looked), the session still hears fills.
            try await Task.sleep(until: started + .milliseconds(4_100))
            #expect(!(await streamer.box.closed))
            try await tt.tastyTrade.fill(account: "5WT00001", symbol: "AAPL", quantity: 1, price: 230)
            _ = try await Self.messages(streamer, from: 0, "a fill after the first token died") {
                if case .notification("CurrentPosition", _, _) = $0 { true } else { false }
            }
            // Once its token dies too, the session is dropped.
            await tt.tastyTrade.inject(.expireTokens)
            #expect(await streamer.box.first(timeout: .seconds(5)) { _ in false } == nil)
            #expect(await streamer.box.closed)
        }
    }

    @Test func oneAccountAsAPlainStringConnects() async throws {
        try await withTastyTrade { tt in
            let token = try await tt.accessToken()
            let streamer = try await tt.socket("/streamer")
            defer { Task { await streamer.close() } }
            // The JS SDK's form for a single account.
            try await streamer.send(#"{"action":"connect","value":"5WT00002","auth-token":"\#(token)","request-id":7}"#)
            _ = try await Self.messages(streamer, from: 0, "connect ack") { if case .ack("connect", 7, _) = $0 { true } else { false } }
            try await tt.tastyTrade.fill(account: "5WT00002", symbol: "QQQ", quantity: -5, price: 480)
            _ = try await Self.messages(streamer, from: 0, "the cash account's fill") {
                if case .notification("CurrentPosition", _, _) = $0 { true } else { false }
            }
        }
    }

    @Test func droppedStreamersCloseAndNewOnesConnect() async throws {
        try await withTastyTrade { tt in
            let token = try await tt.accessToken()
            let streamer = try await tt.socket("/streamer")
            try await streamer.send(AccountStreamerRequest.connect(accounts: ["5WT00001"], authToken: token, requestID: 1).json)
            _ = try await Self.messages(streamer, from: 0, "connect ack") { if case .ack = $0 { true } else { false } }
            await tt.tastyTrade.inject(.dropStreamers)
            // The box closes when the socket does.
            #expect(await streamer.box.first(timeout: .seconds(5)) { _ in false } == nil)
            #expect(await streamer.box.closed)
            let again = try await tt.socket("/streamer")
            defer { Task { await again.close() } }
            try await again.send(AccountStreamerRequest.connect(accounts: ["5WT00001"], authToken: token, requestID: 1).json)
            _ = try await Self.messages(again, from: 0, "connect ack after the drop") { if case .ack = $0 { true } else { false } }
        }
    }
}
