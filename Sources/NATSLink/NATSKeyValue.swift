import CNats
import Synchronization

/// A key's value and the revision it was written at (the bucket's stream sequence: it only grows).
public struct NATSKeyValueEntry: Sendable, Equatable {
    public var value: [UInt8]
    public var revision: UInt64

    public init(value: [UInt8], revision: UInt64) {
        self.value = value
        self.revision = revision
    }
}

/// A JetStream key-value bucket. `create` and `update` are the revision-checked writes an election needs: they
/// tell a lost race (`.keyExists`, `.wrongRevision`) from every other failure. Each call waits for the server; the
/// `async` forms wait on the bucket's own lane, off Swift's cooperative pool.
public final class NATSKeyValue: Sendable {
    public let bucket: String
    let connection: NATSConnection
    nonisolated(unsafe) private let store: OpaquePointer
    nonisolated(unsafe) private let jetStream: OpaquePointer
    private let lane: BlockingLane

    init(connection: NATSConnection, bucket: String, ttl: Duration?, history: Int, timeout: Duration) throws(NATSError) {
        guard Self.isValidBucket(bucket) else { throw .invalidName(bucket) }
        guard (1...64).contains(history) else { throw .invalidName("history \(history)") }
        let jetStream = try connection.jetStream(wait: timeout)
        var store: OpaquePointer?
        if js_KeyValue(&store, jetStream, bucket) != NATS_OK {
            var config = kvConfig()
            _ = kvConfig_Init(&config)
            config.History = UInt8(history)
            // The stream's MaxAge, in nanoseconds.
            config.TTL = ttl.map { $0.wholeMilliseconds() * 1_000_000 } ?? 0
            let status = bucket.withCString { name in
                config.Bucket = name
                return js_CreateKeyValue(&store, jetStream, &config)
            }
            // Another process may have made it between the two calls: bind to theirs.
            if status != NATS_OK, js_KeyValue(&store, jetStream, bucket) != NATS_OK {
                jsCtx_Destroy(jetStream)
                throw NATSError.from(status)
            }
        }
        guard let store else {
            jsCtx_Destroy(jetStream)
            throw .failed(status: Int32(NATS_ERR.rawValue), text: "no bucket \(bucket)")
        }
        self.bucket = bucket
        self.connection = connection
        self.store = store
        self.jetStream = jetStream
        lane = BlockingLane(label: "tickhub.nats.kv.\(bucket)")
    }

    deinit {
        kvStore_Destroy(store)
        jsCtx_Destroy(jetStream)
    }

    /// Bucket names NATS accepts: letters, digits, `_` and `-`.
    public static func isValidBucket(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.allSatisfy { isAlphanumeric($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }
    }

    /// Key names NATS accepts: letters, digits and `-/_=.`, not starting or ending with a dot.
    public static func isValidKey(_ key: String) -> Bool {
        guard let first = key.utf8.first, let last = key.utf8.last, first != UInt8(ascii: "."), last != UInt8(ascii: ".") else {
            return false
        }
        return key.utf8.allSatisfy { isAlphanumeric($0) || "-/_=.".utf8.contains($0) }
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    /// Every call starts here: a name NATS refuses, or a lost connection that must not buffer, fails at once.
    private func validate(_ key: String) throws(NATSError) {
        guard Self.isValidKey(key) else { throw .invalidName(key) }
        try connection.checkSendable()
    }

    /// The key's value, or nil when it has none (never written, deleted, or expired).
    public func get(_ key: String) throws(NATSError) -> NATSKeyValueEntry? {
        try validate(key)
        var entry: OpaquePointer?
        let status = kvStore_Get(&entry, store, key)
        if status == NATS_NOT_FOUND { return nil }
        try check(status)
        guard let entry else { return nil }
        defer { kvEntry_Destroy(entry) }
        let length = Int(kvEntry_ValueLen(entry))
        var value: [UInt8] = []
        if length > 0, let bytes = kvEntry_Value(entry) {
            value = Array(UnsafeRawBufferPointer(start: bytes, count: length))
        }
        return NATSKeyValueEntry(value: value, revision: kvEntry_Revision(entry))
    }

    /// Writes the value whatever the key holds; returns its revision.
    @discardableResult
    public func put(_ key: String, _ value: [UInt8]) throws(NATSError) -> UInt64 {
        try validate(key)
        var revision: UInt64 = 0
        let status = value.withUnsafeBytes { kvStore_Put(&revision, store, key, $0.baseAddress, Int32($0.count)) }
        try check(status)
        return revision
    }

    /// Writes the value without waiting for the server's acknowledgement: for a key rewritten often (a symbol's last
    /// quote), where the next write supersedes a lost one. Failures are counted in the connection's statistics
    /// (`keyValueWritesFailed`); `.timeout` when too many writes are still unacknowledged (the server is stalled).
    public func putNoWait(_ key: String, _ value: [UInt8]) throws(NATSError) {
        try validate(key)
        var options = jsPubOptions()
        try check(jsPubOptions_Init(&options))
        options.MaxWait = 5_000
        let status = value.withUnsafeBytes { js_PublishAsync(jetStream, "$KV.\(bucket).\(key)", $0.baseAddress, Int32($0.count), &options) }
        try check(status)
    }

    /// Waits until every `putNoWait` to this bucket so far is acknowledged (or failed), at most `timeout`.
    public func waitForWrites(timeout: Duration) throws(NATSError) {
        var options = jsPubOptions()
        try check(jsPubOptions_Init(&options))
        options.MaxWait = timeout.wholeMilliseconds()
        try check(js_PublishAsyncComplete(jetStream, &options))
    }

    /// Writes the value only if the key has none (a deleted or expired key counts as none); `.keyExists` otherwise.
    @discardableResult
    public func create(_ key: String, _ value: [UInt8]) throws(NATSError) -> UInt64 {
        try validate(key)
        for _ in 0..<2 {
            if case .written(let revision) = try write(key, value, expecting: nil) { return revision }
            // The key's last message may be a delete marker, which holds no value: write over exactly that one.
            switch try lastMessage(of: key) {
            case .value: throw .keyExists
            case .marker(let revision):
                if case .written(let written) = try write(key, value, expecting: revision) { return written }
                throw .keyExists
            case .none:
                // Gone between the two calls (expired): try once more as a fresh key.
                continue
            }
        }
        throw .keyExists
    }

    /// Writes the value only if the key's latest revision is `lastRevision`; `.wrongRevision` otherwise.
    @discardableResult
    public func update(_ key: String, _ value: [UInt8], lastRevision: UInt64) throws(NATSError) -> UInt64 {
        try validate(key)
        guard lastRevision > 0 else { throw .wrongRevision }
        if case .written(let revision) = try write(key, value, expecting: lastRevision) { return revision }
        throw .wrongRevision
    }

    /// Deletes the key's value (a delete marker: `get` then answers nil, `create` succeeds).
    public func delete(_ key: String) throws(NATSError) {
        try validate(key)
        try check(kvStore_Delete(store, key))
    }

    /// The keys that hold a value.
    public func keys() throws(NATSError) -> [String] {
        try connection.checkSendable()
        var list = kvKeysList()
        let status = kvStore_Keys(&list, store, nil)
        if status == NATS_NOT_FOUND { return [] }
        try check(status)
        defer { kvKeysList_Destroy(&list) }
        return (0..<Int(list.Count)).compactMap { list.Keys[$0].map { String(cString: $0) } }
    }

    private enum Outcome { case written(UInt64), conflict }

    /// A write to the key's subject with the stream's own check: no message yet (`expecting` nil), or the last
    /// one at that sequence. The server's "wrong last sequence" is the conflict; anything else throws.
    private func write(_ key: String, _ value: [UInt8], expecting revision: UInt64?) throws(NATSError) -> Outcome {
        var options = jsPubOptions()
        try check(jsPubOptions_Init(&options))
        if let revision { options.ExpectLastSubjectSeq = revision } else { options.ExpectNoMessage = true }
        var ack: UnsafeMutablePointer<jsPubAck>?
        var code = jsErrCode(0)
        let status = value.withUnsafeBytes { bytes in
            js_Publish(&ack, jetStream, "$KV.\(bucket).\(key)", bytes.baseAddress, Int32(bytes.count), &options, &code)
        }
        defer { jsPubAck_Destroy(ack) }
        if status == NATS_OK, let ack { return .written(ack.pointee.Sequence) }
        if code == JSStreamWrongLastSequenceErr { return .conflict }
        throw NATSError.from(status)
    }

    private enum LastMessage { case none, marker(UInt64), value }

    private func lastMessage(of key: String) throws(NATSError) -> LastMessage {
        var message: OpaquePointer?
        var code = jsErrCode(0)
        let status = js_GetLastMsg(&message, jetStream, "KV_\(bucket)", "$KV.\(bucket).\(key)", nil, &code)
        if status == NATS_NOT_FOUND || code == JSNoMessageFoundErr { return .none }
        try check(status)
        guard let message else { return .none }
        defer { natsMsg_Destroy(message) }
        var operation: UnsafePointer<CChar>?
        if natsMsgHeader_Get(message, "KV-Operation", &operation) == NATS_OK, let operation {
            let name = String(cString: operation)
            if name == "DEL" || name == "PURGE" { return .marker(natsMsg_GetSequence(message)) }
        }
        return .value
    }

    // The same calls, off the cooperative pool.

    public func get(_ key: String) async throws(NATSError) -> NATSKeyValueEntry? {
        try await lane.run { [self] () throws(NATSError) in try get(key) }
    }

    @discardableResult
    public func put(_ key: String, _ value: [UInt8]) async throws(NATSError) -> UInt64 {
        try await lane.run { [self] () throws(NATSError) in try put(key, value) }
    }

    @discardableResult
    public func create(_ key: String, _ value: [UInt8]) async throws(NATSError) -> UInt64 {
        try await lane.run { [self] () throws(NATSError) in try create(key, value) }
    }

    @discardableResult
    public func update(_ key: String, _ value: [UInt8], lastRevision: UInt64) async throws(NATSError) -> UInt64 {
        try await lane.run { [self] () throws(NATSError) in try update(key, value, lastRevision: lastRevision) }
    }

    public func delete(_ key: String) async throws(NATSError) {
        try await lane.run { [self] () throws(NATSError) in try delete(key) }
    }

    public func waitForWrites(timeout: Duration) async throws(NATSError) {
        try await lane.run { [self] () throws(NATSError) in try waitForWrites(timeout: timeout) }
    }

    public func keys() async throws(NATSError) -> [String] {
        try await lane.run { [self] () throws(NATSError) in try keys() }
    }
}
