import NIOCore

/// TWS framing: a 4-byte big-endian length, then a payload of NUL-terminated fields.
public enum TWSFraming {
    /// Frames above this are refused; the largest real frames (contract details, scanner data) are tens of KiB.
    public static let defaultMaximumFrameLength = 16 * 1024 * 1024

    /// Takes one complete frame's payload off the front of `buffer`, or returns nil when more bytes are needed.
    /// A length above `maximumLength` throws without consuming anything, so the caller can drop the connection.
    public static func nextFrame(
        from buffer: inout ByteBuffer,
        maximumLength: Int = defaultMaximumFrameLength
    ) throws -> ByteBuffer? {
        guard let length = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self) else { return nil }
        guard Int(length) <= maximumLength else {
            throw TWSProtocolError.frameTooLarge(length: Int(length), limit: maximumLength)
        }
        guard buffer.readableBytes >= 4 + Int(length) else { return nil }
        buffer.moveReaderIndex(forwardBy: 4)
        return buffer.readSlice(length: Int(length))
    }

    /// Writes a frame whose payload `body` appends, patching the length prefix afterwards.
    public static func writeFrame(into buffer: inout ByteBuffer, _ body: (inout ByteBuffer) throws -> Void) rethrows {
        let start = buffer.writerIndex
        buffer.writeInteger(UInt32(0))
        try body(&buffer)
        buffer.setInteger(UInt32(buffer.writerIndex - start - 4), at: start)
    }

    /// Counts the NUL-terminated fields of a payload.
    public static func fieldCount(of payload: ByteBuffer) -> Int {
        payload.withUnsafeReadableBytes { bytes in bytes.reduce(0) { $1 == 0 ? $0 + 1 : $0 } }
    }

    /// A payload as its text fields; for logs, tests and the simulator's control surface, not the hot path.
    public static func fields(of payload: ByteBuffer) -> [String] {
        var fields = payload.withUnsafeReadableBytes { bytes in
            bytes.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        }
        if fields.last == "" { fields.removeLast() }
        return fields
    }
}
