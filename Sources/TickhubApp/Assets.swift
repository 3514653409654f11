import Foundation

/// The files the hub serves or loads besides its code: the dashboard, the OpenAPI document, the example
/// configuration and the demo portfolio.
///
/// Found in this order (docs/configuration.md): `--assets DIR` / `TICKHUB_ASSETS`, then `../share/tickhub`
/// beside the executable (what `make install` lays out), then the source tree the binary was built from.
/// Never the working directory: a hub started from `/` must serve the same page as one started anywhere else.
public struct Assets: Equatable, Sendable {
    /// The directory holding the dashboard's `index.html`.
    public var dashboard: String?
    /// The directory holding `openapi.yaml`.
    public var openAPIDirectory: String?
    public var demoPortfolio: String?
    public var exampleConfiguration: String?
    /// Where they were found, for the startup line.
    public var origin: String

    /// An installed `share/tickhub` holds the files side by side; a source tree keeps them where they are edited.
    enum Layout: CaseIterable {
        case installed, sourceTree

        func assets(in root: String, origin: String) -> Assets {
            switch self {
            case .installed:
                Assets(dashboard: root + "/dashboard", openAPIDirectory: root, demoPortfolio: root + "/sim-portfolio.json",
                       exampleConfiguration: root + "/tickhub.example.json", origin: origin)
            case .sourceTree:
                Assets(dashboard: root + "/clients/dashboard", openAPIDirectory: root + "/docs",
                       demoPortfolio: root + "/config/sim-portfolio.json",
                       exampleConfiguration: root + "/config/tickhub.example.json", origin: origin)
            }
        }
    }

    /// The source tree this file was compiled in: `<root>/Sources/TickhubApp/Assets.swift`.
    public static let sourceRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    /// The executable's own directory, symlinks resolved (an installed `bin/tickhub` may be a link).
    public static var executableDirectory: String {
        URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent().path
    }

    /// The first place holding a dashboard. With `requireDashboard` false (`--no-dashboard`) a hub may run
    /// without one; it still takes the OpenAPI document and demo portfolio from the first place that has them.
    public static func locate(
        explicit: String?, executableDirectory: String = executableDirectory, sourceRoot: String = sourceRoot,
        requireDashboard: Bool = true
    ) throws -> Assets {
        let fm = FileManager.default
        var candidates: [(root: String, origin: String)] = []
        if let explicit, !explicit.isEmpty {
            candidates = [(explicit, "--assets / TICKHUB_ASSETS")]
        } else {
            let share = URL(fileURLWithPath: executableDirectory).deletingLastPathComponent()
                .appendingPathComponent("share/tickhub").standardizedFileURL.path
            candidates = [(share, "beside the executable"), (sourceRoot, "the source tree it was built from")]
        }
        var looked: [String] = []
        for candidate in candidates {
            for layout in Layout.allCases {
                let assets = layout.assets(in: candidate.root, origin: "\(candidate.origin): \(candidate.root)")
                if let dashboard = assets.dashboard, fm.fileExists(atPath: dashboard + "/index.html") { return assets }
            }
            looked.append("\(candidate.root) (\(candidate.origin))")
        }
        guard !requireDashboard else {
            throw ConfigurationError(
                "no dashboard found; looked in \(looked.joined(separator: ", ")). Install with `make install`, point --assets "
                    + "(or TICKHUB_ASSETS) at a share/tickhub directory, or pass --no-dashboard to serve the API alone")
        }
        var assets = Assets(origin: "none: --no-dashboard")
        for candidate in candidates {
            for layout in Layout.allCases {
                let found = layout.assets(in: candidate.root, origin: assets.origin)
                if assets.openAPIDirectory == nil, let dir = found.openAPIDirectory, fm.fileExists(atPath: dir + "/openapi.yaml") {
                    assets.openAPIDirectory = dir
                }
                if assets.demoPortfolio == nil, let file = found.demoPortfolio, fm.fileExists(atPath: file) { assets.demoPortfolio = file }
            }
        }
        return assets
    }
}
