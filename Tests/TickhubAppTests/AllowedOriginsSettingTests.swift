import Hub
import Testing
@testable import TickhubApp

/// `server.allowedOrigins` from the file or `TICKHUB_ALLOWED_ORIGINS`: kept as browsers write origins, and anything
/// that is no origin refused by the name it was given.
@Suite struct AllowedOriginsSettingTests {
    typealias Layers = ConfigurationLayersTests

    @Test func fromTheFileThenTheEnvironment() throws {
        let file = #"{"server": {"allowedOrigins": ["HTTP://LocalHost:3000/", "https://dash.example.net:443"]}}"#
        #expect(try Layers.settings(file: file).server.allowedOrigins == ["http://localhost:3000", "https://dash.example.net"])
        let environment = ["TICKHUB_ALLOWED_ORIGINS": "http://127.0.0.1:5173, http://localhost:5173,"]
        #expect(try Layers.settings(environment: environment, file: file).server.allowedOrigins
            == ["http://127.0.0.1:5173", "http://localhost:5173"])
        #expect(try Layers.settings().server.allowedOrigins.isEmpty)
    }

    @Test func aWildcardOrAPathIsRefusedByTheNameItCameUnder() {
        #expect(Layers.refusal(file: #"{"server": {"allowedOrigins": ["*"]}}"#)?.hasPrefix(#"server.allowedOrigins: "*" is not an origin"#) == true)
        let fromEnvironment = Layers.refusal(environment: ["TICKHUB_ALLOWED_ORIGINS": "http://localhost:3000/app"])
        #expect(fromEnvironment?.contains("TICKHUB_ALLOWED_ORIGINS") == true, "\(fromEnvironment ?? "accepted")")
    }
}
