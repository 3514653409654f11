import Foundation
import IBKR
@testable import IBKRClientPortal
import Logging
import NIOPosix
import SimulatorTestSupport
import Testing
import TickhubCore
import TWSSimulator

/// Contract ids of every kind in Tickhub's grammar, looked up at the simulated gateway over real TLS on loopback,
/// and quotes for them streamed through the Client Portal provider. The simulated day is Wednesday 2 December
/// 2026, so options are listed from December 2026 on.
@Suite("Client Portal contract resolver")
struct ContractResolverTests {
    static func option(_ occ: String) throws -> Instrument { try SymbolGrammar.parse(occ) }

    @Test func everyKindFindsItsConidOnceAndUnknownsAreNil() async throws {
        try await withSimulatedGateway(ticksPerSecond: 500, { $0.streamIntervalMilliseconds = 50 }) { _, gateway, port in
            let client = try GatewayClient(host: "127.0.0.1", port: port, settings: ClientPortalSettings(), group: MultiThreadedEventLoopGroup.singleton)
            defer { Task { await client.shutdown() } }
            let contracts = GatewayContracts(client: client)

            #expect(try await contracts.conid(for: .stock("AAPL")) == 265598)
            #expect(try await contracts.conid(for: .forex(base: "EUR", quote: "USD")) == 12087792)
            #expect(try await contracts.conid(for: .forex(base: "USD", quote: "JPY")) == 15016059)
            #expect(try await contracts.conid(for: .crypto("BTC")) == 479624278)
            #expect(try await contracts.conid(for: .crypto("ETH")) == 495759171)

            let put = try Self.option("AAPL 261218P00250000")
            let before = try await gateway.status().requests
            // Two asking at once share one lookup: the underlying's search is kept, so one secdef/info call.
            async let first = contracts.conid(for: put)
            async let second = contracts.conid(for: put)
            let (a, b) = try await (first, second)
            let conid = try #require(a)
            #expect(b == conid && conid != 265598)
            #expect(try await gateway.status().requests - before == 1)
            // Kept: no request the second time.
            #expect(try await contracts.conid(for: put) == conid)
            #expect(try await gateway.status().requests - before == 1)
            // The call of the same day and strike is another contract.
            let call = try #require(try await contracts.conid(for: try Self.option("AAPL 261218C00250000")))
            #expect(call != conid)

            // None of these exists: a Saturday, a month no longer listed (no secdef/info asked), an unknown
            // underlying, a pair IBKR does not list that way round, a pair and a coin the gateway does not have.
            #expect(try await contracts.conid(for: try Self.option("AAPL 261219P00250000")) == nil)
            let beforeExpired = try await gateway.status().requests
            #expect(try await contracts.conid(for: try Self.option("AAPL 250321P00250000")) == nil)
            #expect(try await gateway.status().requests == beforeExpired, "the search's months already said no")
            #expect(try await contracts.conid(for: try Self.option("ZZZZ 261218P00010000")) == nil)
            #expect(try await contracts.conid(for: .forex(base: "USD", quote: "EUR")) == nil)
            #expect(try await contracts.conid(for: .forex(base: "GBP", quote: "JPY")) == nil)
            #expect(try await contracts.conid(for: .crypto("LTC")) == nil)
        }
    }

    @Test func anOptionAPairAndACoinStreamThroughTheProvider() async throws {
        try await withSimulatedGateway(ticksPerSecond: 500, { $0.streamIntervalMilliseconds = 50 }) { _, _, port in
            var configuration = IBKRConfiguration()
            configuration.transport = .clientPortal
            configuration.host = "127.0.0.1"
            configuration.port = port
            let provider = try ClientPortalProvider(configuration: configuration, logger: Logger(label: "test.clientportal"))
            let (events, feed) = AsyncStream.makeStream(of: IBKREvent.self)
            await provider.addListener { feed.yield($0) }
            await provider.start()
            let wanted = try ["SPY 261231C00560000", "EUR.USD", "BTC"].map { try SymbolGrammar.parse($0) }
            let saturday = try Self.option("SPY 261219C00560000")
            await provider.subscribe(wanted + [saturday])

            var live: [String: Quote] = [:]
            var ended: IBKRSymbolStatus?
            let deadline = Task {
                try await Task.sleep(for: .seconds(20))
                feed.finish()
            }
            for await event in events {
                switch event {
                case let .quote(quote) where quote.bid != nil && quote.ask != nil && !quote.stale:
                    live[quote.symbol] = quote
                case let .symbolStatus(symbol, status) where symbol == saturday.symbol:
                    ended = status
                default: break
                }
                if live.count == wanted.count, ended != nil { break }
            }
            deadline.cancel()
            await provider.stop()
            #expect(Set(live.keys) == Set(wanted.map(\.symbol)), "live quotes: \(live.keys.sorted())")
            for quote in live.values {
                #expect(quote.source == .ibkr)
                #expect(try #require(quote.bid) <= (try #require(quote.ask)), "\(quote)")
            }
            #expect(ended == .ended(.unknownContract))
        }
    }
}
