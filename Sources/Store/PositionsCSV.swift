import Foundation
import TickhubCore

/// Parses a positions CSV (documented in docs/positions-csv.md) into validated positions, or lists every
/// problem found. Pure: no I/O.
///
/// Format: RFC 4180 (commas, optional double quotes with `""` inside, LF or CRLF line ends, an optional UTF-8
/// BOM). The first non-blank line is the header; column names are case-insensitive and may come in any
/// order; `symbol`, `quantity` and `average_cost` are required. Blank lines are skipped.
public enum PositionsCSV {
    public enum Column: String, CaseIterable, Sendable {
        case symbol
        case quantity
        case averageCost = "average_cost"
        case multiplier
        case currency
        case securityType = "security_type"

        public var isRequired: Bool { self == .symbol || self == .quantity || self == .averageCost }
    }

    /// One data row, validated, with the line it came from.
    public struct Row: Sendable, Equatable {
        public var line: Int
        public var position: ValidPosition
    }

    /// Reporting stops after this many problems; a file this broken is the wrong file.
    public static let issueLimit = 100

    public static func parse(_ text: String) -> Result<[Row], StoreError> {
        let records: [Record]
        do { records = try tokenize(text) } catch { return .failure(.csvImport([error])) }

        guard let header = records.first else {
            return .failure(.csvImport([CSVImportIssue(line: 1, column: nil, problem: .missingHeader)]))
        }
        var issues: [CSVImportIssue] = []
        let names = header.fields.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        if !names.contains(where: { Column(rawValue: $0) != nil }) {
            return .failure(.csvImport([CSVImportIssue(line: header.line, column: nil, problem: .missingHeader)]))
        }
        var index: [Column: Int] = [:]
        for (position, name) in names.enumerated() {
            guard let column = Column(rawValue: name) else {
                issues.append(CSVImportIssue(line: header.line, column: name, problem: .unknownColumn(name)))
                continue
            }
            if index[column] != nil {
                issues.append(CSVImportIssue(line: header.line, column: name, problem: .duplicateColumn(name)))
            }
            index[column] = position
        }
        for column in Column.allCases where column.isRequired && index[column] == nil {
            issues.append(CSVImportIssue(line: header.line, column: column.rawValue, problem: .missingColumn(column.rawValue)))
        }
        // A header of a hundred unknown columns is as much the wrong file as a hundred bad rows.
        guard issues.isEmpty else { return .failure(.csvImport(Array(issues.prefix(issueLimit)))) }

        var rows: [Row] = []
        var firstLine: [String: Int] = [:]
        for record in records.dropFirst() {
            guard issues.count < issueLimit else { break }
            guard record.fields.count == names.count else {
                issues.append(CSVImportIssue(
                    line: record.line, column: nil, problem: .fieldCount(expected: names.count, found: record.fields.count)))
                continue
            }
            switch row(record, index: index) {
            case let .failure(issue):
                issues.append(issue)
            case let .success(valid):
                if let first = firstLine[valid.symbol] {
                    issues.append(CSVImportIssue(line: record.line, column: Column.symbol.rawValue, problem: .duplicateRow(firstLine: first)))
                } else {
                    firstLine[valid.symbol] = record.line
                    rows.append(Row(line: record.line, position: valid))
                }
            }
        }
        return issues.isEmpty ? .success(rows) : .failure(.csvImport(issues))
    }

    static func row(_ record: Record, index: [Column: Int]) -> Result<ValidPosition, CSVImportIssue> {
        func field(_ column: Column) -> String? {
            guard let position = index[column] else { return nil }
            let text = record.fields[position].trimmingCharacters(in: .whitespaces)
            return text.isEmpty && !column.isRequired ? nil : text
        }
        func number(_ column: Column) -> Result<Double?, CSVImportIssue> {
            guard let text = field(column) else { return .success(nil) }
            guard let value = decimal(text) else {
                return .failure(CSVImportIssue(line: record.line, column: column.rawValue, problem: .notANumber(text)))
            }
            return .success(value)
        }

        let quantity: Double?, cost: Double?, multiplier: Double?
        switch (number(.quantity), number(.averageCost), number(.multiplier)) {
        case let (.failure(issue), _, _), let (_, .failure(issue), _), let (_, _, .failure(issue)):
            return .failure(issue)
        case let (.success(q), .success(c), .success(m)):
            (quantity, cost, multiplier) = (q, c, m)
        }
        let draft = PositionDraft(
            symbol: field(.symbol) ?? "", quantity: quantity ?? 0, averageCost: cost ?? 0, multiplier: multiplier,
            currency: field(.currency), securityType: field(.securityType))
        do {
            return .success(try draft.validated())
        } catch {
            return .failure(CSVImportIssue(line: record.line, column: error.field, problem: .invalid(error)))
        }
    }

    /// A plain decimal: optional sign, digits with at most one '.', optional exponent. No thousands separators,
    /// currency signs, hex, `nan` or `inf`.
    static func decimal(_ text: String) -> Double? {
        guard !text.isEmpty,
              text.unicodeScalars.allSatisfy({ ("0"..."9").contains($0) || "+-.eE".unicodeScalars.contains($0) }),
              let value = Double(text), value.isFinite
        else { return nil }
        return value
    }

    // MARK: Tokenizing

    struct Record: Equatable {
        /// The line the record starts on, counting from 1.
        var line: Int
        var fields: [String]
    }

    /// Splits RFC 4180 text into records, skipping blank lines.
    static func tokenize(_ text: String) throws(CSVImportIssue) -> [Record] {
        var records: [Record] = []
        var fields: [String] = []
        var field = ""
        var line = 1
        var recordLine = 1
        var inQuotes = false
        var fieldWasQuoted = false
        var afterClosingQuote = false

        func endRecord() {
            fields.append(field)
            let blank = fields.count == 1 && fields[0].trimmingCharacters(in: .whitespaces).isEmpty && !fieldWasQuoted
            if !blank { records.append(Record(line: recordLine, fields: fields)) }
            fields = []
            field = ""
            fieldWasQuoted = false
            afterClosingQuote = false
        }

        var characters = Substring(text)
        if characters.first == "\u{FEFF}" { characters = characters.dropFirst() }
        var iterator = characters.makeIterator()
        var pending: Character? = nil
        while let c = pending ?? iterator.next() {
            pending = nil
            let isNewline = c == "\n" || c == "\r\n" || c == "\r"
            if inQuotes {
                if c == "\"" {
                    let next = iterator.next()
                    if next == "\"" {
                        field.append("\"")
                    } else {
                        inQuotes = false
                        afterClosingQuote = true
                        pending = next
                    }
                } else {
                    if isNewline { line += 1 }
                    field.append(c)
                }
                continue
            }
            if c == "," {
                fields.append(field)
                field = ""
                fieldWasQuoted = false
                afterClosingQuote = false
            } else if isNewline {
                endRecord()
                line += 1
                recordLine = line
            } else if c == "\"", field.trimmingCharacters(in: .whitespaces).isEmpty, !afterClosingQuote {
                // A quoted field (spaces before the quote are tolerated and dropped).
                field = ""
                inQuotes = true
                fieldWasQuoted = true
            } else if afterClosingQuote, c == " " || c == "\t" {
                continue
            } else {
                field.append(c)
            }
        }
        if inQuotes { throw CSVImportIssue(line: recordLine, column: nil, problem: .unterminatedQuote) }
        if !field.isEmpty || !fields.isEmpty || fieldWasQuoted { endRecord() }
        return records
    }
}
