import Foundation
import NATSLink

/// A real `nats-server -js` on a free loopback port with its JetStream store in a temporary folder of its own, for
/// tests: started at init, waited for by connecting to its port, killed (and its folder removed) at deinit. `stop`,
/// `kill` and `restart` play the faults: the same port and store come back, as a restarted server would.
public final class NATSServerProcess: @unchecked Sendable {
    public let port: Int
    public let folder: URL
    public var url: String { "nats://127.0.0.1:\(port)" }
    private let lock = NSLock()
    private var process: Process?

    public enum Failure: Error, CustomStringConvertible {
        case notFound
        case notListening(port: Int, log: String)

        public var description: String {
            switch self {
            case .notFound: "nats-server is not installed (apt-get install nats-server)"
            case .notListening(let port, let log): "nats-server did not listen on \(port): \(log)"
            }
        }
    }

    /// `configuration`: lines of a nats-server configuration file (limits such as `max_pending`), beside the
    /// command line's listen address, JetStream and store, which win.
    public init(configuration: String? = nil) throws {
        port = try Self.freePort()
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("tickhub-nats-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        if let configuration {
            try configuration.write(to: folder.appendingPathComponent("server.conf"), atomically: true, encoding: .utf8)
        }
        try start()
    }

    deinit {
        kill()
        try? FileManager.default.removeItem(at: folder)
    }

    /// Options for a client of this server: quick to notice a loss and to come back, as the tests' faults need.
    public func clientOptions(name: String = "test") -> NATSOptions {
        NATSOptions(url: url, name: name, reconnectWait: .milliseconds(100), pingInterval: .seconds(1))
    }

    /// Starts the server (again) on the same port and store, and returns once it accepts connections.
    public func start() throws {
        let executable = ["/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server"]
            .first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let executable else { throw Failure.notFound }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = [
            "-js", "-a", "127.0.0.1", "-p", "\(port)", "-sd", folder.appendingPathComponent("store").path,
            "-l", folder.appendingPathComponent("server.log").path,
        ]
        let configuration = folder.appendingPathComponent("server.conf")
        if FileManager.default.fileExists(atPath: configuration.path) {
            process.arguments?.append(contentsOf: ["-c", configuration.path])
        }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        lock.withLock { self.process = process }
        try waitUntilListening(process)
    }

    /// SIGTERM: the server shuts down cleanly (clients see it go).
    public func stop() {
        end(signal: SIGTERM)
    }

    /// SIGKILL: the server vanishes at once.
    public func kill() {
        end(signal: SIGKILL)
    }

    /// SIGSTOP: the server hangs with its sockets open, as behind a blocked network; only pings notice. Returns once
    /// the kernel shows it stopped (a signal is delivered asynchronously).
    public func pause() {
        guard let process = lock.withLock({ process }) else { return }
        Foundation.kill(process.processIdentifier, SIGSTOP)
        waitForState(of: process.processIdentifier) { $0 == "T" || $0 == "t" }
    }

    /// SIGCONT after `pause()`.
    public func resume() {
        guard let process = lock.withLock({ process }) else { return }
        Foundation.kill(process.processIdentifier, SIGCONT)
        waitForState(of: process.processIdentifier) { $0 != "T" && $0 != "t" }
    }

    /// Reads the process's state from /proc every 5 ms until `wanted`, for at most 5 s.
    private func waitForState(of pid: Int32, _ wanted: (Character) -> Bool) {
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline {
            // The state follows the command name, which is in parentheses.
            if let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")"),
                let state = stat[stat.index(after: close)...].first(where: { $0 != " " }), wanted(state)
            {
                return
            }
            Thread.sleep(forTimeInterval: 0.005)
        }
    }

    public func restart() throws {
        stop()
        try start()
    }

    public var log: String {
        (try? String(contentsOf: folder.appendingPathComponent("server.log"), encoding: .utf8)) ?? ""
    }

    private func end(signal: Int32) {
        guard let process = lock.withLock({ () -> Process? in defer { self.process = nil }; return self.process }) else { return }
        if process.isRunning {
            Foundation.kill(process.processIdentifier, signal)
            // A paused server would hold a SIGTERM until continued.
            Foundation.kill(process.processIdentifier, SIGCONT)
        }
        process.waitUntilExit()
    }

    /// Connects to the port every 20 ms until it answers, for at most 10 s.
    private func waitUntilListening(_ process: Process) throws {
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if !process.isRunning { break }
            if Self.accepts(port: port) { return }
            Thread.sleep(forTimeInterval: 0.02)
        }
        kill()
        throw Failure.notListening(port: port, log: String(log.suffix(2_000)))
    }

    private static func accepts(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = loopback(port: port)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }

    /// A port the kernel had free a moment ago (bound to 0 and released).
    private static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = loopback(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw POSIXError(.EADDRINUSE) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    private static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        return address
    }
}
