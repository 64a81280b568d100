import Foundation
import Synchronization

/// stdout carries only data; stderr carries logs, the summary and the error line. Everything
/// written passes the redactor, a last line of defence so a secret never reaches a terminal
/// or a log file even if some message forgot to leave it out.
public final class Console: Sendable {
    private let secrets: Mutex<[String]>
    private let stdoutBuffer = Mutex(Data())
    public let stdoutIsTerminal: Bool
    public let stderrIsTerminal: Bool
    private let writeOut: @Sendable (Data) -> Void
    private let writeErr: @Sendable (Data) -> Void

    /// The process's stdout and stderr.
    public convenience init() {
        self.init(stdoutIsTerminal: isatty(STDOUT_FILENO) == 1, stderrIsTerminal: isatty(STDERR_FILENO) == 1,
                  writeOut: { FileHandle.standardOutput.write($0) }, writeErr: { FileHandle.standardError.write($0) })
    }

    /// Any sinks: a test captures a command's output in process.
    public init(stdoutIsTerminal: Bool = false, stderrIsTerminal: Bool = false,
                writeOut: @escaping @Sendable (Data) -> Void, writeErr: @escaping @Sendable (Data) -> Void) {
        secrets = Mutex([])
        self.stdoutIsTerminal = stdoutIsTerminal
        self.stderrIsTerminal = stderrIsTerminal
        self.writeOut = writeOut
        self.writeErr = writeErr
    }

    public func addSecrets(_ values: [String]) {
        secrets.withLock { $0 += values.filter { $0.count >= 4 }.sorted { $0.count > $1.count } }
    }

    public func redact(_ text: String) -> String {
        var out = text
        for s in secrets.withLock({ $0 }) where out.contains(s) {
            out = out.replacingOccurrences(of: s, with: "***")
        }
        return out
    }

    /// Data output, buffered; flushed at the end of the run or when the buffer grows.
    public func out(_ line: String) {
        let data = Data((redact(line) + "\n").utf8)
        let full: Data? = stdoutBuffer.withLock { buf in
            buf.append(data)
            guard buf.count >= 64 * 1024 else { return nil }
            defer { buf.removeAll(keepingCapacity: true) }
            return buf
        }
        if let full { writeOut(full) }
    }

    public func flush() {
        let pending = stdoutBuffer.withLock { buf -> Data in
            defer { buf.removeAll() }
            return buf
        }
        if !pending.isEmpty { writeOut(pending) }
    }

    public func err(_ line: String) {
        // On a terminal, erase a progress line that may be drawn there; it is redrawn after.
        let prefix = stderrIsTerminal ? "\r\u{1B}[2K" : ""
        writeErr(Data((prefix + redact(line) + "\n").utf8))
    }
}
