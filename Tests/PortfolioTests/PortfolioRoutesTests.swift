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
        let portfolio = PortfolioService(store: store) { broker, holdings, _ in published.set(broker, holdings) }
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
            {"broker":"tastytrade","account":"5WT1","symbol":"AAPL","quantity":10,"avgCost":150.25}
            """#))
        #expect(created?.status == 201)
        #expect(created?.header["deprecation"] == nil)
        let id = try #require(object(created)["id"] as? Int)
        #expect(published.withLock { $0["tastytrade"]?.map(\.instrument.symbol) } == ["AAPL"])

        let listed = object(await hub.answer(request(.get, "/api/positions")))["positions"] as? [[String: Any]]
        #expect(listed?.compactMap { $0["symbol"] as? String } == ["AAPL"])

        let updated = await hub.answer(request(.put, "/api/positions/\(id)", json: #"{"symbol":"AAPL","quantity":12,"avgCost":151}"#))
        #expect(updated?.status == 200)
        #expect(object(updated)["quantity"] as? Double == 12)

        #expect(await hub.answer(request(.delete, "/api/positions/\(id)"))?.status == 204)
        #expect(published.withLock { $0["tastytrade"]?.isEmpty } == true)
    }

    @Test func theTableAnswersWrongMethodsWithTheMethodsThePortfolioRegistered() async throws {
        let hub = try makeHub()
        for (method, path, allow) in [(HTTPRequest.Method.patch, "/api/positions", "GET, HEAD, POST, OPTIONS"),
                                      (.post, "/api/positions/17", "GET, HEAD, PUT, DELETE, OPTIONS"),
                                      (.get, "/api/positions/import", "POST, OPTIONS"), (.post, "/api/portfolio/history", "GET, HEAD, OPTIONS")] {
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

    func create(_ hub: FanoutHub, _ json: String) async throws -> [String: Any] {
        let created = await hub.answer(request(.post, "/api/positions", json: json))
        #expect(created?.status == 201, "\(created?.text ?? "")")
        return object(created)
    }

    /// What GET answers, PUT takes back as it is, read-only fields and all.
    @Test func aPositionReadCanBeSentBackUnchanged() async throws {
        let hub = try makeHub()
        let created = try await create(hub, #"{"broker":"tastytrade","account":"5WT1","symbol":"spy 261218c00600000","quantity":-2,"avgCost":12.35}"#)
        let id = try #require(created["id"] as? Int)
        let read = try #require(await hub.answer(request(.get, "/api/positions/\(id)")))
        #expect(read.status == 200)
        #expect(Set(object(read).keys) == ["id", "broker", "account", "symbol", "secType", "quantity", "avgCost", "multiplier",
                                          "currency", "origin", "updatedAt"])
        #expect(object(read)["secType"] as? String == "OPT" && object(read)["avgCost"] as? Double == 12.35)
        let put = try #require(await hub.answer(request(.put, "/api/positions/\(id)", json: read.text)))
        #expect(put.status == 200, "\(put.text)")
        #expect(put.text == read.text, "an unchanged position came back changed")
        #expect(put.header["deprecation"] == nil)
        #expect(await hub.answer(request(.get, "/api/positions/\(id + 1000)"))?.status == 404)
    }

    @Test func readOnlyFieldsMustBeTheStoredOnes() async throws {
        let hub = try makeHub()
        let created = try await create(hub, #"{"broker":"tastytrade","account":"5WT1","symbol":"IBM","quantity":5,"avgCost":180}"#)
        let id = try #require(created["id"] as? Int)
        let updatedAt = try #require(created["updatedAt"] as? Int)
        func put(_ extra: String) async -> HTTPResponse? {
            await hub.answer(request(.put, "/api/positions/\(id)", json: #"{"symbol":"IBM","quantity":6,"avgCost":180,"# + extra + "}"))
        }
        for extra in [#""id":\#(id + 1)"#, #""origin":"import""#, #""broker":"schwab""#, #""account":"OTHER""#] {
            let response = await put(extra)
            #expect(response?.status == 400, "\(extra)")
            #expect(response?.text.contains("invalid_field") == true, "\(extra): \(response?.text ?? "")")
        }
        // Sent back with the time it was read at, after it changed since: the write would undo that change unseen.
        let stale = await put(#""updatedAt":\#(updatedAt - 1)"#)
        #expect(stale?.status == 409 && stale?.text.contains("conflict") == true)
        #expect(await put(#""id":\#(id),"origin":"manual","updatedAt":\#(updatedAt)"#)?.status == 200)
        // A new position has none of them.
        let post = await hub.answer(request(.post, "/api/positions", json: #"{"broker":"t","account":"a","symbol":"IBM","quantity":1,"avgCost":1,"id":4}"#))
        #expect(post?.status == 400 && post?.text.contains("invalid_field") == true)
    }

    @Test func oldFieldNamesAreReadForOneReleaseAndSaySo() async throws {
        let hub = try makeHub()
        let old = await hub.answer(request(.post, "/api/positions", json: #"""
            {"broker":"tastytrade","account":"5WT1","symbol":"EUR.USD","quantity":1000,"averageCost":1.0812,"securityType":"CASH"}
            """#))
        #expect(old?.status == 201)
        #expect(old?.header["deprecation"] == "true")
        #expect(old?.header["link"]?.contains("field-names") == true)
        #expect(object(old)["avgCost"] as? Double == 1.0812 && object(old)["secType"] as? String == "CASH")
        #expect(object(old)["averageCost"] == nil)
        // Both spellings at once are one field given twice.
        let both = await hub.answer(request(.post, "/api/positions", json: #"{"broker":"t","account":"a","symbol":"IBM","quantity":1,"avgCost":1,"averageCost":1}"#))
        #expect(both?.status == 400 && both?.header["deprecation"] == "true")
        // A field neither name knows is refused as before.
        let unknown = await hub.answer(request(.post, "/api/positions", json: #"{"broker":"t","account":"a","symbol":"IBM","quantity":1,"avgCost":1,"mark":3}"#))
        #expect(unknown?.status == 400 && unknown?.text.contains("unknown_field") == true)
    }
}
