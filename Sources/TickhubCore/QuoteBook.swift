/// The latest quote per symbol and a per-symbol sequence number, so clients can spot gaps and order updates.
///
/// Owned by one thread (one of the server's fan-out threads); not synchronized.
public struct QuoteBook: Sendable {
    public struct Entry: Sendable {
        public var quote: Quote
        public var sequence: UInt64
        /// Microseconds since the Unix epoch when the hub received the update.
        public var receivedAt: Timestamp

        public init(quote: Quote, sequence: UInt64, receivedAt: Timestamp) {
            self.quote = quote
            self.sequence = sequence
            self.receivedAt = receivedAt
        }
    }

    public private(set) var entries: [String: Entry] = [:]

    public init() {}

    /// Records an update and returns its entry with the next sequence number for the symbol.
    @discardableResult
    public mutating func update(_ quote: Quote, receivedAt: Timestamp) -> Entry {
        let sequence = (entries[quote.symbol]?.sequence ?? 0) + 1
        let entry = Entry(quote: quote, sequence: sequence, receivedAt: receivedAt)
        entries[quote.symbol] = entry
        return entry
    }

    /// Records an entry whose sequence number was given elsewhere: a hub with several service threads numbers each
    /// update once, for all of them, so that every client sees the same `seq` whichever thread serves it.
    public mutating func store(_ entry: Entry) {
        entries[entry.quote.symbol] = entry
    }

    public subscript(symbol: String) -> Entry? { entries[symbol] }

    /// Forgets a symbol nobody follows any more: a quote no longer fed must not linger as if it were live.
    public mutating func remove(_ symbol: String) {
        entries[symbol] = nil
    }

    public var count: Int { entries.count }
}
