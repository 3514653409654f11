import FuzzSupport
import Store
import TickhubCore

func checkRows(_ rows: [PositionsCSV.Row], of text: String) {
    let lines = lineCount(text)
    var previous = 1
    var symbols: Set<String> = []
    for row in rows {
        invariant(row.line > previous && row.line <= lines, "a row on line \(row.line), after \(previous), of \(lines) lines")
        previous = row.line
        let position = row.position
        invariant(symbols.insert(position.symbol).inserted, "\(position.symbol) imported twice")
        guard let canonical = try? SymbolGrammar.parse(position.symbol).symbol, canonical == position.symbol else {
            violated("line \(row.line) holds \(position.symbol.debugDescription), not a canonical symbol")
        }
        invariant(PositionDraft.securityTypes.contains(position.securityType), "line \(row.line) holds a \(position.securityType)")
        invariant(position.quantity.isFinite && position.quantity != 0, "line \(row.line): quantity \(position.quantity)")
        invariant(position.averageCost.isFinite, "line \(row.line): average cost \(position.averageCost)")
        invariant(position.multiplier.isFinite && position.multiplier > 0, "line \(row.line): multiplier \(position.multiplier)")
        invariant(position.currency.unicodeScalars.count == 3 && position.currency.unicodeScalars.allSatisfy { ("A"..."Z").contains($0) },
                  "line \(row.line): currency \(position.currency.debugDescription)")
        let draft = PositionDraft(
            symbol: position.symbol, quantity: position.quantity, averageCost: position.averageCost,
            multiplier: position.multiplier, currency: position.currency, securityType: position.securityType.rawValue)
        do {
            let again = try draft.validated()
            invariant(again == position, "line \(row.line): \(position) validates again as \(again)")
        } catch {
            violated("line \(row.line): \(position) is refused when validated again: \(error)")
        }
    }
}

/// The rows as a file of their own, every field quoted; it must import as the same positions.
func checkRoundTrip(_ rows: [PositionsCSV.Row]) {
    var file = "symbol,quantity,average_cost,multiplier,currency,security_type\r\n"
    for row in rows {
        let p = row.position
        let fields = [p.symbol, "\(p.quantity)", "\(p.averageCost)", "\(p.multiplier)", p.currency, p.securityType.rawValue]
        file += fields.map { "\"" + $0.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }.joined(separator: ",") + "\r\n"
    }
    switch PositionsCSV.parse(file) {
    case let .success(again):
        invariant(again.map(\.position) == rows.map(\.position), "written out and read again, \(rows) became \(again)")
    case let .failure(error):
        violated("written out again, the rows are refused: \(error)\n\(file)")
    }
}

/// Lines as the importer counts them: LF, CRLF and CR each end one.
func lineCount(_ text: String) -> Int {
    1 + text.reduce(0) { $0 + ($1 == "\n" || $1 == "\r\n" || $1 == "\r" ? 1 : 0) }
}
