#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs saved inputs through a fuzz target, for builds without libFuzzer.
///
/// A plain `swift build` compiles the fuzz targets too, and an executable needs a `main` there, which
/// libFuzzer provides only when linked in. This one replays files and directories of inputs (a corpus, a crash
/// file), so the invariants can be checked without sanitizers, and under a debugger.
public enum Replay {
    public static func run(_ target: (UnsafePointer<UInt8>, Int) -> CInt) {
        let paths = CommandLine.arguments.dropFirst()
        guard !paths.isEmpty else {
            print("usage: \(CommandLine.arguments[0]) <input file or corpus directory>...")
            exit(2)
        }
        var count = 0
        for path in paths {
            for file in files(at: path) {
                let bytes = read(file)
                // libFuzzer never passes a null pointer, even for an empty input: one spare byte keeps it so.
                _ = (bytes + [0]).withUnsafeBufferPointer { target($0.baseAddress!, bytes.count) }
                count += 1
            }
        }
        print("\(count) inputs replayed, every invariant held")
    }

    static func files(at path: String) -> [String] {
        guard let dir = opendir(path) else { return [path] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if !name.hasPrefix(".") { names.append(path + "/" + name) }
        }
        return names.sorted()
    }

    static func read(_ path: String) -> [UInt8] {
        guard let file = fopen(path, "rb") else {
            print("cannot open \(path)")
            exit(2)
        }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = fread(&chunk, 1, chunk.count, file)
            if n <= 0 { break }
            bytes += chunk[..<n]
        }
        return bytes
    }
}
