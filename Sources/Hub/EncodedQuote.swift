import TickhubCore

/// An update as every shard takes it: the book entry, numbered, and its wire form, encoded once on the publishing
/// side. Immutable, so one value crosses to every service thread and each subscriber's frame copies the same bytes.
///
/// Nothing in the encoding depends on a shard: the sequence number is the hub's (`HubBroadcast`), `t` is when the
/// hub received the update, and snapshots (which add `"snapshot":true`) are encoded per subscription anyway.
package struct EncodedQuote: Sendable {
    package let entry: QuoteBook.Entry
    package let bytes: SharedBytes

    package init(_ quote: Quote, sequence: UInt64, receivedAt: Timestamp) {
        entry = QuoteBook.Entry(quote: quote, sequence: sequence, receivedAt: receivedAt)
        bytes = SharedBytes(QuoteEncoding.encode(entry))
    }

    /// An update numbered and encoded elsewhere (another hub's, read back by `QuoteDecoding`): its bytes kept as
    /// they came, so that every client gets exactly what the hub that numbered it wrote.
    package init(entry: QuoteBook.Entry, bytes: [UInt8]) {
        self.entry = entry
        self.bytes = SharedBytes(bytes)
    }

    package var symbol: String { entry.quote.symbol }
}
