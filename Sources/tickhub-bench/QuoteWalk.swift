import Foundation
import NIOCore
import TWSSimulator
import TickhubCore

/// The feed's quotes: per symbol a random walk in whole cents, written as the compact JSON a publisher sends,
/// `{"symbol":"S0042","bid":101.25,"ask":101.27,"last":101.26,"bidSize":300,"askSize":500,"ts":1795320831924126}`.
///
/// Prices are written from integer cents with no trailing zeros and no exponent (101.25, 101.2, 101). That is how
/// JavaScript's JSON.stringify prints those numbers, and Swift's shortest Double description too (less its ".0"),
/// so a peer that parses and re-serializes an update forwards exactly the text it was sent.
struct QuoteWalk {
    private var lastCents: [Int]
    /// `{"symbol":"S0042","bid":` per symbol, encoded once.
    private let prefixes: [[UInt8]]
    private var random: SeededGenerator

    /// Prices stay between 10.00 and 1000.00.
    private static let centsRange = 1_000...100_000

    init(universe: [String], seed: UInt64) {
        var random = SeededGenerator(seed: seed)
        lastCents = universe.map { _ in Int.random(in: 2_000...90_000, using: &random) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        prefixes = universe.map { name in
            let quoted = (try? encoder.encode(name)).map { Array($0) } ?? Array("\"\(name)\"".utf8)
            return Array(#"{"symbol":"#.utf8) + quoted + Array(#","bid":"#.utf8)
        }
        self.random = random
    }

    var count: Int { prefixes.count }

    /// A symbol drawn uniformly: the feed is independent of which symbols the clients watch.
    mutating func randomSymbol() -> Int {
        Int.random(in: 0..<prefixes.count, using: &random)
    }

    /// Moves the symbol's price by a few cents and appends its quote, stamped `ts`.
    mutating func writeNext(symbol: Int, ts: UInt64, into buffer: inout ByteBuffer) {
        let last = min(Self.centsRange.upperBound, max(Self.centsRange.lowerBound,
                                                       lastCents[symbol] + Int.random(in: -3...3, using: &random)))
        lastCents[symbol] = last
        let spread = Int.random(in: 1...3, using: &random)
        buffer.writeBytes(prefixes[symbol])
        buffer.writeCents(last - spread)
        buffer.writeStaticString(#","ask":"#)
        buffer.writeCents(last + spread)
        buffer.writeStaticString(#","last":"#)
        buffer.writeCents(last)
        buffer.writeStaticString(#","bidSize":"#)
        buffer.writeDecimal(UInt64(100 * Int.random(in: 1...50, using: &random)))
        buffer.writeStaticString(#","askSize":"#)
        buffer.writeDecimal(UInt64(100 * Int.random(in: 1...50, using: &random)))
        buffer.writeStaticString(#","ts":"#)
        buffer.writeDecimal(ts)
        buffer.writeInteger(UInt8(ascii: "}"))
    }
}

extension ByteBuffer {
    /// An unsigned integer in decimal, written in place rather than through a String (a 16-digit `ts` would not
    /// fit a small string and would allocate).
    mutating func writeDecimal(_ value: UInt64) {
        var digits = 1
        var rest = value
        while rest >= 10 {
            rest /= 10
            digits += 1
        }
        writeWithUnsafeMutableBytes(minimumWritableBytes: digits) { out in
            var rest = value
            for index in stride(from: digits - 1, through: 0, by: -1) {
                out[index] = UInt8(48 + rest % 10)
                rest /= 10
            }
            return digits
        }
    }

    /// A non-negative amount of cents as the shortest decimal: 10125 → 101.25, 10120 → 101.2, 10100 → 101.
    mutating func writeCents(_ cents: Int) {
        writeDecimal(UInt64(cents / 100))
        let fraction = cents % 100
        guard fraction != 0 else { return }
        writeInteger(UInt8(ascii: "."))
        writeInteger(UInt8(48 + fraction / 10))
        if fraction % 10 != 0 { writeInteger(UInt8(48 + fraction % 10)) }
    }
}
