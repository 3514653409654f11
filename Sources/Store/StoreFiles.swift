#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// File-system checks made before SQLite sees the path, so the common failures get a precise `StoreError`
/// (SQLite reports most of them as a bare "unable to open database file").
enum StoreFiles {
    static func directory(of path: String) -> String {
        let directory = (path as NSString).deletingLastPathComponent
        return directory.isEmpty ? "." : directory
    }

    /// Readies `path` for a read-write open: creates its directory (and parents), and checks that both the
    /// directory and an existing file are writable.
    static func prepareForWriting(_ path: String) throws(StoreError) {
        let directory = directory(of: path)
        try makeDirectories(directory, for: path)
        if isDirectory(path) { throw .cannotOpen(path: path, detail: "it is a directory") }
        if access(directory, W_OK) != 0 { throw .directoryNotWritable(directory: directory, path: path) }
        if access(path, F_OK) == 0, access(path, W_OK) != 0 { throw .readOnly(path: path) }
    }

    /// A read-only open needs the file to exist: SQLite cannot create it.
    static func prepareForReading(_ path: String) throws(StoreError) {
        if isDirectory(path) { throw .cannotOpen(path: path, detail: "it is a directory") }
        if access(path, F_OK) != 0 { throw .cannotOpen(path: path, detail: "the file does not exist (a read-only open does not create it)") }
        if access(path, R_OK) != 0 { throw .cannotOpen(path: path, detail: "the file is not readable") }
    }

    /// `mkdir -p`, reporting the first failure with its errno text.
    static func makeDirectories(_ directory: String, for path: String) throws(StoreError) {
        if isDirectory(directory) { return }
        if access(directory, F_OK) == 0 {
            throw .cannotCreateDirectory(path: path, reason: "\(directory) exists and is not a directory")
        }
        let parent = self.directory(of: directory)
        if parent != directory { try makeDirectories(parent, for: path) }
        if mkdir(directory, 0o755) != 0, errno != EEXIST {
            let code = errno
            if code == ENOSPC { throw .diskFull(path: path) }
            throw .cannotCreateDirectory(path: path, reason: "mkdir \(directory): \(String(cString: strerror(code)))")
        }
    }

    static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }
}
