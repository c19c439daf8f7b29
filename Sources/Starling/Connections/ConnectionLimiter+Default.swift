#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension ConnectionLimiter {
    /// Descriptors kept out of the connection budget for everything else the process opens: the
    /// SQLite writer and readers (each with its WAL and shared-memory files), the UDP socket, the
    /// event loops' epoll and event descriptors, the listening sockets, logs and configuration files.
    package static let reservedDescriptors = 128
    /// The default limit never exceeds this, however high the descriptor limit is.
    package static let maximumDefaultLimit = 10_000
    /// The default limit is never below this, however low the descriptor limit is.
    package static let minimumDefaultLimit = 16

    /// The default connection limit for a process whose soft `RLIMIT_NOFILE` is `descriptorLimit`
    /// (nil: unlimited): the limit minus ``reservedDescriptors``, between ``minimumDefaultLimit``
    /// and ``maximumDefaultLimit``.
    package static func defaultLimit(descriptorLimit: Int?) -> Int {
        guard let descriptorLimit else { return maximumDefaultLimit }
        return Swift.min(maximumDefaultLimit, Swift.max(minimumDefaultLimit, descriptorLimit - reservedDescriptors))
    }

    /// The soft `RLIMIT_NOFILE` of this process, or nil if it is unlimited or cannot be read.
    package static func currentDescriptorLimit() -> Int? {
        var limit = rlimit()
        #if canImport(Glibc)
            let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
        #else
            let resource = RLIMIT_NOFILE
        #endif
        // RLIM_INFINITY is all ones; Swift cannot import the macro.
        guard getrlimit(resource, &limit) == 0, limit.rlim_cur != rlim_t.max else { return nil }
        return limit.rlim_cur > rlim_t(Int.max) ? nil : Int(limit.rlim_cur)
    }

    /// The default connection limit of this process (``defaultLimit(descriptorLimit:)`` of
    /// ``currentDescriptorLimit()``).
    package static var defaultLimit: Int { defaultLimit(descriptorLimit: currentDescriptorLimit()) }
}
