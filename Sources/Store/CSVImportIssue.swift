/// One problem in a positions CSV, located by file line (the header is line 1) and column.
public struct CSVImportIssue: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Problem: Equatable, Sendable {
        /// The first line is not a header naming the columns.
        case missingHeader
        case unknownColumn(String)
        case duplicateColumn(String)
        case missingColumn(String)
        /// A row has a different number of fields than the header.
        case fieldCount(expected: Int, found: Int)
        /// A quoted field is never closed.
        case unterminatedQuote
        /// A numeric column holds text that is not a plain decimal number.
        case notANumber(String)
        /// The same symbol already appeared on `firstLine`.
        case duplicateRow(firstLine: Int)
        /// The row parsed but the position it describes is invalid.
        case invalid(PositionValidationError)
    }

    /// The line the problem is on (for a row, the line it starts on).
    public var line: Int
    /// The column, as named in the header (or expected in it); nil for problems with a whole row.
    public var column: String?
    public var problem: Problem

    public init(line: Int, column: String?, problem: Problem) {
        self.line = line
        self.column = column
        self.problem = problem
    }

    public var description: String {
        let location = column.map { "line \(line), column \($0)" } ?? "line \(line)"
        let text: String = switch problem {
        case .missingHeader:
            "the first line must be the header naming the columns, such as \(PositionsCSV.Column.allCases.map(\.rawValue).joined(separator: ","))"
        case let .unknownColumn(name):
            "unknown column \"\(name)\"; the columns are \(PositionsCSV.Column.allCases.map(\.rawValue).joined(separator: ", "))"
        case let .duplicateColumn(name): "the column \(name) appears twice"
        case let .missingColumn(name): "the required column \(name) is missing"
        case let .fieldCount(expected, found): "\(found) fields where the header has \(expected)"
        case .unterminatedQuote: "a quoted field is not closed"
        case let .notANumber(text): text.isEmpty ? "is empty; a number is required" : "\"\(text)\" is not a number"
        case let .duplicateRow(firstLine): "duplicates line \(firstLine): the same symbol appears twice"
        case let .invalid(error): "\(error)"
        }
        return "\(location): \(text)"
    }
}
