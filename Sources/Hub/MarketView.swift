import HubProtocol
import TickhubCore

/// The quotes as the hub serves them: the book, each entry's wire form encoded once, whether a symbol can be had
/// at all, and where its quotes come from now.
package struct MarketView {
    package private(set) var book = QuoteBook()
    package private(set) var availability: [String: SymbolAvailability] = [:]
    /// Where each symbol's quotes come from now (nil: no provider can serve it); absent until it first has one.
    package private(set) var sources: [String: QuoteSource?] = [:]
    /// The last encoding of each symbol's quote, by sequence number.
    private var wireForms: [String: WireForm] = [:]

    /// One update's forms on the wire: its stream bytes, and the HTTP answer made from them the first time it is
    /// asked for (lookups between two updates reuse it). `marketOpen` is the session the bytes claim; nil for the
    /// form the update was published with (judged when it was received) until a lookup needs it. The session can
    /// end between two updates (after the close none may come), so a form that claims another session than the
    /// one at the lookup is encoded again.
    private struct WireForm {
        let sequence: UInt64
        let bytes: SharedBytes
        var marketOpen: Bool?
        var response: HTTPResponse?
    }

    package init() {}

    /// Records an update with the wire form it was published with, so that neither streaming it nor asking for it
    /// over HTTP encodes it again.
    package mutating func update(_ update: EncodedQuote) {
        if update.entry.quote.hasPrice { availability[update.symbol] = .available }
        book.store(update.entry)
        wireForms[update.symbol] = WireForm(sequence: update.entry.sequence, bytes: update.bytes)
    }

    /// The entry's wire form at `now`: the one it was published with while its session holds, else encoded once
    /// here.
    package mutating func encoded(_ entry: QuoteBook.Entry, at now: Timestamp) -> SharedBytes {
        wireForm(entry, at: now).bytes
    }

    /// The entry as `GET /api/market-data/quote/<symbol>` answers it at `now`, headers and all, rendered once per
    /// update and session.
    package mutating func quoteResponse(_ entry: QuoteBook.Entry, at now: Timestamp) -> HTTPResponse {
        var form = wireForm(entry, at: now)
        if let response = form.response { return response }
        let response = HTTPResponse.json(200, form.bytes.bytes).prepared()
        form.response = response
        wireForms[entry.quote.symbol] = form
        return response
    }

    /// The entry's cached forms, encoded here first when the cache holds another sequence number or session.
    private mutating func wireForm(_ entry: QuoteBook.Entry, at now: Timestamp) -> WireForm {
        let symbol = entry.quote.symbol
        let open = QuoteEncoding.isMarketOpen(symbol, at: now)
        if var cached = wireForms[symbol], cached.sequence == entry.sequence {
            if cached.marketOpen == nil {
                cached.marketOpen = QuoteEncoding.isMarketOpen(symbol, at: entry.receivedAt)
                wireForms[symbol] = cached
            }
            if cached.marketOpen == open { return cached }
        }
        let form = WireForm(sequence: entry.sequence, bytes: SharedBytes(QuoteEncoding.encode(entry, at: now)), marketOpen: open)
        wireForms[symbol] = form
        return form
    }

    /// The minute sessions were last checked at: they open and close on whole minutes.
    private var sessionMinute: Int64 = .min

    /// At a session's open or close no quote may come (an option after 16:00), so each kept form that claims the
    /// other session is encoded again for the one at `now`: the entries and their new forms. Checked once a minute.
    package mutating func sessionEdges(at now: Timestamp) -> [(entry: QuoteBook.Entry, bytes: SharedBytes)] {
        let minute = now.microseconds / 60_000_000
        guard minute != sessionMinute else { return [] }
        sessionMinute = minute
        var edges: [(entry: QuoteBook.Entry, bytes: SharedBytes)] = []
        for (symbol, form) in wireForms {
            guard let entry = book[symbol], entry.sequence == form.sequence else { continue }
            let claimed = form.marketOpen ?? QuoteEncoding.isMarketOpen(symbol, at: entry.receivedAt)
            if claimed != QuoteEncoding.isMarketOpen(symbol, at: now) { edges.append((entry, wireForm(entry, at: now).bytes)) }
        }
        return edges
    }

    /// Records the symbol's availability; true when it changed.
    package mutating func setAvailability(_ symbol: String, _ state: SymbolAvailability) -> Bool {
        availability.updateValue(state, forKey: symbol) != state
    }

    /// Records the symbol's source; true when this is its first (which is not news to anyone).
    mutating func setSource(_ symbol: String, _ source: QuoteSource?) -> Bool {
        let first = sources.index(forKey: symbol) == nil
        sources[symbol] = .some(source)
        return first
    }

    /// What the manager says a symbol's source is; before it has said anything, where the quote came from.
    package func source(of symbol: String) -> QuoteSource? {
        sources.index(forKey: symbol).map { sources[$0].value } ?? book[symbol]?.quote.source
    }

    /// A symbol released upstream is forgotten: a later request starts afresh.
    package mutating func forget(_ symbol: String) {
        availability[symbol] = nil
        wireForms[symbol] = nil
        book.remove(symbol)
    }

    func priced(_ symbol: String) -> QuoteBook.Entry? {
        guard let entry = book[symbol], entry.quote.hasPrice else { return nil }
        return entry
    }

    func isUnknown(_ symbol: String) -> Bool { availability[symbol] == .unknown }

    /// Settled, for a request waiting on it: a price to show, or no provider knows it.
    func isSettled(_ symbol: String) -> Bool { priced(symbol) != nil || isUnknown(symbol) }

    /// The error code and words for a symbol in that state, on the stream and over HTTP alike.
    package static func describe(_ symbol: String, _ state: SymbolAvailability) -> (code: String, message: String) {
        switch state {
        case .available: ("available", "\(symbol) is available")
        case .unknown: ("unknown_symbol", "no provider knows the instrument \(symbol)")
        case let .unavailable(reason): ("unavailable", "no provider can serve \(symbol) now: \(reason)")
        }
    }
}
