import Hub
import CLws
import CLwsShim

/// A `Connection` over an lws socket. A value: it is the pointer, nothing more.
struct LwsConnection: Connection {
    let wsi: OpaquePointer

    func sendText(_ frame: UnsafeMutableRawBufferPointer) -> Bool {
        guard let base = frame.baseAddress else { return true }
        return lws_write(wsi, base.assumingMemoryBound(to: UInt8.self), frame.count, LWS_WRITE_TEXT) >= frame.count
    }

    func sendPing(_ payload: UnsafeMutableRawBufferPointer) {
        guard let base = payload.baseAddress else { return }
        _ = lws_write(wsi, base.assumingMemoryBound(to: UInt8.self), payload.count, LWS_WRITE_PING)
    }

    var isChoked: Bool { lws_partial_buffered(wsi) != 0 }

    func requestWritable() { lws_callback_on_writable(wsi) }

    /// Synchronously: lws 4.1 sends the close frame on this path, not on an asynchronous kill.
    func close(status: UInt16, reason: String) {
        setCloseReason(status: status, reason)
        lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_SYNC)
    }

    func drop() { clws_close_async(wsi) }

    /// The close frame lws sends when the connection closes next.
    func setCloseReason(status: UInt16, _ reason: String) {
        // A close frame's payload is at most 125 bytes, two of them the status.
        var bytes = Array(reason.utf8.prefix(123))
        lws_close_reason(wsi, lws_close_status(rawValue: UInt32(status)), &bytes, bytes.count)
    }

    /// lws's frame header room in front of each frame written.
    static let headroom = Int(clws_pre())
}
