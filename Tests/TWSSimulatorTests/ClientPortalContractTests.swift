import ClientPortal
import Foundation
import SimulatorTestSupport
import Testing
import TickhubCore
import TWSSimulator

/// Options, forex pairs and coins at the simulated gateway: found by IBKR's endpoints, then snapshotted and
/// streamed by their conids like stocks. The simulated day is Wednesday 2 December 2026.
@Suite("Client Portal gateway contracts")
struct ClientPortalContractTests {
    @Test func searchListsOptionMonthsAndCoins() async throws {
        try await withClientPortal { cp in
            let apple = try ContractSearchResult.decodeList(try await cp.get("/iserver/secdef/search?symbol=AAPL").data)
            let months = try #require(apple.first).optionMonths
            #expect(months.first == "DEC26" && months.contains("DEC27") && !months.contains("NOV26"), "\(months)")
            let coins = try ContractSearchResult.decodeList(try await cp.get("/iserver/secdef/search?symbol=BTC").data)
            #expect(ContractSearchResult.cryptoConid(for: "BTC", in: coins) == 479624278)
            #expect(ContractSearchResult.stockConid(for: "BTC", in: coins) == nil)
        }
    }

    @Test func currencyPairsByBase() async throws {
        try await withClientPortal { cp in
            let euro = try CurrencyPair.decode(try await cp.get("/iserver/currency/pairs?currency=EUR").data)
            #expect(CurrencyPair.conid(base: "EUR", quote: "USD", in: euro) == 12087792)
            let dollar = try CurrencyPair.decode(try await cp.get("/iserver/currency/pairs?currency=usd").data)
            #expect(dollar["USD"]?.map(\.symbol) == ["USD.JPY"])
            #expect(try CurrencyPair.decode(try await cp.get("/iserver/currency/pairs?currency=CHF").data)["CHF"] == [])
            #expect(try await cp.get("/iserver/currency/pairs?currency=EURO").status == 400)
        }
    }

    @Test func secdefInfoListsTheMonthsOptionsWhichThenStream() async throws {
        try await withClientPortal({ $0.streamIntervalMilliseconds = 50 }, simulator: { _ in }) { cp in
            let answer = try await cp.get("/iserver/secdef/info?conid=265598&sectype=OPT&month=DEC26&strike=250&right=P")
            let contracts = try OptionContract.decodeList(answer.data)
            // Every weekday from the 2nd to the 31st.
            #expect(contracts.count == 22, "\(answer.body)")
            #expect(contracts.allSatisfy { $0.right == "P" && $0.strike == 250 && $0.multiplier == 100 && $0.symbol == "AAPL" })
            #expect(contracts.first?.maturityDate == "20261202" && contracts.last?.maturityDate == "20261231")
            let terms = OptionTerms(underlying: "AAPL", expiry: "20261218", right: .put, strike: 250)
            let option = try #require(OptionContract.matching(terms, in: contracts))
            #expect(option.desc2 == "DEC 18 '26 250 Put")
            // The same conid every time: it is the option's.
            let again = try OptionContract.decodeList(try await cp.get("/iserver/secdef/info?conid=265598&sectype=OPT&month=DEC26&strike=250&right=P").data)
            #expect(OptionContract.matching(terms, in: again)?.conid == option.conid)
            #expect(OptionContract.matching(OptionTerms(underlying: "AAPL", expiry: "20261219", right: .put, strike: 250), in: contracts) == nil,
                    "a Saturday has no expiry")

            _ = try await cp.get("/iserver/accounts")
            let path = "/iserver/marketdata/snapshot?conids=\(option.conid)&fields=31,84,86"
            _ = try await cp.get(path)
            let row = try #require(try MarketDataUpdate.decodeSnapshot(try await cp.get(path).data).updates.first)
            let bid = try #require(row.values[.bid] ?? nil).value
            let ask = try #require(row.values[.ask] ?? nil).value
            #expect(bid > 0 && bid <= ask)

            let token = try TickleAnswer.decode(try await cp.post("/tickle").data).session
            let stream = try await cp.stream()
            try await stream.send(StreamCommand.session(token).text)
            _ = try await stream.next("sts") { $0.contains(#""topic":"sts""#) }
            try await stream.send(StreamCommand.subscribe(conid: option.conid, fields: [.bid, .ask]).text)
            let streamed = try await stream.next("the option's market data") { $0.contains(#""topic":"smd+\#(option.conid)""#) }
            #expect(streamed.text.contains(#""84":"#), "\(streamed.text)")
            await stream.close()
        }
    }

    @Test func secdefInfoRefusesWhatItDoesNotList() async throws {
        try await withClientPortal { cp in
            let base = "/iserver/secdef/info?sectype=OPT"
            let expired = try await cp.get(base + "&conid=265598&month=JAN20&strike=250&right=P")
            let negative = try await cp.get(base + "&conid=265598&month=DEC26&strike=-5&right=P")
            let noRight = try await cp.get(base + "&conid=265598&month=DEC26&strike=250&right=X")
            let onAPair = try await cp.get(base + "&conid=12087792&month=DEC26&strike=1&right=C")
            let future = try await cp.get("/iserver/secdef/info?conid=265598&sectype=FUT&month=DEC26")
            #expect([expired, negative, noRight, onAPair, future].map(\.status) == [400, 400, 400, 400, 400])
            #expect(expired.body.contains("JAN20") && onAPair.body.contains("no stock"))
        }
    }
}
