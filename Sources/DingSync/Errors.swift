/// sysexits codes, as cli.md fixes them.
public enum ExitStatus: Int32, Sendable {
    case ok = 0
    case bug = 1
    case usage = 64
    case rejects = 65
    case unavailable = 69
    case tryLater = 75
    case permission = 77
    case config = 78
}

/// The error every layer ends in: a code for the shell and one line for the human.
/// Messages never contain secrets: URLs are shown without their query strings, and the
/// output layer redacts configured secret values as a second line of defence.
public struct DingSyncError: Error, Sendable, CustomStringConvertible {
    public var status: ExitStatus
    public var message: String
    /// The DingTalk error class behind it, when there is one (the run treats a spent
    /// allowance or a quota answer differently from other failures).
    public var cause: DingTalkError.Class?

    public init(_ status: ExitStatus, _ message: String, cause: DingTalkError.Class? = nil) {
        self.status = status
        self.message = message
        self.cause = cause
    }

    public var description: String { message }

    public static func config(_ m: String) -> Self { .init(.config, m) }
    public static func usage(_ m: String) -> Self { .init(.usage, m) }
}
