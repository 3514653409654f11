/// How many decimals an amount of money in a currency has (ISO 4217's minor unit): the API rounds every amount
/// to it, so a P&L is shown in cents, or whole yen, never with the binary noise of the arithmetic behind it.
public enum CurrencyMinorUnit {
    /// Currencies whose minor unit is not the usual two decimals. Any other three-letter code has two.
    static let exceptions: [String: Int] = [
        "JPY": 0, "KRW": 0, "CLP": 0, "ISK": 0, "VND": 0,
        "BHD": 3, "KWD": 3, "JOD": 3, "OMR": 3, "TND": 3,
    ]

    /// Decimals of the currency's minor unit: USD, EUR, GBP 2; JPY 0; unknown codes 2.
    public static func decimals(_ currency: String) -> Int { exceptions[currency] ?? 2 }
}
