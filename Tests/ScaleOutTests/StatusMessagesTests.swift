import Foundation
import Testing
import TickhubCore

@testable import ScaleOut

/// What the ingest relays besides quotes comes back on the edge as the value it was.
@Suite struct StatusMessagesTests {
    @Test func theBrokerStatusComesBackWhole() throws {
        var states: [BrokerConnectionState] = [.disconnected, .connecting, .ready, .degraded([.linkLost, .farmBroken]),
                                               .degraded([]), .reconnecting(attempt: 3, delaySeconds: 1.2345678)]
        states.append(.degraded(Set(DegradedReason.allCases)))
        for state in states {
            var status = BrokerConnectionStatus(
                state: state, host: "127.0.0.1", port: 7497, clientId: 7, serverVersion: 176, connectedSince: 1_795_320_829_939,
                lastError: "1100 \"link\" lost\n", accounts: ["DU1", "DU2"], linesInUse: 4, lineBudget: 100, messagesInPerSecond: 57.25,
                messagesOutPerSecond: 9, unknownMessages: 2, connections: 3, transport: "tws")
            #expect(try BrokerStatusMessage(json: BrokerStatusMessage(status).json).status == status)
            status.serverVersion = nil
            status.connectedSince = nil
            status.lastError = nil
            status.transport = "clientportal"
            status.gateway = GatewaySessionStatus(serverName: "JifN19053", serverVersion: "Build 10.25", requestsLast10s: 12,
                                                  tooManyRequests: 1, penaltyUntil: 1_795_320_900_000)
            #expect(try BrokerStatusMessage(json: BrokerStatusMessage(status).json).status == status)
            status.gateway = GatewaySessionStatus()
            #expect(try BrokerStatusMessage(json: BrokerStatusMessage(status).json).status == status)
        }
        let odd = #"{"state":"sleeping","host":"h","port":1,"clientId":1,"accounts":[],"linesInUse":0,"lineBudget":0,"messagesInPerSecond":0,"messagesOutPerSecond":0,"unknownMessages":0,"connections":0,"transport":"tws"}"#
        #expect(throws: RelayMessageError.self) { try BrokerStatusMessage(json: Array(odd.utf8)) }
        let degraded = odd.replacingOccurrences(of: "sleeping", with: "degraded").replacingOccurrences(of: #""host""#, with: #""degraded":["tired"],"host""#)
        #expect(throws: RelayMessageError.self) { try BrokerStatusMessage(json: Array(degraded.utf8)) }
    }

    @Test func providerHealthAvailabilityAndSourceChangesComeBack() throws {
        let health = [ProviderHealth(name: .ibkr, state: .ready, available: true),
                      ProviderHealth(name: .yahoo, state: .rateLimited, detail: "429", until: 1_795_320_900_000, available: false),
                      ProviderHealth(name: .push, state: .idle, available: true)]
        #expect(try ProviderHealthMessage(json: ProviderHealthMessage(health).json).providers == health)
        #expect(throws: RelayMessageError.self) {
            try ProviderHealthMessage(json: Array(#"{"providers":[{"name":"bloomberg","state":"ready","available":true}]}"#.utf8))
        }
        for availability in [SymbolAvailability.available, .unknown, .unavailable("ibkr: no lines left")] {
            let message = AvailabilityMessage(symbol: "BRK B", availability)
            #expect(try AvailabilityMessage(json: message.json) == message)
        }
        #expect(throws: RelayMessageError.self) { try AvailabilityMessage(json: Array(#"{"symbol":"A","state":"unavailable"}"#.utf8)) }
        for change in [SourceChangeMessage(symbol: "MSFT", from: .yahoo, to: .alphaVantage, reason: "yahoo cannot serve it now"),
                       SourceChangeMessage(symbol: "MSFT", from: .ibkr, to: nil, reason: "ibkr: down; yahoo: rate-limited"),
                       SourceChangeMessage(symbol: "MSFT", from: nil, to: .ibkr, reason: "")] {
            #expect(try SourceChangeMessage(json: change.json) == change)
        }
    }

    @Test func holdingsComeBackWholeSoEdgesValueThemAlike() throws {
        let option = Instrument.option(OptionTerms(underlying: "SPY", expiry: "20270115", right: .call, strike: 600.5))
        let holdings = [
            Holding(broker: "ibkr", account: "DU1", instrument: .stock("AAPL"), quantity: 100, averageCost: 187.123456789),
            Holding(broker: "ibkr", account: "DU1", instrument: option, quantity: -3, averageCost: 1234.56, costIncludesMultiplier: true,
                    brokerUnrealizedPnL: -12.5),
            Holding(broker: "ibkr", account: "DU2", instrument: .forex(base: "EUR", quote: "USD"), quantity: 25_000.5, averageCost: 1.08265),
            Holding(broker: "ibkr", account: "DU2", instrument: .stock("7203", currency: "JPY"), quantity: 0.1 + 0.2, averageCost: 2_500,
                    multiplier: 1, currency: "JPY"),
            Holding(broker: "ibkr", account: "DU2", instrument: .crypto("BTC"), quantity: 1e-8, averageCost: 65_432.1),
        ]
        let message = HoldingsMessage(broker: "ibkr", holdings)
        #expect(try HoldingsMessage(json: message.json) == message)
        #expect(try HoldingsMessage(json: HoldingsMessage(broker: "manual", []).json).holdings.isEmpty)
        let text = String(decoding: message.json, as: UTF8.self)
        #expect(text.contains(#""secType":"OPT""#) && text.contains(#""avgCost":187.123456789"#))

        let balances = [AccountBalance(account: "DU1", tag: "NetLiquidation", value: "100000.25", currency: "USD"),
                        AccountBalance(account: "DU1", tag: "TotalCashValue", value: "-5.5", currency: "USD")]
        #expect(try BalancesMessage(json: BalancesMessage(broker: "ibkr", balances).json) == BalancesMessage(broker: "ibkr", balances))
        #expect(throws: RelayMessageError.self) { try BalancesMessage(json: Array(#"{"broker":"ibkr","balances":[{"account":"DU1"}]}"#.utf8)) }
    }

    /// TastyTrade's holdings: its mark and close travel with each, and what the hub cannot value travels beside them.
    @Test func aBrokersOwnFiguresAndItsUnvaluedPositionsReachTheEdges() throws {
        let holdings = [
            Holding(broker: "tastytrade", account: "5WT00001", instrument: .stock("AAPL"), quantity: -5, averageCost: 120,
                    brokerUnrealizedPnL: -399.95, brokerMarketPrice: 199.99, brokerClosePrice: 195.5),
        ]
        let unvalued = [UnvaluedHolding(broker: "tastytrade", account: "5WT00001", symbol: "/ESZ6", secType: "Future", quantity: -1,
                                        multiplier: 50, averageCost: nil, currency: "USD", reason: "futures are not in Tickhub's symbol grammar")]
        let message = HoldingsMessage(broker: "tastytrade", holdings, unvalued: unvalued)
        let back = try HoldingsMessage(json: message.json)
        #expect(back == message)
        #expect(back.holdings[0].brokerMarketPrice == 199.99 && back.unvalued[0].averageCost == nil)
        // From an ingest of the release before: no `unvalued`, no broker marks.
        let older = try HoldingsMessage(json: Array(#"{"broker":"ibkr","holdings":[{"account":"DU1","instrument":{"symbol":"AAPL","secType":"STK","root":"AAPL","currency":"USD","exchange":"SMART","multiplier":1},"quantity":1,"avgCost":2,"multiplier":1,"currency":"USD","costIncludesMultiplier":false}]}"#.utf8))
        #expect(older.unvalued.isEmpty && older.holdings.count == 1 && older.holdings[0].brokerClosePrice == nil)
        #expect(throws: RelayMessageError.self) {
            try HoldingsMessage(json: Array(#"{"broker":"tastytrade","holdings":[],"unvalued":[{"account":"5WT00001","symbol":"/ESZ6"}]}"#.utf8))
        }
    }

    @Test func aSyncedBrokersStateComesBackWhole() throws {
        for status in [BrokerSyncStatus(broker: "tastytrade", state: .live, accounts: ["5WT00001", "5WT00002"], lastSyncAt: 1_796_677_170_000),
                       BrokerSyncStatus(broker: "tastytrade", state: .error, detail: "revoked: make a new grant")] {
            #expect(try BrokerSyncMessage(json: BrokerSyncMessage(status).json).status == status)
        }
        #expect(throws: RelayMessageError.self) {
            try BrokerSyncMessage(json: Array(#"{"name":"tastytrade","state":"sleeping","accounts":[]}"#.utf8))
        }
    }

    /// Doubles go through JSON and back to the same double, whatever their digits.
    @Test func quantitiesAndCostsKeepEveryBit() throws {
        var random = SeededGenerator(seed: 9)
        var holdings: [Holding] = []
        for _ in 0..<500 {
            let quantity = (random.unit() - 0.5) * pow(10, Double(random.next() % 12))
            let cost = random.unit() * pow(10, Double(random.next() % 8)) / 7
            holdings.append(Holding(broker: "x", account: "A", instrument: .stock("AAPL"), quantity: quantity, averageCost: cost))
        }
        let back = try HoldingsMessage(json: HoldingsMessage(broker: "x", holdings).json).holdings
        #expect(back == holdings)
    }
}
