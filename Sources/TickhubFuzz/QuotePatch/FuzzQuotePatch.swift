import FuzzSupport
import TickhubCore

// fuzz-quote-patch: publishers' patches applied to a QuoteBook, as the push provider applies them
// (`patch.applied(to: book[symbol])`, then `book.update`), with symbols forgotten in between.
//
// Input: [symbols in play] then operations until the input ends, each [op] and its operands:
//   op % 8 == 0: [symbol]                 forget the symbol (QuoteBook.remove)
//   otherwise:   [symbol][mask: 2 bytes][one operand per mask bit][clock step]
//     mask bits 0-10: bid, ask, last, bidSize, askSize, lastSize, volume, open, high, low, close; each operand is
//                     [0] for an explicit null, [1...127] for a value from `notableValues`, or [128...255] and
//                     8 bytes of a raw double (NaN, infinities and subnormals included)
//     bit 11: sourceTime, 8 bytes; bit 12: delayed, 1 byte; bit 13: stale, 1 byte
//   The clock (receivedAt, µs) advances by the step in ms, so time only moves forward, as the hub's does.
//
// Checked after every operation, against a model of the book that keeps only the sequence numbers:
// - a patch changes exactly the fields it names: an absent field keeps its value, a null clears it, a value sets it;
// - the quote is the push provider's, stamped at the source time or, without one, the receive time (ms), with the
//   last trade stamped when the patch set a last price, delayed inherited unless the patch says, stale never
//   inherited;
// - each update of a symbol gets the next sequence number, starting at 1, and again at 1 once the symbol was
//   forgotten; the entry is what `update` returned, and no other symbol's entry changes;
// - the book holds exactly the symbols updated and not forgotten since;
// - the derived values agree with the fields: a midpoint only for an uncrossed book with a positive bid, and between
//   bid and ask; price is last or else the midpoint; change only against a non-zero close; hasPrice.

let symbols = ["AAPL", "EUR.USD", "BTC", "SPY 250321P00250000"]

let notableValues: [Double] = [
    0, -0.0, 1, -1, 0.5, 150.25, 150.26, 99.99, 100, 1e9, -1e9, 1e15, 1e308, .infinity, -.infinity, .nan,
    .greatestFiniteMagnitude, -.greatestFiniteMagnitude, .leastNonzeroMagnitude, .ulpOfOne,
]

// Key paths are immutable values; they are only not declared Sendable.
nonisolated(unsafe) let patchFields: [(name: String, patch: WritableKeyPath<QuotePatch, Double??>, quote: KeyPath<Quote, Double?>)] = [
    ("bid", \.bid, \.bid), ("ask", \.ask, \.ask), ("last", \.last, \.last),
    ("bidSize", \.bidSize, \.bidSize), ("askSize", \.askSize, \.askSize), ("lastSize", \.lastSize, \.lastSize),
    ("volume", \.volume, \.volume), ("open", \.open, \.open), ("high", \.high, \.high), ("low", \.low, \.low),
    ("close", \.close, \.close),
]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let inPlay = Array(symbols.prefix(1 + Int(input.byte()) % symbols.count))
    var book = QuoteBook()
    var sequences: [String: UInt64] = [:]
    var clock: Int64 = 1_795_320_831_930_000

    while !input.isAtEnd {
        let op = input.byte()
        let symbol = input.pick(inPlay)
        let others = snapshot(book, except: symbol)
        if op % 8 == 0 {
            book.remove(symbol)
            sequences[symbol] = nil
            invariant(book[symbol] == nil, "\(symbol) is still in the book after remove")
        } else {
            let patch = readPatch(&input, symbol: symbol)
            clock += Int64(input.byte()) * 1_000
            let previous = book[symbol]
            let quote = patch.applied(to: previous?.quote, receivedAt: Timestamp(microseconds: clock))
            checkApplied(patch, to: previous?.quote, receivedAt: clock, gives: quote)
            checkDerived(quote)

            let entry = book.update(quote, receivedAt: Timestamp(microseconds: clock))
            let expected = (sequences[symbol] ?? 0) + 1
            invariant(entry.sequence == expected, "update \(expected) of \(symbol) got sequence \(entry.sequence)")
            invariant(entry.receivedAt.microseconds == clock, "entry received at \(entry.receivedAt), not \(clock)")
            invariant(same(entry.quote, quote), "the book holds \(entry.quote), not the update \(quote)")
            guard let stored = book[symbol] else { violated("\(symbol) is not in the book after update") }
            invariant(same(stored, entry), "the book holds \(stored) for \(symbol), update returned \(entry)")
            sequences[symbol] = expected
        }
        invariant(same(snapshot(book, except: symbol), others), "an operation on \(symbol) changed another symbol's entry")
        invariant(book.count == sequences.count && Set(book.entries.keys) == Set(sequences.keys),
                  "the book holds \(book.entries.keys.sorted()), the model \(sequences.keys.sorted())")
    }
    return 0
}

#if !TICKHUB_FUZZING
@main enum ReplayMain {
    static func main() { Replay.run(fuzz) }
}
#endif
