import Foundation

/// The server under load, observed from outside through /proc: CPU time, resident memory, and whether it is
/// still alive (a server that dies mid-run must end the run with an error, not leave the bench waiting).
struct ServerProcess: Sendable {
    let pid: Int

    /// User plus system CPU seconds so far.
    func cpuSeconds() -> Double? { processCPUSeconds(pid: String(pid)) }

    /// VmRSS in KiB.
    func residentKiB() -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            return Int(line.split(separator: " ").dropFirst().first ?? "")
        }
        return nil
    }

    /// False once the process is gone, or is a zombie its parent has not reaped yet: either way it serves nobody.
    var isRunning: Bool {
        if let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
           let close = stat.lastIndex(of: ")") {
            let state = stat[stat.index(after: close)...].split(separator: " ").first
            return state != "Z" && state != "X"
        }
        return kill(pid_t(pid), 0) == 0 || errno == EPERM
    }
}
