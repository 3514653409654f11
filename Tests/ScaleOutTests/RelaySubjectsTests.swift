import Testing
import TickhubCore

@testable import ScaleOut

@Suite struct RelaySubjectsTests {
    @Test func everyKindOfSymbolMakesATokenThatGivesItBack() throws {
        let symbols = ["AAPL", "BRK B", "EUR.USD", "BTC", "SPY 270115C00600000", "QQQ   261218P00410500", "BF-B", "ES"]
        for symbol in symbols {
            _ = try SymbolGrammar.parse(symbol)
            let token = try #require(RelaySubjects.token(for: symbol))
            #expect(!token.contains(".") && !token.contains(" ") && !token.contains("*") && !token.contains(">"))
            // Key-value keys allow [-/_=.a-zA-Z0-9]: the token is one.
            #expect(token.unicodeScalars.allSatisfy { $0.properties.isAlphabetic || ("0"..."9").contains($0) || "-_=".unicodeScalars.contains($0) })
            #expect(RelaySubjects.symbol(fromToken: token) == symbol)
        }
        #expect(RelaySubjects.token(for: "EUR.USD") == "EUR_USD")
        #expect(RelaySubjects.token(for: "BRK B") == "BRK=B")
    }

    @Test func aSymbolNoSubjectCanCarryHasNoToken() {
        for symbol in ["", "A*", "A>B", "A\tB", "É", "A/B"] { #expect(RelaySubjects.token(for: symbol) == nil, "\(symbol)") }
        for token in ["", "A.B", "A B", "A*"] { #expect(RelaySubjects.symbol(fromToken: token) == nil, "\(token)") }
    }

    @Test func subjectsAndBucketsAreUnderThePrefix() throws {
        let subjects = try RelaySubjects(prefix: "desk-1")
        #expect(subjects.quote("EUR.USD") == "desk-1.quote.EUR_USD")
        #expect(subjects.quotes == "desk-1.quote.*")
        #expect(subjects.symbol(fromQuoteSubject: "desk-1.quote.BRK=B") == "BRK B")
        #expect(subjects.symbol(fromQuoteSubject: "tickhub.quote.AAPL") == nil)
        #expect(subjects.interest == "desk-1.interest")
        #expect(subjects.control(.ibkrConnect) == "desk-1.control.ibkr.connect")
        #expect(subjects.command(fromControlSubject: "desk-1.control.ibkr.disconnect") == .ibkrDisconnect)
        #expect(subjects.command(fromControlSubject: "desk-1.control.nope") == nil)
        #expect(subjects.controls == "desk-1.control.>")
        #expect([subjects.brokerStatus, subjects.providerHealth, subjects.availability, subjects.sourceChange].allSatisfy { $0.hasPrefix("desk-1.status.") })
        #expect([subjects.quoteBucket, subjects.leaderBucket, subjects.epochBucket] == ["desk-1-quotes", "desk-1-leader", "desk-1-epochs"])
        #expect(try RelaySubjects().prefix == "tickhub")
    }

    @Test func aPrefixThatCannotNameABucketIsRefused() {
        for prefix in ["", "a.b", "a b", "a>", String(repeating: "a", count: 65), "ü"] {
            #expect(throws: RelayMessageError.self, "\(prefix)") { try RelaySubjects(prefix: prefix) }
        }
    }
}
