import DingSyncMapping
import Foundation
import HTTPClient

/// What the operator commands share: a DingTalk client wired like the sync pipeline's (same
/// limits, retries and secrets handling), the config loaded like every command's.
enum OperatorSupport {
    static func client(_ context: RunContext, shared: DingTalkClient.Shared) throws(DingSyncError) -> DingTalkClient {
        let transport: any HTTPTransport
        do { transport = try context.makeTransport() } catch { throw DingSyncError(.bug, "\(error)") }
        let client = DingTalkClient(shared: shared, transport: transport)
        client.onRetry = { [logger = context.logger] error, delay in
            logger.notice("retrying after \(error.errorClass.rawValue) error", metadata: ["delay_ms": "\(delay)", "error": "\(error)"])
        }
        return client
    }

    static func failure(_ e: DingTalkError, doing what: String) -> DingSyncError {
        DingSyncError(e.exitStatus, "\(what): \(e)")
    }

    /// Loads the config like every command; on failure prints the error line and gives the code.
    static func prepare(_ env: CommandEnvironment, _ g: GlobalSettings) -> Prepared {
        switch env.prepare(g) {
        case .success(let c): return .ready(c)
        case .failure(let e): return .exit(env.report(e))
        }
    }

    enum Prepared {
        case ready(RunContext)
        case exit(Int32)
    }

    static func local(_ ms: Int64, _ tz: TimeZone) -> String {
        LocalDateTime(epochMs: ms, timeZone: tz).description
    }
}
