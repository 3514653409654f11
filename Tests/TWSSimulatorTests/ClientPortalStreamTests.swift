import ClientPortal
import Foundation
import Testing
import TWSSimulator

private func streamMessage(_ text: String) -> StreamMessage { StreamMessage.decode(Data(text.utf8)) }

private func isMarketData(_ text: String) -> Bool {
    if case .marketData = streamMessage(text) { return true }
    return false
}

private func isAuthStatus(_ authenticated: Bool) -> @Sendable (String) -> Bool {
    { text in
        if case let .authStatus(status) = streamMessage(text) { return status.authenticated == authenticated }
        return false
    }
}

/// The gateway's WebSocket and its faults, over real TLS on loopback.
@Suite("Client Portal stream and faults")
struct ClientPortalStreamTests {
    @Test func sessionMessageThenSubscribedFieldsStreamChangedOnly() async throws {
        try await withClientPortal({ $0.streamIntervalMilliseconds = 50 }, simulator: { _ in }) { cp in
            let token = try TickleAnswer.decode(try await cp.post("/tickle").data).session
            let stream = try await cp.stream()
            _ = try await stream.next("waiting for session") { streamMessage($0) == .waitingForSession }
            // Nothing is served before the session.
            try await stream.send(StreamCommand.subscribe(conid: 265598, fields: [.bid]).text)
            _ = try await stream.next("a refusal before the session") { $0.contains("not authenticated") }

            try await stream.send(StreamCommand.session(token).text)
            _ = try await stream.next("system success") { streamMessage($0) == .connected(user: "tickhubsim") }
            _ = try await stream.next("sts") { isAuthStatus(true)($0) }

            try await stream.send(StreamCommand.subscribe(conid: 265598, fields: [.last, .bid, .ask, .bidSize, .askSize]).text)
            let first = try await stream.next("the first market data") { isMarketData($0) }
            guard case let .marketData(full) = streamMessage(first.text) else { return }
            #expect(full.conid == 265598)
            #expect(Set(full.values.keys).isSuperset(of: [.last, .bid, .ask, .bidSize, .askSize]))
            #expect(full.availability?.code == "RpB")

            // Later messages carry what changed, never all of it every time, with times that never go back.
            var updates: [MarketDataUpdate] = []
            var from = first.index + 1
            while updates.count < 8 {
                let next = try await stream.next(from: from, "update \(updates.count + 1)") { isMarketData($0) }
                if case let .marketData(update) = streamMessage(next.text) { updates.append(update) }
                from = next.index + 1
            }
            #expect(updates.contains { $0.values.count < 5 }, "\(updates)")
            #expect(updates.allSatisfy { $0.availability == nil }, "6509 goes out only when it changes")
            let times = ([full] + updates).compactMap(\.updated)
            #expect(times == times.sorted())

            try await stream.send("tic")
            _ = try await stream.next("the tic answer") { $0.contains(#""topic":"tic""#) }

            try await stream.send(StreamCommand.unsubscribe(conid: 265598).text)
            let status = try await cp.gateway.status()
            #expect(status.webSockets == 1)
            await stream.close()
        }
    }

    @Test func theCookieAuthorizesAndHeartbeatsFlow() async throws {
        try await withClientPortal({ $0.heartbeatSeconds = 1 }, simulator: { _ in }) { cp in
            let token = try TickleAnswer.decode(try await cp.post("/tickle").data).session
            let stream = try await cp.stream(cookie: #"api={"session":"\#(token)"}"#)
            _ = try await stream.next("system success") {
                if case .connected = streamMessage($0) { return true }
                return false
            }
            _ = try await stream.next(timeout: .seconds(5), "a heartbeat") {
                if case .heartbeat = streamMessage($0) { return true }
                return false
            }
            await stream.close()
        }
    }

    @Test func competingSessionStopsDataUntilTakenBack() async throws {
        try await withClientPortal { cp in
            _ = try await cp.get("/iserver/accounts")
            let token = try TickleAnswer.decode(try await cp.post("/tickle").data).session
            let stream = try await cp.stream(cookie: "api=\(token)")
            _ = try await stream.next("sts") { isAuthStatus(true)($0) }

            await cp.gateway.inject(.competing)
            let competing = try AuthStatus.decode(try await cp.get("/iserver/auth/status").data)
            #expect(competing.competing && !competing.authenticated)
            #expect(try await cp.get("/iserver/marketdata/snapshot?conids=265598").status == 401)
            _ = try await stream.next("sts not authenticated") { isAuthStatus(false)($0) }

            let taken = try await cp.post("/iserver/auth/ssodh/init", #"{"publish":true,"compete":true}"#)
            #expect(taken.status == 200)
            #expect(try AuthStatus.decode(try await cp.get("/iserver/auth/status").data).authenticated)
            _ = try await stream.next("sts authenticated again") { isAuthStatus(true)($0) }
            await stream.close()
        }
    }

    @Test func anExpiredSessionNeedsANewOneWithANewToken() async throws {
        try await withClientPortal { cp in
            let before = try TickleAnswer.decode(try await cp.post("/tickle").data).session
            _ = try await cp.get("/iserver/accounts")
            await cp.gateway.inject(.sessionExpired)
            #expect(try await cp.get("/iserver/accounts").status == 401)
            #expect(try AuthStatus.decode(try await cp.get("/iserver/auth/status").data).authenticated == false)
            // The portfolio rides on the login, not the brokerage session.
            #expect(try await cp.get("/portfolio/DU1234567/positions/0").status == 200)
            #expect(try await cp.post("/iserver/auth/ssodh/init", #"{"compete":true}"#).status == 200)
            let after = try TickleAnswer.decode(try await cp.post("/tickle").data).session
            #expect(after != before)
            // A new session: accounts first again.
            #expect(try await cp.get("/iserver/marketdata/snapshot?conids=265598").status == 400)
        }
    }

    @Test func aSessionEndsByItselfAfterItsLife() async throws {
        try await withClientPortal({ $0.sessionSeconds = 1 }, simulator: { _ in }) { cp in
            #expect(try await cp.get("/iserver/accounts").status == 200)
            let status = try await cp.gateway.status()
            #expect(status.authenticated)
            // The housekeeping second ends it; poll the status, bounded.
            var ended = false
            for _ in 0..<40 where !ended {
                try await Task.sleep(for: .milliseconds(100))
                ended = try await cp.gateway.status().authenticated == false
            }
            #expect(ended)
        }
    }

    @Test func loggedOutRefusesEverythingButStatus() async throws {
        try await withClientPortal { cp in
            await cp.gateway.inject(.loggedOut)
            let status = try AuthStatus.decode(try await cp.get("/iserver/auth/status").data)
            #expect(!status.authenticated && !status.connected)
            #expect(try await cp.post("/tickle").status == 401)
            #expect(try await cp.get("/portfolio/accounts").status == 401)
            #expect(try await cp.post("/iserver/auth/ssodh/init", "{}").status == 401)
            do {
                _ = try await cp.stream()
                Issue.record("a WebSocket opened while logged out")
            } catch let refused as UpgradeRefused {
                #expect(refused.status.code == 401)
            }
            await cp.gateway.inject(.loggedIn)
            #expect(try await cp.post("/tickle").status == 200)
        }
    }

    @Test func nightlyOutageIs503ForIserverAndDropsStreams() async throws {
        try await withClientPortal { cp in
            let token = try TickleAnswer.decode(try await cp.post("/tickle").data).session
            let stream = try await cp.stream(cookie: "api=\(token)")
            _ = try await stream.next("sts") { isAuthStatus(true)($0) }
            await cp.gateway.inject(.outage(seconds: 1.5))
            #expect(try await cp.get("/iserver/accounts").status == 503)
            #expect(try await cp.get("/portfolio/accounts").status == 200, "the portfolio service stays up")
            #expect(await stream.box.first(timeout: .seconds(5)) { _ in false } == nil)
            #expect(await stream.box.closed, "the WebSocket dropped")
            do {
                _ = try await cp.stream()
                Issue.record("a WebSocket opened during the outage")
            } catch let refused as UpgradeRefused {
                #expect(refused.status.code == 503)
            }
            var back = false
            for _ in 0..<40 where !back {
                try await Task.sleep(for: .milliseconds(100))
                back = try await cp.get("/iserver/accounts").status == 200
            }
            #expect(back)
        }
    }

    @Test func droppedWebSocketsCloseAndRESTGoesOn() async throws {
        try await withClientPortal { cp in
            let token = try TickleAnswer.decode(try await cp.post("/tickle").data).session
            let stream = try await cp.stream(cookie: "api=\(token)")
            _ = try await stream.next("sts") { isAuthStatus(true)($0) }
            await cp.gateway.inject(.dropWebSockets)
            #expect(await stream.box.first(timeout: .seconds(5)) { _ in false } == nil)
            #expect(await stream.box.closed)
            #expect(try await cp.get("/iserver/auth/status").status == 200)
        }
    }

    @Test(arguments: [
        ("/fault/cp-logged-out", [:], ClientPortalFault.loggedOut),
        ("/fault/cp-logged-in", [:], .loggedIn),
        ("/fault/cp-competing", [:], .competing),
        ("/fault/cp-competing-ended", [:], .competingEnded),
        ("/fault/cp-session-expired", [:], .sessionExpired),
        ("/fault/cp-penalty", ["seconds": "3"], .penalty(seconds: 3)),
        ("/fault/cp-penalty", [:], .penalty(seconds: 600)),
        ("/fault/cp-outage", ["seconds": "20"], .outage(seconds: 20)),
        ("/fault/cp-outage", ["seconds": "-1"], .outage(seconds: 60)),
        ("/fault/cp-drop-websocket", [:], .dropWebSockets),
        ("/fault/cp-halt", ["symbol": "AAPL"], .halted(symbol: "AAPL")),
        ("/fault/cp-resume", ["symbol": "AAPL"], .resumed(symbol: "AAPL")),
    ] as [(String, [String: String], ClientPortalFault)])
    func parsesFaultPaths(path: String, query: [String: String], fault: ClientPortalFault) {
        #expect(ClientPortalFault.parse(path: path, query: query) == fault)
    }

    @Test func aHaltWithoutASymbolIsNoFault() {
        #expect(ClientPortalFault.parse(path: "/fault/cp-halt", query: [:]) == nil)
        #expect(ClientPortalFault.parse(path: "/fault/cp-nope", query: [:]) == nil)
    }

    @Test func aHaltedSymbolsLastIsMarkedUntilItResumes() async throws {
        try await withClientPortal { cp in
            _ = try await cp.get("/iserver/accounts")
            let path = "/iserver/marketdata/snapshot?conids=265598&fields=31"
            _ = try await cp.get(path)
            await cp.gateway.inject(.halted(symbol: "AAPL"))
            let halted = try MarketDataUpdate.decodeSnapshot(try await cp.get(path).data).updates.first
            #expect(halted?.isHalted == true)
            await cp.gateway.inject(.resumed(symbol: "AAPL"))
            let resumed = try MarketDataUpdate.decodeSnapshot(try await cp.get(path).data).updates.first
            #expect(resumed?.isHalted == false)
            #expect((resumed?.values[.last] ?? nil) != nil)
        }
    }
}
