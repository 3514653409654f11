import TWSProtocol
import Testing

/// How each TWS code the provider acts on is classified; the provider matches on these, never on text.
@Suite("TWSNotice classification")
struct TWSNoticeTests {
    static let table: [(Int, TWSNotice)] = [
        (200, .requestEnded(.unknownContract)),
        (354, .requestEnded(.notEntitled(delayedAvailable: false))),
        (10089, .requestEnded(.notEntitled(delayedAvailable: true))),
        (10168, .requestEnded(.delayedNotEnabled)),
        (10186, .requestEnded(.delayedNotEnabled)),
        (321, .requestEnded(.invalidRequest)),
        (10167, .advisory(delayedFollows: true)),
        (10090, .advisory(delayedFollows: false)),
        (1100, .linkLost),
        (1101, .linkRestored(dataLost: true)),
        (1102, .linkRestored(dataLost: false)),
        (2103, .farmBroken),
        (2110, .farmBroken),
        (2104, .farmRestored),
        (10197, .competingSession),
        (326, .clientIDInUse),
        (0, .pacing),
        (100, .pacing),
        (101, .maxTickers),
        (102, .requestBookkeeping),
        (300, .requestBookkeeping),
        (322, .requestBookkeeping),
        // Historical and sec-def farms do not affect streaming quotes.
        (2105, .informational),
        (2106, .informational),
        (2107, .informational),
        (2108, .informational),
        (2157, .informational),
        (2158, .informational),
        (2100, .informational),
        (2199, .informational),
        // Anything else is an error for the request it names.
        (162, .requestFailed),
        (504, .requestFailed),
        (2200, .requestFailed),
    ]

    @Test(arguments: table.map(\.0))
    func classifies(code: Int) {
        let expected = Self.table.first { $0.0 == code }!.1
        #expect(TWSNotice(code: code) == expected, "code \(code)")
    }

    @Test func everyCodeTheBriefNamesIsCovered() {
        let named = [200, 354, 10089, 10168, 10167, 10090, 1100, 1101, 1102, 2103, 2104, 10197, 326, 100, 101, 322, 2106, 2158]
        let covered = Set(Self.table.map(\.0))
        #expect(Set(named).isSubset(of: covered))
    }

    @Test func advisoriesNeverEndAStream() {
        for code in [10167, 10090] {
            if case .requestEnded = TWSNotice(code: code) { Issue.record("\(code) would end the stream") }
        }
    }
}
