import Foundation

/// How `PositionStore` opens its file.
public struct StoreOptions: Sendable {
    /// Open without write access (for inspection tools or backups): the file must exist and already be
    /// migrated; every write fails with `StoreError.readOnly`.
    public var readOnly: Bool
    /// How long a write waits for another process's lock before failing with `StoreError.busy`.
    public var busyTimeout: TimeInterval
    /// The clock stamping `updatedAt` and `closedAt`, in milliseconds since the Unix epoch.
    public var clock: @Sendable () -> Int64
    /// Caps the database size in pages (SQLite's `max_page_count`); tests use it to simulate a full disk.
    var maximumPageCount: Int?

    public init(
        readOnly: Bool = false, busyTimeout: TimeInterval = 5,
        clock: @escaping @Sendable () -> Int64 = { Int64((Date().timeIntervalSince1970 * 1000).rounded()) }
    ) {
        self.readOnly = readOnly
        self.busyTimeout = busyTimeout
        self.clock = clock
    }
}
