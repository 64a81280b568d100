import DingTalkSimulator
import Foundation

/// The rows the reference job must produce, computed from the simulator's own instances with
/// rules written out here independently of the mapper (the mapper is what is under test).
enum ReferenceTruth {
    /// Column names in mapping order (Config/wan-recharge.json).
    static let columns = [
        "bfn_id", "department", "month", "purpose_details", "corresponding_subjects", "recharge_account",
        "expenses_explanation", "recharge_amount", "payment_method", "other_payment_account", "payee_name",
        "payment_account", "payment_bank", "financial_payment_method", "actual_payment_amount", "create_time",
        "finish_time", "originator_userid", "originator_dept_id", "status", "result", "business_id",
        "originator_dept_name", "biz_action",
    ]
    static let labels: [String: String] = [
        "department": "部门", "month": "月份", "purpose_details": "用途明细", "corresponding_subjects": "对应科目",
        "recharge_account": "充值账户", "expenses_explanation": "费用说明", "recharge_amount": "充值金额",
        "payment_method": "付款方式", "other_payment_account": "其他付款账户", "payee_name": "收款人姓名",
        "payment_account": "收款账号", "payment_bank": "开户银行", "financial_payment_method": "财务付款方式",
        "actual_payment_amount": "实际付款金额",
    ]
    static let decimals: Set<String> = ["recharge_amount", "actual_payment_amount"]

    enum Flavor { case mysql, jsonl }

    /// One row as MySQL's text protocol returns it (`.mysql`: DECIMAL(18,2) has two places)
    /// or as `--dry-run --format jsonl` prints it (`.jsonl`: the decimal's own digits).
    static func row(_ s: SimInstance, _ flavor: Flavor) -> [String?] {
        columns.map { column in
            if let label = labels[column] {
                let raw = s.components.first { $0.name == label }?.value
                guard let raw, raw != "", raw != "null" else { return nil }
                return decimals.contains(column) ? decimal(raw, flavor) : raw
            }
            switch column {
            case "bfn_id": return s.id
            case "create_time": return beijing(s.createTimeMs)
            case "finish_time": return s.finishTimeMs.map(beijing)
            case "originator_userid": return nonEmpty(s.originatorUserId)
            case "originator_dept_id": return nonEmpty(s.originatorDeptId)
            case "status": return nonEmpty(s.status)
            case "result": return nonEmpty(s.result)
            case "business_id": return nonEmpty(s.businessId)
            case "originator_dept_name": return nonEmpty(s.originatorDeptName)
            case "biz_action": return nonEmpty(s.bizAction)
            default: fatalError("unknown column \(column)")
            }
        }
    }

    static func nonEmpty(_ s: String) -> String? { s.isEmpty || s == "null" ? nil : s }

    static func decimal(_ raw: String, _ flavor: Flavor) -> String {
        let plain = raw.replacingOccurrences(of: ",", with: "")
        guard flavor == .mysql else { return plain }
        let parts = plain.split(separator: ".", omittingEmptySubsequences: false)
        let frac = parts.count > 1 ? String(parts[1]) : ""
        return "\(parts[0]).\((frac + "00").prefix(2))"
    }

    /// Job timezone Asia/Shanghai: the same wall clock as DingTalk's Beijing time.
    static func beijing(_ ms: Int64) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "Asia/Shanghai")
        f.dateFormat = "yyyy-MM-dd HH:mm:ss"
        return f.string(from: Date(timeIntervalSince1970: Double(ms) / 1000))
    }
}
