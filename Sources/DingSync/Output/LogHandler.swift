import DingSyncMapping
import Foundation
import Logging

/// swift-log handler for stderr: `text` for people, `json` (one object per line) for log
/// shippers. Every line passes the console's redactor.
public struct StderrLogHandler: LogHandler {
    public enum Format: String, Sendable { case text, json }

    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    let label: String
    let format: Format
    let console: Console

    public init(label: String, level: Logger.Level, format: Format, console: Console) {
        self.label = label
        self.logLevel = level
        self.format = format
        self.console = console
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var all = metadata
        if let extra = event.metadata { all.merge(extra) { _, new in new } }
        let time = Self.timestamp()
        switch format {
        case .text:
            let meta = all.isEmpty ? "" : " " + all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            console.err("\(time) \(event.level.rawValue.uppercased()) \(event.message)\(meta)")
        case .json:
            var fields = ["\"ts\":\(Self.quote(time))", "\"level\":\(Self.quote(event.level.rawValue))",
                          "\"event\":\(Self.quote("\(event.message)"))"]
            for (k, v) in all.sorted(by: { $0.key < $1.key }) { fields.append("\(Self.quote(k)):\(Self.quote("\(v)"))") }
            console.err("{" + fields.joined(separator: ",") + "}")
        }
    }

    /// A JSON string literal: the same escaping the dry-run jsonl output uses.
    static func quote(_ s: String) -> String { MappedValue.quoted(s) }

    /// ISO-8601 UTC with milliseconds, from the mapping's calendar arithmetic: a formatter
    /// object per log line was the costliest part of logging.
    static func timestamp(nowMs: Int64 = SystemClock().nowMs()) -> String {
        let t = LocalDateTime(epochMs: nowMs, timeZone: utc)
        let ms = Int(((nowMs % 1000) + 1000) % 1000)
        return "\(t.dateText)T\(t.description.suffix(8)).\(ms < 10 ? "00" : ms < 100 ? "0" : "")\(ms)Z"
    }

    private static let utc = TimeZone(identifier: "UTC")!
}
