import Hub
import HubProtocol
import TickhubCore

extension FanoutHub {
    /// A hub on a fake host and a clock the test moves, with the features given.
    package static func forTesting(
        host: FakeHost, clock: ManualClock, features: [any HubFeature] = [], _ adjust: (inout ServerConfiguration) -> Void = { _ in }
    ) -> FanoutHub {
        var configuration = ServerConfiguration()
        adjust(&configuration)
        return FanoutHub(configuration: configuration, host: host, wiring: HubWiring(upstream: host.upstream, features: features, charts: host.charts),
                         frameHeadroom: 16, clock: clock.clock)
    }

    /// A quote as a hub of one shard takes it: numbered after the book's entry for the symbol, and encoded.
    package func publish(_ quote: Quote, receivedAt: Timestamp) {
        publish(EncodedQuote(quote, sequence: (market.book[quote.symbol]?.sequence ?? 0) + 1, receivedAt: receivedAt))
    }

    /// A client on a fake connection, opened as a WebSocket's would be.
    package func openTestClient(publisher: Bool = false) -> (ClientSession, FakeConnection) {
        let connection = FakeConnection()
        return (open(connection, publisher: publisher), connection)
    }

    /// A client's message taken and the writes it caused made, as in one turn of the service loop.
    package func take(_ text: String, from client: ClientSession) {
        receive(Array(text.utf8), from: client)
        flushWrites()
    }

    /// The answer to a request, awaited when it is worked out off the thread; nil when it waits for quotes.
    package func answer(_ request: HTTPRequest) async -> HTTPResponse? {
        switch route(request) {
        case let .respond(response): response
        case let .async(work): await work()
        case .wait: nil
        }
    }
}

extension HTTPResponse {
    package var header: [String: String] { Dictionary(headers, uniquingKeysWith: { $1 }) }
    package var text: String { String(decoding: body, as: UTF8.self) }
}
