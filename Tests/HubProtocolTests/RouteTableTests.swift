import Testing

@testable import HubProtocol

/// The table alone, with names for endpoints: what a method on a path finds, and what a 405 or OPTIONS lists.
@Suite struct RouteTableTests {
    static func table() -> RouteTable<String> {
        var table = RouteTable<String>(options: "options")
        table.add([.get], .exact("/api/health"), "health")
        table.add([.post], .exact("/api/ibkr/connect"), "connect")
        table.add([.get], .prefix("/api/brokers/"), "broker")
        table.add([.post], .segment(before: "/api/brokers/", after: "/connect"), "broker-connect")
        table.add([.put, .delete], .prefix("/api/positions/"), "position")
        return table
    }

    func found(_ method: HTTPRequest.Method, _ path: String) -> String? {
        guard case let .found(name, remainder) = Self.table().match(method, path) else { return nil }
        return "\(name) \(remainder)"
    }

    func allow(_ method: HTTPRequest.Method, _ path: String) -> [HTTPRequest.Method]? {
        guard case let .methodNotAllowed(allow) = Self.table().match(method, path) else { return nil }
        return allow
    }

    @Test func getBringsHeadAndEveryPathAnswersOptions() {
        #expect(found(.head, "/api/health") == "health ")
        #expect(found(.options, "/api/health") == "options ")
        #expect(found(.options, "/api/ibkr/connect") == "options ")
        #expect(found(.head, "/api/ibkr/connect") == nil, "no GET, so no HEAD")
        #expect(found(.options, "/api/nothing") == nil, "OPTIONS only where the table serves something")
    }

    @Test func a405ListsHeadAndOptionsWhereTheyApply() {
        #expect(allow(.delete, "/api/health") == [.get, .head, .options])
        #expect(allow(.get, "/api/ibkr/connect") == [.post, .options])
        #expect(allow(.patch, "/api/positions/7") == [.put, .delete, .options])
    }

    @Test func theMethodsOfAPathAreTheOnesA405Lists() {
        let table = Self.table()
        for path in ["/api/health", "/api/ibkr/connect", "/api/brokers/ibkr/positions", "/api/brokers/x/connect", "/api/positions/1"] {
            guard case let .methodNotAllowed(allow) = table.match(.patch, path) else {
                #expect(table.methods(at: path).contains(.patch), "\(path)")
                continue
            }
            #expect(table.methods(at: path) == allow, "\(path)")
        }
        #expect(table.methods(at: "/api/nothing").isEmpty)
    }

    @Test func aSegmentPatternTakesOneNonEmptySegmentAndHandsOnTheTail() {
        #expect(found(.post, "/api/brokers/ibkr/connect") == "broker-connect ibkr/connect")
        #expect(allow(.get, "/api/brokers/ibkr/connect") == [.post, .options], "the segment pattern wins over the prefix")
        // Not one segment: the prefix's GET route is what is left.
        #expect(found(.get, "/api/brokers//connect") == "broker /connect")
        #expect(found(.get, "/api/brokers/a/b/connect") == "broker a/b/connect")
        #expect(found(.get, "/api/brokers/connect") == "broker connect")
        #expect(found(.post, "/api/brokers/ibkr/positions") == nil)
    }

    @Test func anOptionsRouteOfItsOwnIsKept() {
        var table = RouteTable<String>(options: "options")
        table.add([.options, .get], .exact("/own"), "own")
        guard case let .found(name, _) = table.match(.options, "/own") else { Issue.record("OPTIONS not found"); return }
        #expect(name == "own")
    }

    @Test func withoutAnOptionsEndpointNothingIsAdded() {
        var table = RouteTable<String>()
        table.add([.get], .exact("/a"), "a")
        guard case let .methodNotAllowed(allow) = table.match(.options, "/a") else { Issue.record("OPTIONS found"); return }
        #expect(allow == [.get, .head])
    }
}
