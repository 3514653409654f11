import Foundation

import Hub

/// A client socket that keeps what the fan-out writes, and can be made to choke like a client that stopped reading.
package final class FakeConnection: Connection {
    package init() {}
    package var frames: [[UInt8]] = []
    package var pings = 0
    package var choked = false
    package var writableRequests = 0
    package var closed: (status: UInt16, reason: String)?
    package var dropped = false

    package func sendText(_ frame: UnsafeMutableRawBufferPointer) -> Bool {
        frames.append(Array(frame))
        return true
    }

    package func sendPing(_ payload: UnsafeMutableRawBufferPointer) { pings += 1 }
    package var isChoked: Bool { choked }
    package func requestWritable() { writableRequests += 1 }
    package func close(status: UInt16, reason: String) { closed = (status, reason) }
    package func drop() { dropped = true }

    /// Every message written, in order: a frame holds one object or an array of them.
    package var messages: [[String: Any]] {
        frames.flatMap { frame -> [[String: Any]] in
            let value = try? JSONSerialization.jsonObject(with: Data(frame))
            if let object = value as? [String: Any] { return [object] }
            return value as? [[String: Any]] ?? []
        }
    }

    package func quotes(_ symbol: String) -> [[String: Any]] {
        messages.filter { $0["type"] as? String == "quote" && $0["symbol"] as? String == symbol }
    }

    package func errors() -> [String] { messages.filter { $0["type"] as? String == "error" }.compactMap { $0["code"] as? String } }
}
