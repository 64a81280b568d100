import CMySQL
import Glibc

/// Process-wide Connector/C setup.
///
/// `mysql_library_init` is not thread-safe, and `mysql_init` would call it implicitly
/// from whichever thread connects first, so we call it exactly once through a Swift
/// global (whose lazy initialisation is guarded by `swift_once`).
/// Each thread that touches a handle gets `mysql_thread_init`, and a pthread key
/// destructor runs `mysql_thread_end` when that thread exits, so connections work
/// from worker threads without leaking per-thread client state.
enum MySQLLibrary {
    private static let initStatus: Int32 = dingsync_mysql_library_init()

    private static let threadKey: pthread_key_t = {
        var key = pthread_key_t()
        let rc = pthread_key_create(&key) { _ in mysql_thread_end() }
        precondition(rc == 0, "pthread_key_create failed: \(rc)")
        return key
    }()

    /// Call before any C call on a handle. Cheap after the first call on a thread.
    static func prepareThread() throws {
        guard initStatus == 0 else {
            throw MySQLError(code: 0, sqlState: "HY000",
                             message: "mysql_library_init failed (\(initStatus))", context: "library init")
        }
        if pthread_getspecific(threadKey) == nil {
            if dingsync_mysql_thread_init() != 0 {
                throw MySQLError(code: 0, sqlState: "HY000",
                                 message: "mysql_thread_init failed", context: "thread init")
            }
            // Any non-nil marker; the destructor only runs for non-nil values.
            pthread_setspecific(threadKey, UnsafeRawPointer(bitPattern: 1))
        }
    }
}
