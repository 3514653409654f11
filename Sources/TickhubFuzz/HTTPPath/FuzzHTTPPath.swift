import CReadWatch
import FuzzSupport
import Hub
import HubProtocol

// fuzz-http-path: a request line as it reaches the hub, through everything that reads it before an endpoint
// does: the tap's `%00` mender (clws_request_line_scan, the bytes cut into reads), the decoding lws does
// (`RequestLine.swift`), the control-character check, the route table and the dashboard's file names.
//
// Input: byte 0 picks the method, byte 1 how the bytes are cut into reads (`Chunking`), the rest is the line.
//
// Checked on every line:
// - before the first newline, the mender changes exactly each raw NUL (to 0x01) and the last `0` of each `%00`,
//   and nothing else, whatever the cuts; the line it leaves decodes to no NUL byte;
// - RequestTarget.problem refuses exactly the paths and arguments holding a control character, in words free of
//   them;
// - the route table answers every method on every path, the same way twice: a found endpoint's remainder is the
//   path's tail (empty for an exact path); a 405 lists methods, not the one asked, each of which finds an
//   endpoint there; HEAD finds what GET finds;
// - a dashboard file name is a plain relative name: no `..`, no hidden part, no control character, no backslash.

let methods: [HTTPRequest.Method] = [.get, .post, .put, .patch, .delete, .options, .head]
/// A descriptor no test process holds: the mender keys its state by descriptor alone.
let fd: Int32 = 1_000

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let method = methods[Int(input.byte()) % methods.count]
    let chunking = Chunking(input.byte())
    let line = Array(input.bytes.dropFirst(2))

    let mended = mend(line, chunking)
    invariant(mended == RequestLine.expectedMend(line), "\(chunking): mended \(line) to \(mended)")
    let target = RequestLine.decode(mended)
    invariant(!target.path.utf8.contains(0), "a NUL survived in the path \(target.path.debugDescription)")
    for (name, value) in target.query {
        invariant(!name.utf8.contains(0) && !value.utf8.contains(0), "a NUL survived in the argument \(name.debugDescription)")
    }

    checkProblem(target)
    checkRoutes(method, target.path)
    if let name = RequestTarget.dashboardFile(target.path) {
        invariant(!name.isEmpty && !name.hasPrefix("/") && !name.hasPrefix("."), "file \(name.debugDescription)")
        invariant(!name.contains("..") && !name.contains("/.") && !name.contains("\\"), "file \(name.debugDescription)")
        invariant(!holdsControl(name), "file \(name.debugDescription)")
    }
    return 0
}

/// The line through the C mender, read by read.
func mend(_ line: [UInt8], _ chunking: Chunking) -> [UInt8] {
    var bytes = line
    clws_request_line_watch(fd)
    var at = 0
    for size in chunking.sizes(for: bytes.count) {
        bytes.withUnsafeMutableBufferPointer { buffer in
            clws_request_line_scan(fd, buffer.baseAddress! + at, size)
        }
        at += size
    }
    clws_request_line_unwatch(fd)
    return bytes
}

func checkProblem(_ target: RequestLine.Target) {
    let expected = holdsControl(target.path) || target.query.contains { holdsControl($0.key) || holdsControl($0.value) }
    let problem = RequestTarget.problem(path: target.path, query: target.query)
    invariant((problem != nil) == expected, "problem \(problem ?? "none") for \(target.path.debugDescription) \(target.query)")
    if let problem { invariant(!holdsControl(problem), "a control character in \(problem.debugDescription)") }
}

/// The target's own oracle, written plainly rather than taken from the code it checks.
func holdsControl(_ text: String) -> Bool { text.utf8.contains { $0 < 0x20 || $0 == 0x7F } }

/// The routes the hub registers itself (the Portfolio module's are of the same table type, added the same way).
let table = HubRouter.hubRoutes().table

func checkRoutes(_ method: HTTPRequest.Method, _ path: String) {
    let match = table.match(method, path)
    invariant(describe(table.match(method, path)) == describe(match), "two matches of \(path.debugDescription) differ")
    switch match {
    case let .found(_, remainder):
        invariant(path.hasSuffix(remainder), "remainder \(remainder.debugDescription) is not the tail of \(path.debugDescription)")
        if method == .get {
            invariant(describe(table.match(.head, path)) == describe(match), "HEAD differs from GET on \(path.debugDescription)")
        }
    case let .methodNotAllowed(allow):
        invariant(!allow.isEmpty && !allow.contains(method), "405 for \(method) allowing \(allow)")
        for other in allow {
            guard case .found = table.match(other, path) else { violated("\(other) allowed on \(path.debugDescription) finds nothing") }
        }
    case .notFound:
        for other in methods {
            guard case .notFound = table.match(other, path) else { violated("\(path.debugDescription) unknown to \(method) only") }
        }
    }
}

func describe(_ match: RouteTable<HubRouter.Route>.Match) -> String {
    switch match {
    case let .found(route, remainder): "found \(route.name) \(remainder)"
    case let .methodNotAllowed(allow): "405 \(allow)"
    case .notFound: "404"
    }
}

#if !TICKHUB_FUZZING
@main enum ReplayMain {
    static func main() { Replay.run(fuzz) }
}
#endif
