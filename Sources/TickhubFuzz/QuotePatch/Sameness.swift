import TickhubCore

/// Equality that a NaN satisfies with itself, and that tells -0.0 from 0.0: the same bits.
func same(_ a: Double?, _ b: Double?) -> Bool {
    a?.bitPattern == b?.bitPattern
}

/// The same for quotes: `==`, or for what `==` cannot say (NaN), the printed form, which lists every stored field,
/// including ones added later.
func same(_ a: Quote, _ b: Quote) -> Bool {
    a == b || String(reflecting: a) == String(reflecting: b)
}

func same(_ a: QuoteBook.Entry, _ b: QuoteBook.Entry) -> Bool {
    a.sequence == b.sequence && a.receivedAt == b.receivedAt && same(a.quote, b.quote)
}

/// Every entry but `symbol`'s, to check that an operation on it touched no other.
func snapshot(_ book: QuoteBook, except symbol: String) -> [String: QuoteBook.Entry] {
    book.entries.filter { $0.key != symbol }
}

func same(_ a: [String: QuoteBook.Entry], _ b: [String: QuoteBook.Entry]) -> Bool {
    a.count == b.count && a.allSatisfy { key, entry in b[key].map { same($0, entry) } ?? false }
}
