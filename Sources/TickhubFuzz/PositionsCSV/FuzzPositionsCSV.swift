import FuzzSupport
import Store
import TickhubCore

// fuzz-positions-csv: a positions file (docs/positions-csv.md) through PositionsCSV.parse, the import's parsing and
// validation without the database. The input is the file, as UTF-8 (invalid sequences replaced, as the HTTP upload
// does).
//
// Checked on every file:
// - nothing traps;
// - an accepted file gives rows on ascending lines after the header, each a valid position: a canonical symbol, a
//   security type a position may have, a finite non-zero quantity, a finite average cost, a finite multiplier
//   above 0, a three-letter currency; validating it again gives it back; no symbol twice;
// - written out again as CSV (every field quoted) and parsed, the rows give the same positions;
// - a refused file lists at least one and at most `PositionsCSV.issueLimit` issues, each on a line the file has, its message
//   starting with that line.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    switch PositionsCSV.parse(text) {
    case let .success(rows):
        checkRows(rows, of: text)
        checkRoundTrip(rows)
    case let .failure(error):
        checkRefusal(error, of: text)
    }
    return 0
}

#if !TICKHUB_FUZZING
@main enum ReplayMain {
    static func main() { Replay.run(fuzz) }
}
#endif
