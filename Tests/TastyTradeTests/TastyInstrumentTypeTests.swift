import TastyTrade
import Testing

@Suite struct TastyInstrumentTypeTests {
    @Test func readsTheDocumentedNames() {
        #expect(TastyInstrumentType(rawValue: "Equity Option") == .equityOption)
        #expect(TastyInstrumentType(rawValue: "Cryptocurrency") == .cryptocurrency)
        #expect(TastyInstrumentType(rawValue: "equity") == nil)
    }
}
