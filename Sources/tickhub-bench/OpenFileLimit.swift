import Foundation

/// Raises this process's soft open-file limit to its hard limit and returns the new soft limit.
///
/// Every client is a socket, and the usual soft default (1,024) would make a 10,000-client run fail at the
/// thousandth connection with EMFILE, which would look like the server refusing connections.
@discardableResult
func raiseOpenFileLimit() -> Int? {
    var limit = rlimit()
    #if os(Linux)
    let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
    #else
    let resource = RLIMIT_NOFILE
    #endif
    guard getrlimit(resource, &limit) == 0 else { return nil }
    var wanted = limit.rlim_max
    #if !os(Linux)
    // Darwin reports an unlimited hard limit but refuses a soft limit above OPEN_MAX.
    if wanted == RLIM_INFINITY { wanted = rlim_t(OPEN_MAX) }
    #endif
    if limit.rlim_cur < wanted {
        limit.rlim_cur = wanted
        if setrlimit(resource, &limit) != 0 { _ = getrlimit(resource, &limit) }
    }
    return Int(clamping: limit.rlim_cur)
}
