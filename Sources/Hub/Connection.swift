/// A client's socket as the fan-out sees it. The host implements it over lws (`LwsConnection`); the fan-out's
/// tests implement it with a fake, so every fan-out rule is checked without a socket.
///
/// Frames are written from the hub's scratch buffer, which has `FanoutHub.frameHeadroom` writable bytes in front
/// of each frame (lws builds its frame header there).
package protocol Connection {
    /// Writes one text frame; false when the connection failed (it is then dropped).
    func sendText(_ frame: UnsafeMutableRawBufferPointer) -> Bool
    func sendPing(_ payload: UnsafeMutableRawBufferPointer)
    /// Part of the last frame is still waiting for room in the socket: the client is not keeping up.
    var isChoked: Bool { get }
    /// Asks for `FanoutHub.writable` (or, for an HTTP exchange, its answer) once the socket has room.
    func requestWritable()
    /// Closes with a close frame giving the status and why, before this returns.
    func close(status: UInt16, reason: String)
    /// Drops the connection soon, without a close frame.
    func drop()
}
