import NATSLink
import NATSTestSupport
import Testing

@Suite("NATS handlers' lifetime against a real server")
struct HandlerLifetimeTests {
    final class Owner: Sendable {}

    /// Polls every 10 ms, for at most 5 s: the C client lets a handler go on its delivery thread, announcing nothing.
    private func released(_ probe: () -> Bool) async throws -> Bool {
        for _ in 0..<500 {
            if probe() { return true }
            try await Task.sleep(for: .milliseconds(10))
        }
        return probe()
    }

    @Test func anEndedSubscriptionLetsItsHandlerGo() async throws {
        let server = try NATSServerProcess()
        let connection = try NATSConnection.connect(server.clientOptions()) { _ in }
        defer { connection.close() }
        weak var released: Owner?
        do {
            let owner = Owner()
            released = owner
            let subscription = try connection.subscribe("tickhub.quote.AAPL") { _ in _ = owner }
            try connection.publish("tickhub.quote.AAPL", [1])
            try await connection.flush(timeout: .seconds(5))
            subscription.unsubscribe()
        }
        #expect(try await self.released { released == nil })
    }

    @Test func aClosedConnectionLetsEveryHandlerGo() async throws {
        let server = try NATSServerProcess()
        let events = Gathered<NATSEvent>()
        let connection = try NATSConnection.connect(server.clientOptions()) { events.append($0) }
        weak var first: Owner?
        weak var second: Owner?
        do {
            let one = Owner()
            let two = Owner()
            first = one
            second = two
            _ = try connection.subscribe("a") { _ in _ = one }
            _ = try connection.subscribe("b", queue: "q") { _ in _ = two }
            try await connection.flush(timeout: .seconds(5))
        }
        connection.close()
        #expect(await events.wait { $0.contains(.closed) })
        #expect(try await released { first == nil && second == nil })
    }

    @Test func aClosedConnectionIsLetGoWithItsEventHandler() async throws {
        let server = try NATSServerProcess()
        weak var eventsOwner: Owner?
        weak var gone: NATSConnection?
        do {
            let owner = Owner()
            eventsOwner = owner
            let connection = try NATSConnection.connect(server.clientOptions()) { _ in _ = owner }
            gone = connection
            // Its inbox and a bucket made, so that every part it owns has to be let go too.
            _ = try connection.subscribe("tickhub.interest") { message in try? connection.respond(to: message, [1]) }
            _ = try await connection.request("tickhub.interest", [], timeout: .seconds(5))
            let bucket = try await connection.keyValue("tickhub-quotes", ttl: nil)
            try await bucket.put("AAPL", [1])
            connection.close()
        }
        #expect(try await released { eventsOwner == nil && gone == nil })
    }
}
