/// Stops the run when a property the code promises does not hold.
///
/// A trap is what libFuzzer records as a crash and saves an input for; the message goes to stderr first,
/// so the report says which property broke and not only where.
public func invariant(
    _ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String,
    file: StaticString = #fileID, line: UInt = #line
) {
    if !condition() { fatalError("invariant violated: \(message())", file: file, line: line) }
}

public func violated(_ message: String, file: StaticString = #fileID, line: UInt = #line) -> Never {
    fatalError("invariant violated: \(message)", file: file, line: line)
}
