import Foundation

@testable import Hub

/// A client socket that keeps what the fan-out writes, and can be made to choke like a client that stopped reading.
final class FakeConnection: Connection {
    var frames: [[UInt8]] = []
    var pings = 0
    var choked = false
    var writableRequests = 0
    var closed: (status: UInt16, reason: String)?
    var dropped = false

    func sendText(_ frame: UnsafeMutableRawBufferPointer) -> Bool {
        frames.append(Array(frame))
        return true
    }

    func sendPing(_ payload: UnsafeMutableRawBufferPointer) { pings += 1 }
    var isChoked: Bool { choked }
    func requestWritable() { writableRequests += 1 }
    func close(status: UInt16, reason: String) { closed = (status, reason) }
    func drop() { dropped = true }

    /// Every message written, in order: a frame holds one object or an array of them.
    var messages: [[String: Any]] {
        frames.flatMap { frame -> [[String: Any]] in
            let value = try? JSONSerialization.jsonObject(with: Data(frame))
            if let object = value as? [String: Any] { return [object] }
            return value as? [[String: Any]] ?? []
        }
    }

    func quotes(_ symbol: String) -> [[String: Any]] {
        messages.filter { $0["type"] as? String == "quote" && $0["symbol"] as? String == symbol }
    }

    func errors() -> [String] { messages.filter { $0["type"] as? String == "error" }.compactMap { $0["code"] as? String } }
}
