import NIOCore

/// A TWS message whose fields, after the message id, are described once by `layout`.
public protocol TWSMessage: Sendable, Equatable {
    /// The message id, in the namespace of its direction (client requests and server messages reuse numbers).
    static var id: Int { get }
    /// A blank message for the reader to fill.
    init()
    mutating func layout<Coder: WireCoder>(_ coder: inout Coder) throws
}

extension TWSMessage {
    /// Appends this message as one frame.
    public func encode(into buffer: inout ByteBuffer, serverVersion: Int) {
        var copy = self
        TWSFraming.writeFrame(into: &buffer) { payload in
            // Move the storage into the writer rather than copy it: a second reference would make every
            // write copy the whole buffer, and a session's outbound buffer holds a whole round of ticks.
            var writer = FieldWriter(serverVersion: serverVersion, buffer: FieldWriter.placeholder)
            swap(&writer.buffer, &payload)
            writer.write(Self.id)
            // FieldWriter never throws; the layout is shared with the reader, which does.
            try! copy.layout(&writer)
            swap(&writer.buffer, &payload)
        }
    }

    /// This message as one frame in a new buffer.
    public func frame(serverVersion: Int, allocator: ByteBufferAllocator = ByteBufferAllocator()) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: 64)
        encode(into: &buffer, serverVersion: serverVersion)
        return buffer
    }

    /// Reads the rest of a message whose id `reader` has already consumed.
    public static func read(from reader: inout FieldReader) throws -> Self {
        var message = Self()
        try message.layout(&reader)
        return message
    }
}

extension ByteBuffer {
    /// Runs `body` with a reader positioned after the payload's message id.
    public func withFieldReader<T>(
        serverVersion: Int, _ body: (Int, inout FieldReader) throws -> T
    ) throws -> T {
        try withUnsafeReadableBytes { bytes in
            var reader = FieldReader(bytes: bytes, serverVersion: serverVersion)
            let id = try reader.readOptionalInt() ?? 0
            reader.messageID = id
            return try body(id, &reader)
        }
    }
}
