import Histogram
import NIOCore
import NIOPosix

/// The load clients: connected at a paced ramp, spread round-robin over a few event-loop threads, each loop with
/// one tally its clients share. Used only from the command's task; the tallies are read on their loops.
final class ClientFleet {
    /// One client's watchlist (symbol indices), and whether it stops reading after subscribing.
    struct Client {
        let symbols: [Int]
        let slow: Bool
    }

    struct Counts: Sendable {
        var updates = 0
        var frames = 0
        var connected = 0
        var disconnected = 0

        mutating func add(_ other: Counts) {
            updates += other.updates
            frames += other.frames
            connected += other.connected
            disconnected += other.disconnected
        }
    }

    private let group: MultiThreadedEventLoopGroup
    private let loops: [EventLoop]
    private let tallies: [LoadTally]
    private var channels: [Channel] = []
    private(set) var failed = 0
    private(set) var firstFailure: String?
    /// Per symbol index, how many connected reading clients subscribe to it.
    private(set) var readers: [Int]

    var connected: Int { channels.count }

    init(threads: Int, clock: ClockField, universeSize: Int) {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        self.group = group
        loops = (0..<threads).map { _ in group.next() }
        tallies = loops.map { _ in LoadTally(clock: clock) }
        readers = Array(repeating: 0, count: universeSize)
    }

    /// Connects every client, `ramp` per second, and returns the connect phase's seconds. Without `subscribe`
    /// the clients only hold their connections (idle). Every connection either upgrades or fails within its
    /// timeout, so this always ends.
    func connect(host: String, port: Int, path: String, clients: [Client], universe: [String], subscribe: Bool,
                 ramp: Double) async -> Double {
        let start = ContinuousClock.now
        var pending: [EventLoopFuture<Channel>] = []
        pending.reserveCapacity(clients.count)
        for (i, client) in clients.enumerated() {
            let message = subscribe
                ? #"{"op":"subscribe","symbols":["# + client.symbols.map { "\"\(universe[$0])\"" }.joined(separator: ",")
                    + "]}"
                : nil
            let tally = tallies[i % tallies.count]
            pending.append(LoadClient.connect(
                host: host, port: port, path: path, loop: loops[i % loops.count], subscribe: message, tally: tally,
                slow: client.slow))
            // Pace the ramp: a burst of thousands of handshakes would measure the listen backlog, not the server.
            let due = start + .microseconds(Int64(Double(i + 1) / ramp * 1_000_000))
            if ContinuousClock.now < due { try? await Task.sleep(until: due) }
        }
        for (future, client) in zip(pending, clients) {
            do {
                channels.append(try await future.get())
                if !client.slow { for symbol in client.symbols { readers[symbol] += 1 } }
            } catch {
                failed += 1
                if firstFailure == nil { firstFailure = "\(error)" }
            }
        }
        return (ContinuousClock.now - start) / .seconds(1)
    }

    func counts() async throws -> Counts {
        try await everyLoop { _ in }
    }

    /// Clears the latency histograms and starts timing updates (and, for a burst, tracking each update).
    func startRecording(burst: Bool) async throws -> Counts {
        try await everyLoop { tally in
            tally.latency.reset()
            tally.burst = burst ? BurstTracker() : nil
            tally.recording = true
        }
    }

    /// Stops timing and returns the counts with every loop's histogram (and burst tracker) merged.
    func stopRecording() async throws -> (Counts, Histogram<UInt64>, BurstTracker?) {
        var histogram = LatencyHistogram.make()
        var burst: BurstTracker?
        var total = Counts()
        for (loop, tally) in zip(loops, tallies) {
            let (counts, latency, tracker) = try await loop.submit {
                tally.recording = false
                defer { tally.burst = nil }
                return (Self.counts(of: tally), tally.latency, tally.burst)
            }.get()
            total.add(counts)
            histogram.add(latency)
            if let tracker {
                if burst == nil { burst = BurstTracker() }
                burst!.merge(tracker)
            }
        }
        return (total, histogram, burst)
    }

    /// Runs `body` on each loop with its tally and sums the counts read right after it.
    private func everyLoop(_ body: @escaping @Sendable (LoadTally) -> Void) async throws -> Counts {
        var total = Counts()
        for (loop, tally) in zip(loops, tallies) {
            total.add(try await loop.submit {
                body(tally)
                return Self.counts(of: tally)
            }.get())
        }
        return total
    }

    private static func counts(of tally: LoadTally) -> Counts {
        Counts(updates: tally.updates, frames: tally.frames, connected: tally.connected,
               disconnected: tally.disconnected)
    }

    /// How many clients have received the burst update stamped `sent` so far.
    func burstReceivers(of sent: UInt64) async throws -> Int {
        var receivers = 0
        for (loop, tally) in zip(loops, tallies) {
            receivers += try await loop.submit { tally.burst?.receivers(of: sent) ?? 0 }.get()
        }
        return receivers
    }

    func close() async {
        for channel in channels { channel.close(promise: nil) }
        try? await group.shutdownGracefully()
    }
}
