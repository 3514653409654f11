import MarketData
import Synchronization
import Testing
import TickhubCore

/// A provider answering from a script: per symbol, bars or an error; live bars when `follows` says so. It counts
/// what it was asked.
final class ScriptedBarProvider: HistoricalBarProvider {
    let source: QuoteSource
    private let answers: [String: Result<[Bar], HistoricalBarError>]
    private let follows: Bool
    private let asked = Mutex<[String]>([])
    private let followed = Mutex<[Int: @Sendable (Bar) -> Void]>([:])
    private let stopped = Mutex<[Int]>([])

    init(_ source: QuoteSource, _ answers: [String: Result<[Bar], HistoricalBarError>], follows: Bool = false) {
        self.source = source
        self.answers = answers
        self.follows = follows
    }

    var requests: [String] { asked.withLock { $0 } }
    var stops: [Int] { stopped.withLock { $0 } }

    func bars(_ request: BarRequest) async throws -> [Bar] {
        asked.withLock { $0.append(request.instrument.symbol) }
        guard let answer = answers[request.instrument.symbol] else {
            throw HistoricalBarError.unknownSymbol("\(source.rawValue) does not know \(request.instrument.symbol)")
        }
        return try answer.get()
    }

    func followBars(_ instrument: Instrument, interval: BarInterval, onBar: @escaping @Sendable (Bar) -> Void) async -> Int? {
        guard follows else { return nil }
        return followed.withLock { follows in
            let id = 100 + follows.count
            follows[id] = onBar
            return id
        }
    }

    func stopFollowing(_ id: Int) async {
        stopped.withLock { $0.append(id) }
        _ = followed.withLock { $0.removeValue(forKey: id) }
    }

    /// A bar from the provider's feed to every follow.
    func deliver(_ bar: Bar) {
        for onBar in followed.withLock({ Array($0.values) }) { onBar(bar) }
    }
}

@Suite("Chart sources")
struct ChartSourcesTests {
    static let minute = Bar(time: 1_742_823_000_000, open: 220, high: 221, low: 219, close: 220.5, volume: 1_000)
    static let day = Bar(time: 1_742_774_400_000, open: 221, high: 224, low: 219, close: 223, volume: 48_000_000)

    /// A clock the test moves, in µs.
    final class Clock: Sendable {
        let micros = Mutex<Int64>(1_742_823_000_000_000)
        var wall: WallClock { WallClock { [self] in micros.withLock { $0 } } }
        func advance(seconds: Int64) { micros.withLock { $0 += seconds * 1_000_000 } }
    }

    static func request(_ symbol: String) throws -> BarRequest {
        BarRequest(instrument: try SymbolGrammar.parse(symbol), interval: .oneMinute, from: 0, to: 1)
    }

    static func error(_ body: () async throws -> BarFetch) async -> HistoricalBarError? {
        do {
            let fetch = try await body()
            Issue.record("expected a HistoricalBarError, got \(fetch)")
            return nil
        } catch {
            return error as? HistoricalBarError
        }
    }

    @Test func theFirstProviderThatServesTheSymbolAnswersMarkedWithItsSource() async throws {
        let ibkr = ScriptedBarProvider(.ibkr, ["AAPL": .success([Self.minute])])
        let yahoo = ScriptedBarProvider(.yahoo, ["AAPL": .success([Self.day]), "OCDO": .success([Self.day])])
        let sources = ChartSources(providers: [ibkr, yahoo])

        #expect(try await sources.bars(Self.request("AAPL")) == BarFetch(bars: [Self.minute], source: .ibkr))
        #expect(yahoo.requests.isEmpty)
        #expect(try await sources.bars(Self.request("OCDO")) == BarFetch(bars: [Self.day], source: .yahoo))
        #expect(ibkr.requests == ["AAPL", "OCDO"])
    }

    @Test func aProviderThatDoesNotKnowTheSymbolIsNotAskedAgainForAWhile() async throws {
        let clock = Clock()
        let ibkr = ScriptedBarProvider(.ibkr, [:])
        let yahoo = ScriptedBarProvider(.yahoo, ["OCDO": .success([Self.day])])
        let sources = ChartSources(providers: [ibkr, yahoo], forgetAfter: .seconds(300), clock: clock.wall)

        for _ in 0..<3 {
            #expect(try await sources.bars(Self.request("OCDO")).source == .yahoo)
        }
        #expect(ibkr.requests == ["OCDO"])
        #expect(yahoo.requests.count == 3)
        clock.advance(seconds: 299)
        _ = try await sources.bars(Self.request("OCDO"))
        #expect(ibkr.requests.count == 1)
        // Only that symbol: IBKR is still asked about others.
        _ = await Self.error { try await sources.bars(Self.request("MSFT")) }
        #expect(ibkr.requests == ["OCDO", "MSFT"])
        clock.advance(seconds: 1)
        _ = try await sources.bars(Self.request("OCDO"))
        #expect(ibkr.requests == ["OCDO", "MSFT", "OCDO"])
    }

    @Test func anUnavailableProviderFallsThroughButIsAskedAgainNextTime() async throws {
        let ibkr = ScriptedBarProvider(.ibkr, ["AAPL": .failure(.unavailable("IBKR is disconnected"))])
        let yahoo = ScriptedBarProvider(.yahoo, ["AAPL": .success([Self.minute])])
        let sources = ChartSources(providers: [ibkr, yahoo])
        #expect(try await sources.bars(Self.request("AAPL")).source == .yahoo)
        #expect(try await sources.bars(Self.request("AAPL")).source == .yahoo)
        #expect(ibkr.requests == ["AAPL", "AAPL"])
    }

    @Test func whenNoneServesTheMostTellingErrorIsThrown() async throws {
        // IBKR disconnected says more than Yahoo not knowing the symbol.
        let down = ChartSources(providers: [
            ScriptedBarProvider(.ibkr, ["ES": .failure(.unavailable("IBKR is disconnected"))]),
            ScriptedBarProvider(.yahoo, [:]),
        ])
        #expect(await Self.error { try await down.bars(Self.request("ES")) } == .unavailable("IBKR is disconnected"))
        // Every provider unable to serve: the last one's reason.
        let paced = ChartSources(providers: [
            ScriptedBarProvider(.ibkr, ["AAPL": .failure(.unavailable("paced"))]),
            ScriptedBarProvider(.yahoo, ["AAPL": .failure(.malformed("truncated"))]),
        ])
        #expect(await Self.error { try await paced.bars(Self.request("AAPL")) } == .malformed("truncated"))
        // Nobody knows it.
        let unknown = ChartSources(providers: [ScriptedBarProvider(.ibkr, [:]), ScriptedBarProvider(.yahoo, [:])])
        #expect(await Self.error { try await unknown.bars(Self.request("ZZZZ")) } == .unknownSymbol("yahoo does not know ZZZZ"))
        // And then, while both refusals stand, without asking.
        #expect(await Self.error { try await unknown.bars(Self.request("ZZZZ")) } == .unknownSymbol("no chart provider serves ZZZZ"))
        #expect(await Self.error { try await ChartSources(providers: []).bars(Self.request("AAPL")) }
            == .unknownSymbol("no chart provider serves AAPL"))
    }

    @Test func liveBarsComeFromTheFirstProviderWithThemMarkedWithItsSource() async throws {
        let ibkr = ScriptedBarProvider(.ibkr, ["AAPL": .success([Self.minute])], follows: true)
        let yahoo = ScriptedBarProvider(.yahoo, ["AAPL": .success([Self.minute]), "OCDO": .success([Self.day])])
        let sources = ChartSources(providers: [yahoo, ibkr])
        let received = Mutex<[(Bar, QuoteSource)]>([])

        // Yahoo first in the list, but it has no live bars: IBKR's are followed.
        let id = try #require(await sources.followBars(.stock("AAPL"), interval: .oneMinute) { bar, source in
            received.withLock { $0.append((bar, source)) }
        })
        ibkr.deliver(Self.minute)
        #expect(received.withLock { $0.map(\.0) } == [Self.minute])
        #expect(received.withLock { $0.map(\.1) } == [.ibkr])

        await sources.stopFollowing(id)
        #expect(ibkr.stops == [100])
        ibkr.deliver(Self.minute)
        #expect(received.withLock { $0.count } == 1)
        // Stopping again, or an id never given, reaches no provider.
        await sources.stopFollowing(id)
        await sources.stopFollowing(12_345)
        #expect(ibkr.stops == [100])
    }

    @Test func aProviderThatCannotServeTheSymbolIsNotFollowedForIt() async throws {
        let ibkr = ScriptedBarProvider(.ibkr, [:], follows: true)
        let yahoo = ScriptedBarProvider(.yahoo, ["OCDO": .success([Self.day])])
        let sources = ChartSources(providers: [ibkr, yahoo])
        _ = try await sources.bars(BarRequest(instrument: .stock("OCDO"), interval: .oneDay, from: 0, to: 1))
        #expect(await sources.followBars(.stock("OCDO"), interval: .oneDay) { _, _ in } == nil)
        // A symbol IBKR has not refused is followed there.
        #expect(await sources.followBars(.stock("AAPL"), interval: .oneMinute) { _, _ in } != nil)
    }
}
