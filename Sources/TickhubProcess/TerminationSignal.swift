import Foundation

public enum TerminationSignal {
    /// Returns at the first SIGINT or SIGTERM. The signals are taken from their default action first, so the
    /// caller gets to shut down in order (close frames to clients, the database closed) instead of dying mid-write.
    public static func wait() async {
        let (signals, continuation) = AsyncStream.makeStream(of: Int32.self)
        let sources = [SIGINT, SIGTERM].map { sig in
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { continuation.yield(sig) }
            source.resume()
            return source
        }
        for await _ in signals { break }
        sources.forEach { $0.cancel() }
    }
}
