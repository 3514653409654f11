#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The process's own figures, as Prometheus' client libraries name them (`process_*`), read from /proc when
/// `/metrics` is asked for. Off Linux, or when /proc cannot be read, there are none: no figure is better than a
/// made-up one.
struct ProcessFigures: Equatable {
    var cpuSeconds: Double
    var residentBytes: Double
    var virtualBytes: Double
    var startTimeSeconds: Double
    var openFileDescriptors: Double?
    var maxFileDescriptors: Double?

    /// This process's, now.
    static func current() -> ProcessFigures? {
        guard let stat = readText("/proc/self/stat"), let machine = readText("/proc/stat") else { return nil }
        let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))
        let pageSize = Double(sysconf(Int32(_SC_PAGESIZE)))
        guard var figures = parse(stat: stat, machineStat: machine, ticksPerSecond: ticksPerSecond, pageSize: pageSize) else {
            return nil
        }
        figures.openFileDescriptors = countEntries("/proc/self/fd").map(Double.init)
        var limit = rlimit()
        if getrlimit(RLIMIT_NOFILE_VALUE, &limit) == 0, limit.rlim_cur != rlim_t.max { figures.maxFileDescriptors = Double(limit.rlim_cur) }
        return figures
    }

    /// From `/proc/self/stat` (proc(5): utime 14, stime 15, starttime 22 in clock ticks since boot, vsize 23 in
    /// bytes, rss 24 in pages) and the boot time `btime` of `/proc/stat`. The command name (field 2) may hold spaces
    /// and parentheses, so fields are counted after its last `)`.
    static func parse(stat: String, machineStat: String, ticksPerSecond: Double, pageSize: Double) -> ProcessFigures? {
        guard let close = stat.lastIndex(of: ")"), ticksPerSecond > 0 else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        func field(_ number: Int) -> Double? { number - 3 < fields.count ? Double(fields[number - 3]) : nil }
        guard let utime = field(14), let stime = field(15), let start = field(22), let vsize = field(23), let rss = field(24),
              let bootLine = machineStat.split(separator: "\n").first(where: { $0.hasPrefix("btime ") }),
              let boot = Double(bootLine.dropFirst("btime ".count).trimmingPrefix(" "))
        else { return nil }
        return ProcessFigures(
            cpuSeconds: (utime + stime) / ticksPerSecond, residentBytes: rss * pageSize, virtualBytes: vsize,
            startTimeSeconds: boot + start / ticksPerSecond, openFileDescriptors: nil, maxFileDescriptors: nil)
    }

    private static func readText(_ path: String) -> String? {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 { return nil }
            if count == 0 { break }
            bytes += chunk[..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func countEntries(_ path: String) -> Int? {
        guard let directory = opendir(path) else { return nil }
        defer { closedir(directory) }
        var count = 0
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { Array($0.prefix(3)) }
            if name.starts(with: [UInt8(ascii: "."), 0]) || name.starts(with: [UInt8(ascii: "."), UInt8(ascii: "."), 0]) { continue }
            count += 1
        }
        // The descriptor opendir holds while it lists is not one of the process's own.
        return count - 1
    }
}

#if canImport(Glibc)
private let RLIMIT_NOFILE_VALUE = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
#else
private let RLIMIT_NOFILE_VALUE = RLIMIT_NOFILE
#endif
