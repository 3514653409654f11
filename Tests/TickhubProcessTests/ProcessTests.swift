import Foundation
import Logging
import Testing
import TickhubProcess

@Suite struct ProcessTests {
    @Test func theFlagWinsThenLOG_LEVELThenNotice() throws {
        #expect(try ProcessLogging.level(flag: .debug, environment: ["LOG_LEVEL": "error"]) == .debug)
        #expect(try ProcessLogging.level(flag: nil, environment: ["LOG_LEVEL": "WARNING"]) == .warning)
        #expect(try ProcessLogging.level(flag: nil, environment: [:]) == .notice)
    }

    @Test func anUnknownLevelIsAnErrorListingTheRealOnes() {
        let error = #expect(throws: ProcessLogging.InvalidLevel.self) {
            try ProcessLogging.level(flag: nil, environment: ["LOG_LEVEL": "verbose"])
        }
        #expect(error?.description == #"LOG_LEVEL="verbose" is not a log level; use one of trace, debug, info, notice, warning, error, critical"#)
    }

    @Test func theVersionNamesACommit() {
        #expect(!BuildInfo.version.isEmpty && BuildInfo.version != "unknown")
        // Built from a git checkout: twelve hex digits, perhaps marked as modified.
        let commit = BuildInfo.commit.replacingOccurrences(of: "-modified", with: "")
        #expect(commit.count == 12 && commit.allSatisfy(\.isHexDigit), "\(BuildInfo.commit)")
    }
}
