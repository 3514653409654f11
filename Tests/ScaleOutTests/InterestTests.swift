import Testing
import TickhubCore

@testable import ScaleOut

@Suite struct InterestTests {
    func at(_ seconds: Double) -> Timestamp { Timestamp(microseconds: Int64(seconds * 1_000_000)) }
    func renewal(_ edge: String, _ symbols: [String], lease: Int64 = 10_000) -> InterestRenewal {
        InterestRenewal(edge: edge, symbols: symbols, leaseMilliseconds: lease)
    }

    // MARK: Messages

    @Test func aRenewalAndAGrantGoThroughJSONUnchanged() throws {
        let sent = renewal("edge-1:4242", ["AAPL", "BRK B", "EUR.USD", "say \"hi\""], lease: 10_000)
        #expect(try InterestRenewal(json: sent.json) == sent)
        let grant = InterestGrant(epoch: 7, unknown: ["NOPE1": "no provider knows the instrument NOPE1", "a b c": "not a symbol"])
        #expect(try InterestGrant(json: grant.json) == grant)
        #expect(String(decoding: InterestGrant(epoch: 3).json, as: UTF8.self) == #"{"epoch":3,"unknown":{}}"#)
    }

    @Test func aRenewalThatIsNotOneIsRefusedWithWhy() {
        let refused: [(String, String)] = [
            ("not json", "not JSON"),
            ("[]", "not an object"),
            (#"{"symbols":[],"leaseMilliseconds":10000}"#, "edge"),
            (#"{"edge":"","symbols":[],"leaseMilliseconds":10000}"#, "edge"),
            (#"{"edge":"e","symbols":"AAPL","leaseMilliseconds":10000}"#, "symbols"),
            (#"{"edge":"e","symbols":[1],"leaseMilliseconds":10000}"#, "symbols"),
            (#"{"edge":"e","symbols":[],"leaseMilliseconds":10.5}"#, "leaseMilliseconds"),
            (#"{"edge":"e","symbols":[],"leaseMilliseconds":"10000"}"#, "leaseMilliseconds"),
            (#"{"edge":"e","symbols":[],"leaseMilliseconds":999}"#, "leaseMilliseconds"),
            (#"{"edge":"e","symbols":[],"leaseMilliseconds":600001}"#, "leaseMilliseconds"),
        ]
        for (text, field) in refused {
            do {
                _ = try InterestRenewal(json: Array(text.utf8))
                Issue.record("accepted \(text)")
            } catch {
                #expect(error.reason.contains(field), "\(text): \(error.reason)")
            }
        }
        #expect(throws: RelayMessageError.self) { try InterestGrant(json: Array(#"{"epoch":-1,"unknown":{}}"#.utf8)) }
        #expect(throws: RelayMessageError.self) { try InterestGrant(json: Array(#"{"epoch":1,"unknown":{"A":1}}"#.utf8)) }
    }

    // MARK: The ledger

    @Test func theUnionGainsASymbolOnItsFirstEdgeAndLosesItWithItsLast() {
        var ledger = InterestLedger()
        do { let got = ledger.renew(renewal("a", ["AAPL", "MSFT"]), at: at(0)); #expect(got == .init(added: ["AAPL", "MSFT"])) }
        do { let got = ledger.renew(renewal("b", ["MSFT", "EUR.USD"]), at: at(1)); #expect(got == .init(added: ["EUR.USD"])) }
        // A renewal is the whole set: what it leaves out is no longer wanted by that edge.
        do { let got = ledger.renew(renewal("a", ["AAPL", "AAPL"]), at: at(2)); #expect(got == .init()) }
        do { let got = ledger.renew(renewal("b", ["EUR.USD"]), at: at(3)); #expect(got == .init(removed: ["MSFT"])) }
        #expect(ledger.wanted == ["AAPL", "EUR.USD"])
        #expect(ledger.symbols(of: "a") == ["AAPL"] && ledger.edges == ["a", "b"])
        do { let got = ledger.drop("a"); #expect(got == .init(removed: ["AAPL"])) }
        do { let got = ledger.drop("a"); #expect(got == .init()) }
        #expect(ledger.wanted == ["EUR.USD"])
    }

    /// A dead edge's lease runs out, and its symbols go unless another edge wants them.
    @Test func anEdgeWhoseLeaseRanOutIsDroppedWithWhatOnlyItWanted() {
        var ledger = InterestLedger()
        _ = ledger.renew(renewal("a", ["AAPL", "MSFT"], lease: 10_000), at: at(0))
        _ = ledger.renew(renewal("b", ["MSFT"], lease: 5_000), at: at(0))
        #expect(ledger.nextExpiry == at(5))
        do { let got = ledger.expire(at: at(4.999)); #expect(got == .init()) }
        // b renews before its lease ends; a does not.
        _ = ledger.renew(renewal("b", ["MSFT"], lease: 10_000), at: at(4.9))
        do { let got = ledger.expire(at: at(10)); #expect(got == .init(removed: ["AAPL"], expired: ["a"])) }
        #expect(ledger.wanted == ["MSFT"] && ledger.edges == ["b"])
        do { let got = ledger.expire(at: at(14.8)); #expect(got == .init()) }
        do { let got = ledger.expire(at: at(20)); #expect(got == .init(removed: ["MSFT"], expired: ["b"])) }
        #expect(ledger.wanted.isEmpty && ledger.nextExpiry == nil)
        // An edge that comes back is a new lease.
        do { let got = ledger.renew(renewal("a", ["AAPL"]), at: at(30)); #expect(got == .init(added: ["AAPL"])) }
        #expect(InterestLedger.owner(of: "a") == "edge:a")
    }

    /// Against a plain recount over random renewals, drops and expiries: the changes add up to the union.
    @Test func theChangesAlwaysAddUpToTheUnionOfLiveLeases() {
        var random = SeededGenerator(seed: 42)
        var ledger = InterestLedger()
        var union: Set<String> = []
        var leases: [String: (symbols: Set<String>, until: Int64)] = [:]
        let pool = ["AAPL", "MSFT", "EUR.USD", "BTC", "SPY", "QQQ", "IBM", "BRK B"]
        var now: Int64 = 0
        for _ in 0..<5_000 {
            now += Int64(random.next() % 3_000_000)
            let edge = "e\(random.next() % 5)"
            var change: InterestLedger.Change
            switch random.next() % 4 {
            case 0, 1:
                let symbols = pool.filter { _ in random.next() % 3 == 0 }
                let lease = Int64(1_000 + random.next() % 9_000)
                change = ledger.renew(renewal(edge, symbols, lease: lease), at: Timestamp(microseconds: now))
                leases[edge] = (Set(symbols), now + lease * 1_000)
            case 2:
                change = ledger.drop(edge)
                leases[edge] = nil
            default:
                change = ledger.expire(at: Timestamp(microseconds: now))
                let gone = leases.filter { $0.value.until <= now }.keys.sorted()
                #expect(change.expired == gone)
                for edge in gone { leases[edge] = nil }
            }
            #expect(Set(change.added).isDisjoint(with: union), "added a symbol already followed")
            #expect(Set(change.removed).isSubset(of: union), "removed a symbol not followed")
            union.formUnion(change.added)
            union.subtract(change.removed)
            let expected = leases.values.reduce(into: Set<String>()) { $0.formUnion($1.symbols) }
            #expect(union == expected && ledger.wanted == expected)
        }
    }
}
