import CNats
#if canImport(Glibc)
import Glibc
#endif

/// A message as it arrived: copied out of the C client's buffer, so it outlives the callback.
public struct NATSMessage: Sendable, Equatable {
    public var subject: String
    /// Where an answer goes (`respond(to:)`), when the sender asked for one.
    public var reply: String?
    public var data: [UInt8]
    /// One value per name (NATS allows several; the first is kept).
    public var headers: [String: String]

    public init(subject: String, reply: String? = nil, data: [UInt8], headers: [String: String] = [:]) {
        self.subject = subject
        self.reply = reply
        self.data = data
        self.headers = headers
    }

    /// Copies a C message; the caller still owns (and destroys) it.
    init(copying message: OpaquePointer) {
        subject = String(cString: natsMsg_GetSubject(message))
        reply = natsMsg_GetReply(message).map { String(cString: $0) }
        let length = Int(natsMsg_GetDataLength(message))
        if length > 0, let bytes = natsMsg_GetData(message) {
            data = bytes.withMemoryRebound(to: UInt8.self, capacity: length) { Array(UnsafeBufferPointer(start: $0, count: length)) }
        } else {
            data = []
        }
        headers = [:]
        var keys: UnsafeMutablePointer<UnsafePointer<CChar>?>?
        var count: Int32 = 0
        guard natsMsgHeader_Keys(message, &keys, &count) == NATS_OK, let keys else { return }
        defer { free(keys) }
        for index in 0..<Int(count) {
            guard let key = keys[index] else { continue }
            var value: UnsafePointer<CChar>?
            if natsMsgHeader_Get(message, key, &value) == NATS_OK, let value {
                headers[String(cString: key)] = String(cString: value)
            }
        }
    }
}

/// A C message made for sending, with its headers set; destroyed by the caller.
func makeMessage(subject: String, reply: String?, data: [UInt8], headers: [String: String]) throws(NATSError) -> OpaquePointer {
    var message: OpaquePointer?
    let status = data.withUnsafeBytes { bytes in
        natsMsg_Create(&message, subject, reply, bytes.baseAddress?.assumingMemoryBound(to: CChar.self), Int32(bytes.count))
    }
    try check(status)
    guard let message else { throw NATSError.failed(status: Int32(NATS_NO_MEMORY.rawValue), text: "no message") }
    for (name, value) in headers {
        let status = natsMsgHeader_Set(message, name, value)
        if status != NATS_OK {
            natsMsg_Destroy(message)
            throw NATSError.from(status)
        }
    }
    return message
}
