import ClientPortal
import Testing

@Suite("Market data availability (6509)")
struct AvailabilityTests {
    @Test func eachTimelineLetter() throws {
        let realTime = try #require(MarketDataAvailability(code: "RpB"))
        #expect(realTime.timeline == .realTime && !realTime.isDelayed && !realTime.isFrozen && realTime.isSubscribed)
        #expect(realTime.structure == "pB")
        let delayed = try #require(MarketDataAvailability(code: "DPB"))
        #expect(delayed.isDelayed && !delayed.isFrozen)
        let frozen = try #require(MarketDataAvailability(code: "Z"))
        #expect(frozen.isFrozen && !frozen.isDelayed)
        let frozenDelayed = try #require(MarketDataAvailability(code: "Yp"))
        #expect(frozenDelayed.isFrozen && frozenDelayed.isDelayed)
        let none = try #require(MarketDataAvailability(code: "N"))
        #expect(!none.isSubscribed)
    }

    @Test(arguments: ["", " ", "r", "X", "1", "?R", "pR"])
    func unknownFirstLetterClaimsNothing(code: String) {
        #expect(MarketDataAvailability(code: code) == nil)
    }

    @Test func codeReadsBack() {
        for code in ["R", "RpB", "DPB", "Zp", "Y", "N"] {
            #expect(MarketDataAvailability(code: code)?.code == code)
        }
    }
}
