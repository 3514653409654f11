import Foundation
import Testing
@testable import TickhubApp

@Suite struct AssetsTests {
    /// A scratch directory removed at the end of the test.
    final class Scratch {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("assets-\(UUID().uuidString)").path
        init() { try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) }
        deinit { try? FileManager.default.removeItem(atPath: path) }

        func file(_ relative: String, _ text: String = "x") {
            let url = URL(fileURLWithPath: path + "/" + relative)
            try? FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            FileManager.default.createFile(atPath: url.path, contents: Data(text.utf8))
        }
    }

    static func installedLayout(_ scratch: Scratch, under root: String) {
        scratch.file("\(root)/dashboard/index.html")
        scratch.file("\(root)/openapi.yaml")
        scratch.file("\(root)/sim-portfolio.json")
    }

    @Test func theInstalledShareDirectoryBesideTheExecutableComesBeforeTheSourceTree() throws {
        let s = Scratch()
        Self.installedLayout(s, under: "prefix/share/tickhub")
        s.file("src/clients/dashboard/index.html")
        let assets = try Assets.locate(explicit: nil, executableDirectory: s.path + "/prefix/bin", sourceRoot: s.path + "/src")
        #expect(assets.dashboard == s.path + "/prefix/share/tickhub/dashboard")
        #expect(assets.openAPIDirectory == s.path + "/prefix/share/tickhub")
        #expect(assets.demoPortfolio == s.path + "/prefix/share/tickhub/sim-portfolio.json")
    }

    @Test func theSourceTreeIsTheLastResort() throws {
        let s = Scratch()
        s.file("src/clients/dashboard/index.html")
        let assets = try Assets.locate(explicit: nil, executableDirectory: s.path + "/bin", sourceRoot: s.path + "/src")
        #expect(assets.dashboard == s.path + "/src/clients/dashboard")
        #expect(assets.openAPIDirectory == s.path + "/src/docs")
    }

    @Test func anExplicitDirectoryIsTheOnlyPlaceLookedAt() throws {
        let s = Scratch()
        Self.installedLayout(s, under: "mine")
        s.file("src/clients/dashboard/index.html")
        let assets = try Assets.locate(explicit: s.path + "/mine", executableDirectory: s.path + "/bin", sourceRoot: s.path + "/src")
        #expect(assets.dashboard == s.path + "/mine/dashboard")
        let error = #expect(throws: ConfigurationError.self) {
            try Assets.locate(explicit: s.path + "/empty", executableDirectory: s.path + "/bin", sourceRoot: s.path + "/src")
        }
        #expect(error?.description.contains(s.path + "/empty (--assets / TICKHUB_ASSETS)") == true)
    }

    @Test func withNoDashboardAnywhereTheErrorNamesEveryPlaceLooked() {
        let s = Scratch()
        let error = #expect(throws: ConfigurationError.self) {
            try Assets.locate(explicit: nil, executableDirectory: s.path + "/prefix/bin", sourceRoot: s.path + "/src")
        }
        let text = error?.description ?? ""
        #expect(text.contains(s.path + "/prefix/share/tickhub (beside the executable)"))
        #expect(text.contains(s.path + "/src (the source tree it was built from)"))
        #expect(text.contains("--no-dashboard"))
    }

    @Test func withoutADashboardTheAPIDocumentIsStillFound() throws {
        let s = Scratch()
        s.file("src/docs/openapi.yaml")
        let assets = try Assets.locate(
            explicit: nil, executableDirectory: s.path + "/bin", sourceRoot: s.path + "/src", requireDashboard: false)
        #expect(assets.dashboard == nil)
        #expect(assets.openAPIDirectory == s.path + "/src/docs")
    }
}
