import Foundation
import Hub
import HubProtocol
import HubTestSupport
import Store
import Synchronization
import Testing
import TickhubCore

@testable import Portfolio

/// The positions routes, registered into a hub by the Portfolio feature and answered from a real SQLite file.
@Suite struct PortfolioRoutesTests {
    let host = FakeHost()
    let time = ManualClock()
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("portfolio-\(UUID().uuidString).sqlite").path
    let published = Published()

    /// Every broker's holdings as the portfolio last published them.
    final class Published: Sendable {
        private let byBroker = Mutex<[String: [Holding]]>([:])
        func set(_ broker: String, _ holdings: [Holding]) { byBroker.withLock { $0[broker] = holdings } }
        func withLock<T>(_ read: ([String: [Holding]]) -> T) -> T { byBroker.withLock { read($0) } }
    }

    func makeHub(_ adjust: (inout ServerConfiguration) -> Void = { _ in }) throws -> FanoutHub {
        let store = try PositionStore(path: path)
        let published = published
        let portfolio = PortfolioService(store: store) { broker, holdings in published.set(broker, holdings) }
        return FanoutHub.forTesting(host: host, clock: time, features: [portfolio], adjust)
    }

    func request(_ method: HTTPRequest.Method, _ path: String, json: String? = nil, query: [String: String] = [:]) -> HTTPRequest {
        var headers = ["host": "127.0.0.1:8080"]
        if json != nil { headers["content-type"] = "application/json" }
        return HTTPRequest(method: method, path: path, query: query, headers: headers, body: Array((json ?? "").utf8))
    }

    func object(_ response: HTTPResponse?) -> [String: Any] {
        (response.flatMap { try? JSONSerialization.jsonObject(with: Data($0.body)) } as? [String: Any]) ?? [:]
    }

    @Test func aPositionCreatedIsListedPublishedUpdatedAndDeleted() async throws {
        let hub = try makeHub()
        let created = await hub.answer(request(.post, "/api/positions", json: #"""
            {"broker":"tastytrade","account":"5WT1","symbol":"AAPL","quantity":10,"averageCost":150.25}
            """#))
        #expect(created?.status == 201)
        let id = try #require(object(created)["id"] as? Int)
        #expect(published.withLock { $0["tastytrade"]?.map(\.instrument.symbol) } == ["AAPL"])

        let listed = object(await hub.answer(request(.get, "/api/positions")))["positions"] as? [[String: Any]]
        #expect(listed?.compactMap { $0["symbol"] as? String } == ["AAPL"])

        let updated = await hub.answer(request(.put, "/api/positions/\(id)", json: #"{"symbol":"AAPL","quantity":12,"averageCost":151}"#))
        #expect(updated?.status == 200)
        #expect(object(updated)["quantity"] as? Double == 12)

        #expect(await hub.answer(request(.delete, "/api/positions/\(id)"))?.status == 204)
        #expect(published.withLock { $0["tastytrade"]?.isEmpty } == true)
    }

    @Test func theTableAnswersWrongMethodsWithTheMethodsThePortfolioRegistered() async throws {
        let hub = try makeHub()
        for (method, path, allow) in [(HTTPRequest.Method.patch, "/api/positions", "GET, HEAD, POST"), (.get, "/api/positions/17", "PUT, DELETE"),
                                      (.get, "/api/positions/import", "POST"), (.post, "/api/portfolio/history", "GET, HEAD")] {
            let response = await hub.answer(request(method, path))
            #expect(response?.status == 405, "\(method) \(path)")
            #expect(response?.header["allow"] == allow, "\(method) \(path)")
        }
        #expect(await hub.answer(request(.put, "/api/positions/seventeen", json: "{}"))?.status == 404)
    }

    @Test func anImportLargerThanTheLimitIsRefusedBeforeTheDatabaseSeesIt() async throws {
        let hub = try makeHub { $0.maxSymbolsPerImport = 2 }
        let csv = "symbol,quantity,averageCost\nAAPL,1,1\nMSFT,1,1\nIBM,1,1\n"
        var post = request(.post, "/api/positions/import", query: ["broker": "other", "account": "A1"])
        post.headers["content-type"] = "text/csv"
        post.body = Array(csv.utf8)
        let response = await hub.answer(post)
        #expect(response?.status == 413)
        #expect(hub.metrics.requestsRefusedForSymbols == 1)
        #expect(published.withLock { $0["other"] } == nil)
    }
}
