import Testing
import TickhubCore
@testable import TWSSimulator

/// The seeded random walk behind every simulated quote.
@Suite("PriceWalk")
struct PriceWalkTests {
    struct Snapshot: Equatable {
        var event: PriceWalk.Changes
        var bid, ask, last, bidSize, askSize, lastSize, volume, high, low: Double
        var lastTradeTime: Int

        init(_ event: PriceWalk.Changes, _ w: PriceWalk) {
            self.event = event
            bid = w.bid; ask = w.ask; last = w.last
            bidSize = w.bidSize; askSize = w.askSize; lastSize = w.lastSize
            volume = w.volume; high = w.high; low = w.low
            lastTradeTime = w.lastTradeTime
        }
    }

    static let steps = 10_000

    /// `steps` steps of a fresh walk for `symbol` from `seed`.
    static func run(_ symbol: String, seed: UInt64) throws -> [Snapshot] {
        let listing = try #require(SymbolUniverse.standard.listings[symbol])
        var generator = SeededGenerator(seed: seed)
        var walk = PriceWalk(listing: listing, generator: &generator, now: 1_700_000_000)
        var out: [Snapshot] = []
        out.reserveCapacity(steps)
        for i in 0..<steps {
            let event = walk.step(&generator, now: 1_700_000_000 + i)
            out.append(Snapshot(event, walk))
        }
        return out
    }

    @Test(arguments: ["AAPL", "EUR.USD", "BTC"])
    func invariantsHoldOverTenThousandSteps(symbol: String) throws {
        let listing = try #require(SymbolUniverse.standard.listings[symbol])
        var generator = SeededGenerator(seed: 7)
        var walk = PriceWalk(listing: listing, generator: &generator, now: 0)
        #expect(walk.bid < walk.ask)
        #expect(walk.low <= walk.last && walk.last <= walk.high)

        var previousVolume = walk.volume
        var events: [PriceWalk.Changes: Int] = [:]
        var failures = 0
        for i in 1...Self.steps {
            let event = walk.step(&generator, now: i)
            for kind in [PriceWalk.Changes.bid, .ask, .trade] where event.contains(kind) { events[kind, default: 0] += 1 }
            var ok = walk.bid < walk.ask
            ok = ok && walk.bid > 0
            ok = ok && walk.low <= walk.last && walk.last <= walk.high
            ok = ok && walk.volume >= previousVolume
            ok = ok && walk.bidSize > 0 && walk.askSize > 0
            if event.contains(.trade) {
                ok = ok && walk.bid <= walk.last && walk.last <= walk.ask && walk.volume > previousVolume
            }
            if !ok {
                failures += 1
                if failures <= 5 {
                    Issue.record("""
                        \(symbol) step \(i) \(event): bid \(walk.bid) ask \(walk.ask) last \(walk.last) \
                        low \(walk.low) high \(walk.high) volume \(previousVolume) -> \(walk.volume)
                        """)
                }
            }
            previousVolume = walk.volume
        }
        #expect(failures == 0)
        #expect((events[.bid] ?? 0) > 0 && (events[.ask] ?? 0) > 0)
        // FX has no trades; stocks and crypto do.
        #expect(((events[.trade] ?? 0) > 0) == walk.hasTrades)
    }

    @Test(arguments: ["AAPL", "EUR.USD", "BTC"])
    func sameSeedSameSequence(symbol: String) throws {
        let first = try Self.run(symbol, seed: 42)
        let second = try Self.run(symbol, seed: 42)
        #expect(first == second)
        let other = try Self.run(symbol, seed: 43)
        #expect(first != other)
    }

    @Test func pricesStayOnTheTickGrid() throws {
        for symbol in ["AAPL", "EUR.USD", "BTC"] {
            let listing = try #require(SymbolUniverse.standard.listings[symbol])
            var generator = SeededGenerator(seed: 11)
            var walk = PriceWalk(listing: listing, generator: &generator, now: 0)
            var offGrid: [Double] = []
            for i in 0..<2_000 {
                _ = walk.step(&generator, now: i)
                for price in [walk.bid, walk.ask, walk.last] {
                    let steps = price / walk.minTick
                    if abs(steps - steps.rounded()) > 1e-6 { offGrid.append(price) }
                }
            }
            #expect(offGrid.isEmpty, "\(symbol): \(offGrid.count) prices off the \(walk.minTick) grid, e.g. \(offGrid.prefix(3))")
        }
    }
}
