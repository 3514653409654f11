import Testing
import TickhubCore

/// The decimals the API writes money and prices with.
@Suite struct MinorUnitTests {
    @Test func currenciesHaveTheirISOMinorUnit() {
        #expect(["USD", "EUR", "GBP", "CHF", "CAD"].map(CurrencyMinorUnit.decimals) == [2, 2, 2, 2, 2])
        #expect(CurrencyMinorUnit.decimals("JPY") == 0 && CurrencyMinorUnit.decimals("KRW") == 0)
        #expect(CurrencyMinorUnit.decimals("KWD") == 3)
        #expect(CurrencyMinorUnit.decimals("XYZ") == 2, "an unknown code falls back to cents")
    }

    @Test func pricesKeepTheirKindsFinestTickAndItsMidpoint() {
        #expect(PricePrecision.decimals(.stock) == 4 && PricePrecision.decimals(.option) == 4)
        #expect(PricePrecision.decimals(.forex) == 6)
    }
}
