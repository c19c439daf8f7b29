#if canImport(Glibc)
    internal import Glibc
#elseif canImport(Darwin)
    internal import Darwin
#endif

/// The few file-system calls a data directory needs, each result checked: a file's size,
/// a small file read whole, an atomic and durable replace, a rename made durable.
enum POSIXFiles {
    /// The size of the file at `path` in bytes, or nil when there is none.
    /// - Throws: `UNAVAILABLE` when the file cannot be examined (other than being absent).
    static func size(of path: String) throws(StoreError) -> Int64? {
        var info = stat()
        guard stat(path, &info) == 0 else {
            if errno == ENOENT { return nil }
            throw .unavailable("cannot examine \(path): \(lastError())")
        }
        return Int64(info.st_size)
    }

    /// The contents of the file at `path`, or nil when there is none.
    /// - Throws: `UNAVAILABLE` when it cannot be read or is larger than `limit` bytes.
    static func contents(of path: String, limit: Int) throws(StoreError) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT { return nil }
            throw .unavailable("cannot open \(path): \(lastError())")
        }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: limit + 1)
        var count = 0
        while count < bytes.count {
            let got = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + count, $0.count - count) }
            if got < 0 {
                if errno == EINTR { continue }
                throw .unavailable("cannot read \(path): \(lastError())")
            }
            if got == 0 { break }
            count += got
        }
        guard count <= limit else { throw .unavailable("\(path) is larger than \(limit) bytes") }
        return Array(bytes[0..<count])
    }

    /// Replaces the file at `path` with `bytes` so that a crash leaves the old file or the new
    /// one, never a part: written to `<path>.tmp`, synced, renamed over `path`, and the
    /// directory synced so the rename itself survives a power loss.
    /// - Throws: `UNAVAILABLE` naming the step that failed.
    static func writeAtomically(_ bytes: [UInt8], to path: String, directory: String) throws(StoreError) {
        let temporary = path + ".tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .unavailable("cannot create \(temporary): \(lastError())") }
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + written, $0.count - written) }
            if count < 0 {
                if errno == EINTR { continue }
                let problem = lastError()
                close(fd)
                unlink(temporary)
                throw .unavailable("cannot write \(temporary): \(problem)")
            }
            written += count
        }
        guard fsync(fd) == 0 else {
            let problem = lastError()
            close(fd)
            unlink(temporary)
            throw .unavailable("cannot sync \(temporary): \(problem)")
        }
        guard close(fd) == 0 else {
            let problem = lastError()
            unlink(temporary)
            throw .unavailable("cannot close \(temporary): \(problem)")
        }
        try move(temporary, to: path)
        try syncDirectory(directory)
    }

    /// Renames `source` to `target` (callers choose targets that do not exist).
    /// - Throws: `UNAVAILABLE` naming both paths.
    static func move(_ source: String, to target: String) throws(StoreError) {
        guard rename(source, target) == 0 else {
            throw .unavailable("cannot rename \(source) to \(target): \(lastError())")
        }
    }

    /// Syncs `directory`, so renames and creations in it survive a power loss.
    /// - Throws: `UNAVAILABLE`.
    static func syncDirectory(_ directory: String) throws(StoreError) {
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw .unavailable("cannot open the directory \(directory): \(lastError())") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw .unavailable("cannot sync the directory \(directory): \(lastError())") }
    }

    private static func lastError() -> String { String(cString: strerror(errno)) }
}
