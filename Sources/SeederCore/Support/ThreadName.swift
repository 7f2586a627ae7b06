#if canImport(Glibc)
import Glibc
#endif

/// Names the calling thread for `top -H`, `perf` and `/proc/*/task/*/comm` (the kernel keeps 15 bytes).
/// Foundation's `Thread.name` does not reach the kernel on Linux, and `pthread_setname_np` is not in Swift's
/// Glibc module, so this writes the thread's `comm` file. Best effort: a failure leaves the name as it was.
func nameCurrentThread(_ name: String) {
    #if canImport(Glibc)
    let fd = open("/proc/thread-self/comm", O_WRONLY | O_CLOEXEC)
    guard fd >= 0 else { return }
    defer { close(fd) }
    let bytes = Array(name.utf8.prefix(15))
    _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    #endif
}

/// Lowers the calling thread's scheduling priority (nice +`steps`) on Linux. For threads whose work runs ahead of
/// the pipeline behind a bounded buffer (the source's parser and decompressor): when the cores are contended, the
/// threads that turn provider answers into the next requests go first. Best effort.
func lowerCurrentThreadPriority(by steps: Int32 = 5) {
    #if canImport(Glibc)
    // On Linux the nice value is per thread: PRIO_PROCESS with who = 0 is the calling thread alone.
    let which = __priority_which_t(PRIO_PROCESS.rawValue)
    let current = getpriority(which, 0)
    _ = setpriority(which, 0, current + steps)
    #endif
}
