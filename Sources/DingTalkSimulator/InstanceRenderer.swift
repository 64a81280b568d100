/// Renders a `SimInstance` as the `process_instance` object of `processinstance/get`, with the
/// keys (and key order) of DingTalk's documented example (fixtures/get-official.json).
enum InstanceRenderer {
    static let approvers = ["manager_finance01", "cfo_wang"]
    static let ccUser = "cashier_li"

    static func render(_ i: SimInstance) -> JSON {
        let t = BeijingTime.format
        var pairs: [(String, JSON)] = [
            ("form_component_values", .array(i.components.map(component))),
            ("create_time", .string(t(i.createTimeMs))),
            ("attached_process_instance_ids", .array(i.attachedIds.map { .string($0) })),
            ("cc_userids", .array(i.status == "COMPLETED" ? [.string(ccUser)] : [])),
            ("originator_dept_name", .string(i.originatorDeptName)),
            ("originator_userid", .string(i.originatorUserId)),
            ("title", .string(i.title)),
        ]
        if let f = i.finishTimeMs { pairs.append(("finish_time", .string(t(f)))) }
        pairs += [
            ("result", .string(i.result)),
            ("originator_dept_id", .string(i.originatorDeptId)),
            ("business_id", .string(i.businessId)),
            ("tasks", .array(tasks(i))),
            ("biz_action", .string(i.bizAction)),
            ("operation_records", .array(records(i))),
            ("status", .string(i.status)),
        ]
        if let main = i.mainProcessInstanceId { pairs.append(("main_process_instance_id", .string(main))) }
        return .object(pairs)
    }

    static func component(_ c: SimComponent) -> JSON {
        var pairs: [(String, JSON)] = [("component_type", .string(c.componentType))]
        if let name = c.name { pairs.append(("name", .string(name))) }
        pairs.append(("id", .string(c.id)))
        if let v = c.value { pairs.append(("value", .string(v))) }
        if let e = c.extValue { pairs.append(("ext_value", .string(e))) }
        return .object(pairs)
    }

    /// Two approval steps. Their progress follows the instance's status; times sit between
    /// creation and finish so they stay plausible.
    static func tasks(_ i: SimInstance) -> [JSON] {
        let steps: [(status: String, result: String)]
        switch (i.status, i.result) {
        case ("COMPLETED", "refuse"): steps = [("COMPLETED", "AGREE"), ("COMPLETED", "REFUSE")]
        case ("COMPLETED", _): steps = [("COMPLETED", "AGREE"), ("COMPLETED", "AGREE")]
        case ("TERMINATED", _), ("CANCELED", _): steps = [("CANCELED", "NONE")]
        case ("NEW", _): steps = [("NEW", "NONE")]
        default: steps = [("COMPLETED", "AGREE"), ("RUNNING", "NONE")]
        }
        let base = abs(i.id.hashValueStable) % 90_000 + 10_000
        return steps.enumerated().map { n, step in
            var pairs: [(String, JSON)] = [
                ("task_status", .string(step.status)),
                ("activity_id", .string("act\(n)-\(String(base, radix: 16))")),
                ("task_result", .string(step.result)),
                ("userid", .string(approvers[n % approvers.count])),
            ]
            if step.status == "COMPLETED" || step.status == "CANCELED" {
                pairs.append(("finish_time", .string(BeijingTime.format(stepTime(i, n + 1, of: steps.count)))))
            }
            pairs.append(("taskid", .string(String(base * 10 + n))))
            pairs.append(("url", .string("https://aflow.dingtalk.com/dingtalk/mobile/homepage.htm#/approval?procInsId=\(i.id)")))
            return .object(pairs)
        }
    }

    static func records(_ i: SimInstance) -> [JSON] {
        func rec(_ ms: Int64, _ type: String, _ result: String, _ user: String, remark: String? = nil) -> JSON {
            var pairs: [(String, JSON)] = [
                ("date", .string(BeijingTime.format(ms))), ("operation_type", .string(type)),
                ("operation_result", .string(result)),
            ]
            if let remark { pairs.append(("remark", .string(remark))) }
            pairs.append(("userid", .string(user)))
            return .object(pairs)
        }
        var out = [rec(i.createTimeMs, "START_PROCESS_INSTANCE", "NONE", i.originatorUserId)]
        switch (i.status, i.result) {
        case ("COMPLETED", let result):
            out.append(rec(stepTime(i, 1, of: 2), "EXECUTE_TASK_NORMAL", "AGREE", approvers[0]))
            out.append(rec(stepTime(i, 2, of: 2), "EXECUTE_TASK_NORMAL", result == "refuse" ? "REFUSE" : "AGREE",
                           approvers[1], remark: result == "refuse" ? "金额有误，请核实" : ""))
            if result != "refuse" { out.append(rec(stepTime(i, 2, of: 2), "PROCESS_CC", "NONE", ccUser, remark: "")) }
        case ("TERMINATED", _), ("CANCELED", _):
            out.append(rec(stepTime(i, 1, of: 1), "TERMINATE_PROCESS_INSTANCE", "NONE", i.originatorUserId))
        case ("RUNNING", _):
            out.append(rec(i.createTimeMs + 60_000, "EXECUTE_TASK_NORMAL", "AGREE", approvers[0]))
        default: break
        }
        return out
    }

    private static func stepTime(_ i: SimInstance, _ k: Int, of n: Int) -> Int64 {
        guard let f = i.finishTimeMs, n > 0 else { return i.createTimeMs + 60_000 * Int64(k) }
        return i.createTimeMs + (f - i.createTimeMs) * Int64(k) / Int64(n)
    }
}

extension String {
    /// FNV-1a: stable across runs (Swift's hashValue is seeded per process).
    var hashValueStable: Int {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return Int(truncatingIfNeeded: h >> 1)
    }
}
