import NATSLink
import NATSTestSupport
import Testing

@Suite("NATS publish and subscribe against a real server")
struct PublishSubscribeTests {
    @Test func messagesArriveWithTheirBytesAndHeaders() async throws {
        let server = try NATSServerProcess()
        let connection = try NATSConnection.connect(server.clientOptions()) { _ in }
        defer { connection.close() }
        let received = Gathered<NATSMessage>()
        let subscription = try connection.subscribe("tickhub.quote.*") { received.append($0) }
        try await connection.flush(timeout: .seconds(5))

        let bytes: [UInt8] = [0, 1, 2, 255, 0x7B, 0x22]
        try connection.publish("tickhub.quote.AAPL", bytes, headers: ["Tickhub-Epoch": "7", "Other": "a b"])
        try connection.publish("tickhub.quote.BRK_B", Array("{}".utf8))
        try connection.publish("tickhub.status", [9])  // not matched by the wildcard
        try #require(await received.wait(forCount: 2))

        let messages = received.items
        #expect(messages.count == 2)
        #expect(messages[0] == NATSMessage(subject: "tickhub.quote.AAPL", data: bytes, headers: ["Tickhub-Epoch": "7", "Other": "a b"]))
        #expect(messages[1].subject == "tickhub.quote.BRK_B")
        #expect(messages[1].headers.isEmpty)
        #expect(messages[1].data == Array("{}".utf8))

        subscription.unsubscribe()
        try connection.publish("tickhub.quote.MSFT", [1])
        try await connection.flush(timeout: .seconds(5))
        // The flush's PONG came after the server handled the publish: had the interest remained, the message would
        // be queued for the handler by now.
        #expect(received.items.count == 2)
        #expect(connection.statistics().outMessages >= 4)
        #expect(connection.statistics().inMessages >= 2)
    }

    @Test func aQueueGroupDeliversEachMessageOnce() async throws {
        let server = try NATSServerProcess()
        let connection = try NATSConnection.connect(server.clientOptions()) { _ in }
        defer { connection.close() }
        let first = Gathered<NATSMessage>()
        let second = Gathered<NATSMessage>()
        let both = Gathered<NATSMessage>()
        _ = try connection.subscribe("work", queue: "workers") { first.append($0); both.append($0) }
        _ = try connection.subscribe("work", queue: "workers") { second.append($0); both.append($0) }
        try await connection.flush(timeout: .seconds(5))
        for index in 0..<50 { try connection.publish("work", [UInt8(index)]) }
        try #require(await both.wait(forCount: 50))
        try await connection.flush(timeout: .seconds(5))
        #expect(first.items.count + second.items.count == 50)
        #expect(Set(both.items.map(\.data)).count == 50)
    }

    @Test func connectingToNothingFailsWhenNotRetrying() throws {
        let server = try NATSServerProcess()
        server.kill()
        var options = server.clientOptions()
        options.retryOnFailedConnect = false
        #expect(throws: NATSError.self) { _ = try NATSConnection.connect(options) { _ in } }
    }

    @Test(arguments: [
        ("authorization { token: \"t0k\" }", ["NATS_TOKEN": "t0k"]),
        ("authorization { user: edge, password: \"s3cret\" }", ["NATS_USER": "edge", "NATS_PASSWORD": "s3cret"]),
    ])
    func aServerThatWantsCredentialsTakesThoseOfTheEnvironment(configuration: String, environment: [String: String]) async throws {
        let server = try NATSServerProcess(configuration: configuration + "\n")
        var options = server.clientOptions()
        options.retryOnFailedConnect = false
        #expect(throws: NATSError.self) { _ = try NATSConnection.connect(options) { _ in } }
        var wrong = options.credentials(from: environment.mapValues { _ in "wrong" })
        wrong.retryOnFailedConnect = false
        #expect(throws: NATSError.self) { _ = try NATSConnection.connect(wrong) { _ in } }
        let connection = try NATSConnection.connect(options.credentials(from: environment)) { _ in }
        defer { connection.close() }
        try await connection.flush(timeout: .seconds(5))
        #expect(connection.isConnected)
    }

    @Test func credentialsComeFromTheEnvironment() {
        let base = NATSOptions()
        #expect(base.credentials(from: [:]) == base)
        let user = base.credentials(from: ["NATS_USER": "edge", "NATS_PASSWORD": "s3cret", "NATS_TOKEN": "t"])
        #expect(user.user == "edge" && user.password == "s3cret" && user.token == nil)
        let token = base.credentials(from: ["NATS_USER": "", "NATS_TOKEN": "t0k"])
        #expect(token.user == nil && token.token == "t0k")
        // What a log shows names the credentials, never their values.
        #expect(!"\(user)".contains("s3cret") && "\(user)".contains("password set"))
        #expect(!"\(token)".contains("t0k") && "\(token)".contains("token set"))
        let inURL = NATSOptions(url: "nats://edge:s3cret@10.0.0.1:4222, nats://10.0.0.2:4222")
        #expect("\(inURL)".contains("nats://…@10.0.0.1:4222,nats://10.0.0.2:4222") && !"\(inURL)".contains("s3cret"))
    }
}
