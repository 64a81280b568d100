/// One form component as the simulator will serve it.
public struct SimComponent: Sendable, Equatable {
    /// nil = no "name" key (notes, suites).
    public var name: String?
    public var id: String
    public var componentType: String
    /// nil = the "value" key is missing from the JSON.
    public var value: String?
    public var extValue: String?

    public init(name: String?, id: String, componentType: String, value: String?, extValue: String? = nil) {
        self.name = name
        self.id = id
        self.componentType = componentType
        self.value = value
        self.extValue = extValue
    }
}

/// One approval instance held by the simulator. Times are epoch milliseconds; the wire
/// format (Beijing-time strings) is produced only when answering.
public struct SimInstance: Sendable, Equatable {
    public var id: String
    public var processCode: String
    public var createTimeMs: Int64
    /// Set only for final statuses; nil = no "finish_time" key.
    public var finishTimeMs: Int64?
    public var title: String
    public var originatorUserId: String
    /// "-1" = the root department.
    public var originatorDeptId: String
    public var originatorDeptName: String
    /// NEW, RUNNING, COMPLETED, TERMINATED, CANCELED.
    public var status: String
    /// "agree", "refuse" or "" while running.
    public var result: String
    public var businessId: String
    /// NONE, MODIFY, REVOKE.
    public var bizAction: String
    public var mainProcessInstanceId: String?
    public var attachedIds: [String]
    public var components: [SimComponent]

    public static let finalStatuses: Set<String> = ["COMPLETED", "TERMINATED", "CANCELED"]
    public var isFinal: Bool { Self.finalStatuses.contains(status) }

    public init(id: String, processCode: String, createTimeMs: Int64, finishTimeMs: Int64? = nil,
                title: String = "测试提交的万师傅充值单", originatorUserId: String = "user001",
                originatorDeptId: String = "100001", originatorDeptName: String = "财务部",
                status: String = "RUNNING", result: String = "", businessId: String = "",
                bizAction: String = "NONE", mainProcessInstanceId: String? = nil,
                attachedIds: [String] = [], components: [SimComponent] = []) {
        self.id = id
        self.processCode = processCode
        self.createTimeMs = createTimeMs
        self.finishTimeMs = finishTimeMs
        self.title = title
        self.originatorUserId = originatorUserId
        self.originatorDeptId = originatorDeptId
        self.originatorDeptName = originatorDeptName
        self.status = status
        self.result = result
        self.businessId = businessId
        self.bizAction = bizAction
        self.mainProcessInstanceId = mainProcessInstanceId
        self.attachedIds = attachedIds
        self.components = components
    }
}
