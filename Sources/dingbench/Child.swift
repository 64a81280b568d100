import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A child process started with posix_spawn, so its exit can be reaped with wait4: that gives
/// the peak RSS (ru_maxrss, the figure `/usr/bin/time -v` prints) without depending on `time`.
/// Foundation's Process reaps children itself and hides the rusage.
final class Child {
    let pid: pid_t
    let name: String
    /// Our end of the child's stdin, when asked for (-1 otherwise). Closing it is how dingsim
    /// is told to stop.
    private(set) var stdinFD: Int32 = -1
    /// Our end of the child's stdout, when asked for.
    let stdoutLines: LineReader?
    let started = DispatchTime.now()

    struct Exit {
        var status: Int32
        var wallSeconds: Double
        var maxRSSKiB: Int
        /// User + system CPU of the child: near wallSeconds means CPU-bound, far below means waiting.
        var cpuSeconds: Double
        var timedOut: Bool
        var description: String { timedOut ? "killed after the time limit" : "exit status \(status)" }
    }

    /// `log` receives stderr (and stdout unless `pipeStdout`). Pipes are close-on-exec, so no
    /// other child inherits them (a leaked stdin write end would keep dingsim alive).
    init(_ path: String, _ args: [String], env: [String: String], log: String,
         pipeStdin: Bool = false, pipeStdout: Bool = false) throws {
        name = (path as NSString).lastPathComponent
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var inPipe: [Int32] = [-1, -1], outPipe: [Int32] = [-1, -1]
        if pipeStdin {
            guard Self.cloexecPipe(&inPipe) else { throw BenchError("pipe: \(String(cString: strerror(errno)))") }
            posix_spawn_file_actions_adddup2(&actions, inPipe[0], 0)
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }
        posix_spawn_file_actions_addopen(&actions, 2, log, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        if pipeStdout {
            guard Self.cloexecPipe(&outPipe) else { throw BenchError("pipe: \(String(cString: strerror(errno)))") }
            posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        } else {
            posix_spawn_file_actions_adddup2(&actions, 2, 1)
        }
        let argv: [UnsafeMutablePointer<CChar>?] = ([path] + args).map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for p in argv + envp { free(p) } }
        var child: pid_t = 0
        let rc = posix_spawn(&child, path, &actions, nil, argv, envp)
        for fd in [inPipe[0], outPipe[1]] where fd >= 0 { close(fd) }
        guard rc == 0 else {
            for fd in [inPipe[1], outPipe[0]] where fd >= 0 { close(fd) }
            throw BenchError("cannot start \(path): \(String(cString: strerror(rc)))")
        }
        pid = child
        stdinFD = inPipe[1]
        stdoutLines = pipeStdout ? LineReader(fd: outPipe[0]) : nil
        Child.running.insert(child)
    }

    /// pipe2 is not imported (it needs _GNU_SOURCE); dingbench is single-threaded, so no
    /// spawn can slip in between pipe() and fcntl().
    private static func cloexecPipe(_ fds: inout [Int32]) -> Bool {
        guard pipe(&fds) == 0 else { return false }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        return true
    }

    deinit {
        if stdinFD >= 0 { close(stdinFD) }
    }

    func send(_ line: String) throws {
        let bytes = Array((line + "\n").utf8)
        let n = bytes.withUnsafeBytes { write(stdinFD, $0.baseAddress, $0.count) }
        guard n == bytes.count else { throw BenchError("\(name) stopped reading its stdin") }
    }

    func closeStdin() {
        if stdinFD >= 0 { close(stdinFD) }
        stdinFD = -1
    }

    /// Waits up to `timeout` seconds, then SIGKILLs. Polls every 2 ms: the slop that adds to
    /// the wall time is far below what is being measured.
    func wait(timeout: Double) -> Exit {
        let deadline = started.uptimeNanoseconds + UInt64(timeout * 1e9)
        var status: Int32 = 0
        var usage = rusage()
        var timedOut = false
        while true {
            let r = wait4(pid, &status, WNOHANG, &usage)
            if r == pid { break }
            if r < 0 && errno != EINTR { break }
            if DispatchTime.now().uptimeNanoseconds > deadline, !timedOut {
                timedOut = true
                kill(pid, SIGKILL)
            }
            usleep(2_000)
        }
        Child.running.remove(pid)
        let wall = Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9
        // WIFEXITED/WEXITSTATUS are macros Swift does not import.
        let code: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        return Exit(status: code, wallSeconds: wall, maxRSSKiB: Int(usage.ru_maxrss),
                    cpuSeconds: seconds(usage.ru_utime) + seconds(usage.ru_stime), timedOut: timedOut)
    }

    /// The pids still running, for the signal handler: it kills exactly these and nothing else.
    nonisolated(unsafe) static var running = PidSet()
}

/// A fixed-size pid table a signal handler can read without allocating or locking.
/// dingbench is single-threaded, so plain stores are enough.
struct PidSet {
    private var slots = (pid_t(0), pid_t(0), pid_t(0), pid_t(0))
    mutating func insert(_ p: pid_t) {
        if slots.0 == 0 { slots.0 = p } else if slots.1 == 0 { slots.1 = p }
        else if slots.2 == 0 { slots.2 = p } else { slots.3 = p }
    }
    mutating func remove(_ p: pid_t) {
        if slots.0 == p { slots.0 = 0 }
        if slots.1 == p { slots.1 = 0 }
        if slots.2 == p { slots.2 = 0 }
        if slots.3 == p { slots.3 = 0 }
    }
    func forEach(_ body: (pid_t) -> Void) {
        for p in [slots.0, slots.1, slots.2, slots.3] where p > 0 { body(p) }
    }
}

/// Reads lines from a pipe, with a time limit per line (a hung child must not hang the bench).
final class LineReader {
    let fd: Int32
    private var buffer: [UInt8] = []
    init(fd: Int32) { self.fd = fd }
    deinit { close(fd) }

    func line(timeout: Double) throws -> String {
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(timeout * 1e9)
        while true {
            if let nl = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let text = String(decoding: buffer[..<nl], as: UTF8.self)
                buffer.removeSubrange(...nl)
                return text
            }
            let now = DispatchTime.now().uptimeNanoseconds
            guard now < deadline else { throw BenchError("no answer within \(Int(timeout)) s") }
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&p, 1, Int32((deadline - now) / 1_000_000) + 1)
            if ready < 0 && errno == EINTR { continue }
            guard ready > 0 else { continue }
            var chunk = [UInt8](repeating: 0, count: 4096)
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw BenchError("the child closed its stdout") }
            buffer += chunk[..<n]
        }
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}
