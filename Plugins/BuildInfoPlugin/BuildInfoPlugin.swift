import Foundation
import PackagePlugin

/// Writes the version (from VERSION) and the git commit into the target before every build, so `--version`
/// names the exact source a binary came from. The script leaves the file alone when nothing changed, which
/// keeps incremental builds incremental.
@main
struct BuildInfoPlugin: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let output = context.pluginWorkDirectoryURL.appending(path: "generated")
        let root = context.package.directoryURL
        return [
            .prebuildCommand(
                displayName: "Build info for \(target.name)",
                executable: URL(fileURLWithPath: "/bin/sh"),
                arguments: [root.appending(path: "scripts/build-info.sh").path, root.path, output.path],
                outputFilesDirectory: output)
        ]
    }
}
