/// What a binary was built from; `generatedVersion` and `generatedCommit` are written by the BuildInfo plugin.
public enum BuildInfo {
    public static let version = generatedVersion
    /// Twelve hex digits, with `-modified` when tracked files differed from that commit; `unknown` outside git.
    public static let commit = generatedCommit

    /// `0.9.0 (commit 1a2b3c4d5e6f)`: what `--version` prints.
    public static var description: String { "\(version) (commit \(commit))" }
}
