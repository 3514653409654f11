import ClientPortal
import Foundation
import Testing
import TickhubCore

/// The answers behind options, forex pairs and coins: secdef search sections, secdef info, currency pairs.
@Suite("Contract kinds")
struct ContractKindsTests {
    @Test func searchSectionsCarryOptionMonthsAndExchanges() throws {
        let results = try ContractSearchResult.decodeList(try Recordings.data("secdef_search_AAPL.json"))
        #expect(results[0].optionMonths == ["JAN25", "FEB25", "MAR25", "APR25", "MAY25", "JUN25"])
        #expect(results[0].sections[1].exchanges.first == "SMART")
        #expect(results[1].optionMonths.isEmpty)
        #expect(try ContractSearchResult.decodeList(Data(ContractSearchResult.json(results).utf8)) == results)
    }

    @Test func aCoinIsItsCryptoResultOnPaxos() throws {
        let results = try ContractSearchResult.decodeList(try Recordings.data("secdef_search_BTC.json"))
        #expect(ContractSearchResult.cryptoConid(for: "btc", in: results) == 479624278)
        #expect(ContractSearchResult.cryptoConid(for: "BTC", exchange: "ZEROHASH", in: results) == 479624287)
        // The stock named BTC is not the coin, and a coin on no exchange asked still is one.
        #expect(ContractSearchResult.stockConid(for: "BTC", in: results) == 649021341)
        #expect(ContractSearchResult.cryptoConid(for: "BTC", exchange: "NOWHERE", in: results) == 479624278)
        #expect(ContractSearchResult.cryptoConid(for: "BTCA", in: results) == nil)
        #expect(try ContractSearchResult.decodeList(Data(ContractSearchResult.json(results).utf8)) == results)
    }

    @Test func secdefInfoListsTheMonthAndTheExpiryPicksOne() throws {
        let contracts = try OptionContract.decodeList(try Recordings.data("secdef_info_AAPL_OPT.json"))
        // The row without a conid and the one whose maturity is a month code are left out.
        #expect(contracts.map(\.conid) == [762495862, 762495907, 762495940])
        #expect(contracts[1].strike == 250 && contracts[1].multiplier == 100 && contracts[1].right == "P")
        #expect(contracts[2].maturityDate == "20250328")

        let monthly = OptionTerms(underlying: "AAPL", expiry: "20250321", right: .put, strike: 250)
        #expect(OptionContract.matching(monthly, in: contracts)?.conid == 762495907)
        let call = OptionTerms(underlying: "AAPL", expiry: "20250321", right: .call, strike: 250)
        #expect(OptionContract.matching(call, in: contracts) == nil)
        let otherStrike = OptionTerms(underlying: "AAPL", expiry: "20250321", right: .put, strike: 250.5)
        #expect(OptionContract.matching(otherStrike, in: contracts) == nil)
        let notListed = OptionTerms(underlying: "AAPL", expiry: "20250314", right: .put, strike: 250)
        #expect(OptionContract.matching(notListed, in: contracts) == nil)

        #expect(try OptionContract.decodeList(Data(OptionContract.json(contracts).utf8)) == contracts)
        #expect(throws: ClientPortalDecodingError.self) { try OptionContract.decodeList(Data(#"{"error":"Invalid strike"}"#.utf8)) }
        #expect(throws: ClientPortalDecodingError.self) { try OptionContract.decodeList(Data(#"{"conid":1}"#.utf8)) }
        #expect(try OptionContract.decodeList(Data("[]".utf8)).isEmpty)
    }

    @Test func monthCodes() {
        #expect(OptionContract.month(ofExpiry: "20250321") == "MAR25")
        #expect(OptionContract.month(ofExpiry: "20271217") == "DEC27")
        #expect(OptionContract.month(ofExpiry: "20251321") == nil)
        #expect(OptionContract.month(ofExpiry: "2025032") == nil)
        #expect(OptionContract.month(ofExpiry: "MAR25") == nil)
    }

    @Test func currencyPairsByBase() throws {
        let pairs = try CurrencyPair.decode(try Recordings.data("currency_pairs_EUR.json"))
        // The pair with an empty conid is left out.
        #expect(pairs["EUR"]?.count == 6)
        #expect(CurrencyPair.conid(base: "EUR", quote: "USD", in: pairs) == 12087792)
        #expect(CurrencyPair.conid(base: "eur", quote: "gbp", in: pairs) == 12087807)
        // Only IBKR's order: USD.EUR is no pair.
        #expect(CurrencyPair.conid(base: "USD", quote: "EUR", in: pairs) == nil)
        #expect(try CurrencyPair.decode(Data(CurrencyPair.json(pairs).utf8)) == pairs)
        #expect(throws: ClientPortalDecodingError.self) { try CurrencyPair.decode(Data("[]".utf8)) }
        #expect(throws: ClientPortalDecodingError.self) { try CurrencyPair.decode(Data(#"{"error":"no pairs"}"#.utf8)) }
    }

    @Test func paths() {
        #expect(GatewayPath.optionInfo(underlying: 265598, month: "MAR25", strike: 250, right: "P")
            == "/iserver/secdef/info?conid=265598&sectype=OPT&month=MAR25&strike=250&right=P")
        #expect(GatewayPath.optionInfo(underlying: 756733, month: "DEC27", strike: 592.5, right: "C").hasSuffix("&strike=592.5&right=C"))
        #expect(GatewayPath.currencyPairs(currency: "EUR") == "/iserver/currency/pairs?currency=EUR")
    }

    @Test func positionsOfEveryAssetClassAreRead() throws {
        let page = try PortfolioPosition.decodePage(try Recordings.data("portfolio_positions_asset_classes.json"))
        #expect(page.refused.isEmpty)
        #expect(page.positions.map(\.assetClass) == ["CASH", "CASH", "CRYPTO", "FUT", "BILL"])
        #expect(page.positions[2].quantity == 0.5 && page.positions[2].marketPrice == 65012.5)
        #expect(page.positions[1].currency == "JPY" && page.positions[1].ticker == "USD")
    }
}
