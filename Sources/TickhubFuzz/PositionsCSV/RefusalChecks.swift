import FuzzSupport
import Store

func checkRefusal(_ error: StoreError, of text: String) {
    guard case let .csvImport(issues) = error else { violated("parsing alone failed with \(error)") }
    invariant(!issues.isEmpty, "a file refused without an issue")
    invariant(issues.count <= PositionsCSV.issueLimit, "\(issues.count) issues reported, more than \(PositionsCSV.issueLimit)")
    let lines = lineCount(text)
    for issue in issues {
        invariant(issue.line >= 1 && issue.line <= lines, "an issue on line \(issue.line) of \(lines): \(issue)")
        invariant(issue.description.hasPrefix("line \(issue.line)"), "the issue \(issue.description.debugDescription) does not say its line first")
        invariant(issue.description.count > "line \(issue.line): ".count, "the issue on line \(issue.line) says nothing")
    }
}
