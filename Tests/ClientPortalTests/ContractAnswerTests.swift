import ClientPortal
import Foundation
import Testing

@Suite("Contract answers")
struct ContractAnswerTests {
    @Test func secdefSearch() throws {
        let results = try ContractSearchResult.decodeList(try Recordings.data("secdef_search_AAPL.json"))
        // The near match with an empty conid is left out.
        #expect(results.map(\.conid) == [265598, 38708077, 273982664])
        #expect(results[0].secTypes == ["STK", "OPT", "WAR", "CFD", "BAG"])
        #expect(results[0].companyHeader == "APPLE INC - NASDAQ")
        #expect(ContractSearchResult.stockConid(for: "aapl", in: results) == 265598)
        #expect(ContractSearchResult.stockConid(for: "APLE", in: results) == nil)
        #expect(throws: ClientPortalDecodingError.self) { try ContractSearchResult.decodeList(Data(#"{"error":"No symbol found"}"#.utf8)) }
        #expect(try ContractSearchResult.decodeList(Data(ContractSearchResult.json(results).utf8)) == results)
    }

    @Test func trsrvStocks() throws {
        let listings = try StockListing.decode(try Recordings.data("trsrv_stocks_AAPL.json"))
        let aapl = try #require(listings["AAPL"])
        #expect(aapl.count == 3)
        #expect(aapl[0].contracts.first == StockListing.Contract(conid: 265598, exchange: "NASDAQ", isUS: true))
        #expect(StockListing.usStockConid(in: aapl) == 265598)
        #expect(StockListing.usStockConid(in: Array(aapl.dropFirst())) == nil)
        #expect(try StockListing.decode(Data(StockListing.json(listings).utf8)) == listings)
        #expect(throws: ClientPortalDecodingError.self) { try StockListing.decode(Data("[]".utf8)) }
    }
}
