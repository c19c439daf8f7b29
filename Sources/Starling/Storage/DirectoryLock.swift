import Foundation
import Synchronization

#if canImport(Glibc)
    internal import Glibc
#elseif canImport(Darwin)
    internal import Darwin
#endif

/// An exclusive, process-wide claim on a data directory: `flock` on `<dir>/LOCK`, which also
/// records the holder's pid and host so a refused opener can name it.
///
/// The kernel drops the lock when the holder exits, however it exits, so a crash never
/// leaves a stale lock behind.
final class DirectoryLock: Sendable {
    /// The locked file's descriptor; -1 once released.
    private let descriptor: Mutex<Int32>
    let path: String

    /// Claims `directory`.
    /// - Throws: `UNAVAILABLE` naming the holder if another process (or another node in this
    ///   process) has it; `UNAVAILABLE` if the lock file cannot be created.
    init(directory: String) throws(StoreError) {
        path = directory + "/LOCK"
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw .unavailable("cannot create the lock file \(path): \(String(cString: strerror(errno)))")
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let holder = Self.readHolder(fd)
            close(fd)
            throw .unavailable(
                "data directory \(directory) is in use by \(holder); only one process may open a data directory")
        }
        descriptor = Mutex(fd)
        var host = [CChar](repeating: 0, count: 256)
        gethostname(&host, host.count - 1)
        let hostName = String(decoding: host.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let record = Array("pid \(getpid()) on host \(hostName)\n".utf8)
        ftruncate(fd, 0)
        _ = record.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
    }

    deinit {
        release()
    }

    /// Gives the directory up. Idempotent.
    func release() {
        descriptor.withLock { descriptor in
            guard descriptor >= 0 else { return }
            flock(descriptor, LOCK_UN)
            close(descriptor)
            descriptor = -1
        }
    }

    private static func readHolder(_ fd: Int32) -> String {
        var buffer = [UInt8](repeating: 0, count: 256)
        let count = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        let text = count > 0 ? String(decoding: buffer[0..<count], as: UTF8.self) : ""
        let trimmed = text.split(separator: "\n").first.map(String.init) ?? ""
        return trimmed.isEmpty ? "another process" : trimmed
    }
}
