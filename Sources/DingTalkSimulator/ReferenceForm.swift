/// Seeded instances of the 万师傅充值单 (recharge request) form, with the awkward data real
/// forms carry: emoji, quotes, backslashes, SQL fragments, "null", empty strings, missing
/// values, odd amounts, long CJK texts, same-millisecond creations and every status.
/// The same seed always yields the same instances.
public struct ReferenceFormGenerator: Sendable {
    public let processCode: String
    private var rng: SplitMix64
    private var serial = 0
    private let seed: UInt64

    public init(seed: UInt64, processCode: String = "PROC-SIM-WAN-RECHARGE") {
        self.seed = seed
        self.processCode = processCode
        self.rng = SplitMix64(seed: seed ^ 0x5EED_F0F0_1234_ABCD)
    }

    /// The form's labelled components in form order: (label, component_type).
    public static let fields: [(name: String, type: String)] = [
        ("部门", "DepartmentField"), ("月份", "DDDateField"), ("用途明细", "TextareaField"),
        ("对应科目", "DDSelectField"), ("充值账户", "TextField"), ("费用说明", "TextareaField"),
        ("充值金额", "MoneyField"), ("付款方式", "DDSelectField"), ("其他付款账户", "TextField"),
        ("收款人姓名", "TextField"), ("收款账号", "TextField"), ("开户银行", "TextField"),
        ("财务付款方式", "DDSelectField"), ("实际付款金额", "MoneyField"), ("充值明细", "TableField"),
    ]
    /// The unnamed note component (no "name" key).
    public static let noteId = componentId(label: "说明", type: "TextNote")

    /// Stable per label, e.g. `TextField_1A2B3C`.
    public static func componentId(label: String, type: String) -> String {
        let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")
        var h = UInt64(label.hashValueStable)
        var s = ""
        for _ in 0..<6 { s.append(alphabet[Int(h % 36)]); h /= 36 }
        return "\(type)_\(s)"
    }

    /// One awkward case is forced onto every other instance in turn, so each appears at least
    /// once per 2 × allCases.count instances, whatever the seed.
    public enum Awkward: CaseIterable, Sendable {
        case emoji, quotes, backslash, sqlFragment, nullLiteral, emptyString, missingValue
        case commaAmount, longText, sameMillisecond, rootDept, multiline, emptyTable, rareCJK
    }

    static let depts: [(id: String, name: String)] = [
        ("-1", "万师傅科技有限公司"), ("100231", "市场部"), ("100232", "财务部"), ("100245", "运营中心"),
        ("100301", "品牌推广组"), ("100388", "华东大区"),
    ]
    static let users: [(id: String, name: String)] = [
        ("wsf_zhangsan", "张三"), ("wsf_lisi", "李四"), ("wsf_wangwu", "王五"), ("0148263355", "赵敏"),
        ("manager8112", "欧阳娜娜"), ("wsf_chen", "陈晓"), ("1932044", "Kevin Liu"), ("wsf_sun", "孙悦"),
    ]
    static let subjects = ["市场推广费", "平台服务费", "广告充值", "技术服务费", "其他"]
    static let payMethods = ["公司账户", "个人垫付", "其他账户"]
    static let financeMethods = ["银行转账", "支付宝", "微信", "承兑汇票"]
    static let banks = ["中国工商银行北京分行", "招商银行深圳科技园支行", "中国建设银行", "浦发银行上海张江支行", "支付宝（中国）网络技术有限公司"]
    static let purposes = ["百度推广账户充值", "抖音巨量引擎广告充值", "阿里云服务器续费", "微信公众号广告投放", "高德地图API调用包", "短信平台充值"]
    static let specialAmounts = ["1,200.50", "1200", "35662.88", "0.10"]
    static let phrases = ["本月推广预算已获批准，", "根据上季度投放效果分析，", "华东区域客户转化率持续提升，", "为配合新产品上线活动，",
                          "需提前充值以免账户余额不足导致投放中断。", "财务已核对历史账单，", "请审批人尽快处理，谢谢！", "相关合同编号见附件。"]

    public mutating func make(count: Int, fromMs: Int64, toMs: Int64) -> [SimInstance] {
        var out: [SimInstance] = []
        out.reserveCapacity(count)
        let span = UInt64(max(0, toMs - fromMs)) + 1
        for _ in 0..<count {
            serial += 1
            let awkward: Awkward? = serial % 2 == 0 ? Awkward.allCases[(serial / 2) % Awkward.allCases.count] : nil
            var created = fromMs + Int64(rng.next() % span)
            if awkward == .sameMillisecond, let prev = out.last { created = prev.createTimeMs }
            out.append(instance(createdMs: created, untilMs: toMs, awkward: awkward))
        }
        return out
    }

    private mutating func pick<T>(_ items: [T]) -> T { items[Int(rng.next() % UInt64(items.count))] }
    private mutating func chance(_ p: Double) -> Bool { SplitMix64.unit(rng.next()) < p }
    private mutating func int(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(rng.next() % UInt64(range.count))
    }

    private mutating func instance(createdMs: Int64, untilMs: Int64, awkward: Awkward?) -> SimInstance {
        let id = SimIDs.uuid(seed: SplitMix64.mix(seed, UInt64(serial)))
        let user = pick(Self.users)
        let dept = awkward == .rootDept ? Self.depts[0] : pick(Self.depts)
        let (status, result): (String, String) = {
            let r = SplitMix64.unit(rng.next())
            switch r {
            case ..<0.10: return ("NEW", "")
            case ..<0.30: return ("RUNNING", "")
            case ..<0.72: return ("COMPLETED", "agree")
            case ..<0.84: return ("COMPLETED", "refuse")
            case ..<0.93: return ("TERMINATED", "")
            default: return ("CANCELED", "")
            }
        }()
        let isFinal = SimInstance.finalStatuses.contains(status)
        let finish: Int64? = isFinal
            ? min(createdMs + Int64(int(60...259_200)) * 1000, max(createdMs, untilMs)) : nil

        let amount = awkward == .commaAmount || chance(0.15)
            ? pick(Self.specialAmounts) : "\(int(1...60_000)).\(BeijingTime.pad(int(0...99)))"
        let payMethod = pick(Self.payMethods)
        let subjectIndex = int(0...(Self.subjects.count - 1))
        let month = BeijingTime.parts(createdMs)

        var purpose = pick(Self.purposes) + "，" + pick(Self.phrases)
        var note = pick(Self.phrases) + pick(Self.phrases)
        var account = "wsf_ad_\(int(1000...9999))"
        var payee = pick(Self.users).name
        var other: String? = payMethod == "其他账户" ? "6222 0210 \(int(1000...9999)) \(int(1000...9999))" : "null"
        var bank: String? = pick(Self.banks)
        switch awkward {
        case .emoji: purpose += " 😀🚀 充值完成请回复👍 🇨🇳 👨‍👩‍👧"
        case .quotes: note = "客户要求\"加急\"处理，It's urgent — 备注：'单引号' 与 \"双引号\""
        case .backslash: account = "C:\\账户\\wsf_ad\\n\\\\share"
        case .sqlFragment: payee = "张三'); DROP TABLE x; --"
        case .nullLiteral: note = "null"; bank = "null"
        case .emptyString: note = ""; account = ""
        case .missingValue: other = nil; bank = nil
        case .longText: purpose = longText(int(1000...3000))
        case .multiline: purpose = "第一行：\(purpose)\n第二行：\t制表符\r\n第三行：结束"
        case .rareCJK: payee = "𠀀𪚥 龘靐"
        default: break
        }

        let finalAgree = status == "COMPLETED" && result == "agree"
        let financeIndex = int(0...(Self.financeMethods.count - 1))
        func c(_ label: String, _ type: String, _ value: String?, _ ext: String? = nil) -> SimComponent {
            SimComponent(name: label, id: Self.componentId(label: label, type: type), componentType: type, value: value, extValue: ext)
        }
        var components: [SimComponent] = [
            c("部门", "DepartmentField", dept.name,
              JSON.array([.object([("id", .string(dept.id)), ("name", .string(dept.name))])]).text),
            c("月份", "DDDateField", "\(BeijingTime.pad(month.year, 4))-\(BeijingTime.pad(month.month))"),
            c("用途明细", "TextareaField", purpose),
            c("对应科目", "DDSelectField", Self.subjects[subjectIndex], Self.option(Self.subjects[subjectIndex], subjectIndex)),
            c("充值账户", "TextField", account),
            c("费用说明", "TextareaField", note),
            c("充值金额", "MoneyField", amount, Self.money(amount)),
            c("付款方式", "DDSelectField", payMethod, Self.option(payMethod, Self.payMethods.firstIndex(of: payMethod)!)),
            c("其他付款账户", "TextField", other),
            c("收款人姓名", "TextField", payee),
            c("收款账号", "TextField", (0..<int(16...19)).map { _ in String(int(0...9)) }.joined()),
            c("开户银行", "TextField", bank),
            c("财务付款方式", "DDSelectField", finalAgree ? Self.financeMethods[financeIndex] : "null",
              finalAgree ? Self.option(Self.financeMethods[financeIndex], financeIndex) : nil),
            c("实际付款金额", "MoneyField", finalAgree ? amount : "null", finalAgree ? Self.money(amount) : nil),
        ]
        components.append(table(empty: awkward == .emptyTable || chance(0.1), amount: amount))
        components.insert(SimComponent(name: nil, id: Self.noteId, componentType: "TextNote",
                                       value: "请在每月25日前提交充值申请，逾期顺延至下月。"), at: 2)

        return SimInstance(
            id: id, processCode: processCode, createTimeMs: createdMs, finishTimeMs: finish,
            title: "\(user.name)提交的万师傅充值单", originatorUserId: user.id,
            originatorDeptId: dept.id, originatorDeptName: dept.name, status: status, result: result,
            businessId: SimIDs.businessId(createTimeMs: createdMs, sequence: serial % 100_000),
            bizAction: "NONE", components: components)
    }

    private mutating func longText(_ length: Int) -> String {
        var s = ""
        var n = 0
        while n < length {
            let p = pick(Self.phrases)
            s += p
            n += p.count
        }
        return String(s.prefix(length))
    }

    /// Rows with `rowValue`, or (as DingTalk does for an empty table) the template's schema.
    private mutating func table(empty: Bool, amount: String) -> SimComponent {
        let itemKey = Self.componentId(label: "充值项目", type: "TextField")
        let moneyKey = Self.componentId(label: "金额", type: "MoneyField")
        let id = Self.componentId(label: "充值明细", type: "TableField")
        if empty {
            let schema = JSON.array([
                .object([("label", .string("充值项目")), ("key", .string(itemKey)), ("componentType", .string("TextField"))]),
                .object([("label", .string("金额")), ("key", .string(moneyKey)), ("componentType", .string("MoneyField"))]),
            ])
            return SimComponent(name: "充值明细", id: id, componentType: "TableField", value: schema.text)
        }
        let rows = (1...int(1...3)).map { n -> JSON in
            .object([
                ("rowValue", .array([
                    .object([("label", .string("充值项目")), ("value", .string(pick(Self.purposes))), ("key", .string(itemKey))]),
                    .object([("label", .string("金额")), ("value", .string(n == 1 ? amount : "\(int(1...999)).00")), ("key", .string(moneyKey))]),
                ])),
                ("rowNumber", .string("\(id)_row\(n)")),
            ])
        }
        let ext = JSON.object([("statValue", .array([
            .object([("label", .string("金额")), ("key", .string(moneyKey)), ("num", .string(amount)), ("upper", .string(Self.upper(amount)))]),
        ]))])
        return SimComponent(name: "充值明细", id: id, componentType: "TableField", value: JSON.array(rows).text, extValue: ext.text)
    }

    static func option(_ label: String, _ index: Int) -> String {
        JSON.object([("label", .string(label)), ("key", .string("option_\(index)"))]).text
    }

    static func money(_ amount: String) -> String {
        JSON.object([("upper", .string(upper(amount))), ("unit", .string("元"))]).text
    }

    /// 大写金额, e.g. "1,200.50" → 壹仟贰佰元伍角.
    static func upper(_ amount: String) -> String {
        let clean = amount.filter { $0 != "," }
        let parts = clean.split(separator: ".", omittingEmptySubsequences: false)
        let yuan = Int(parts[0]) ?? 0
        let frac = parts.count > 1 ? Array(parts[1]) + ["0", "0"] : ["0", "0"]
        let jiao = Int(String(frac[0])) ?? 0, fen = Int(String(frac[1])) ?? 0
        let digits = Array("零壹贰叁肆伍陆柒捌玖")
        let units = ["", "拾", "佰", "仟"], groups = ["", "万", "亿"]
        var s = ""
        if yuan > 0 {
            var groupTexts: [String] = []
            var n = yuan, g = 0
            while n > 0 {
                let chunk = n % 10_000
                var t = ""
                var zero = false
                for pos in stride(from: 3, through: 0, by: -1) {
                    let d = chunk / Int(pow10(pos)) % 10
                    if d == 0 { zero = !t.isEmpty } else {
                        if zero { t += "零"; zero = false }
                        t += String(digits[d]) + units[pos]
                    }
                }
                groupTexts.insert(chunk == 0 ? "" : t + groups[g], at: 0)
                n /= 10_000; g += 1
            }
            s = groupTexts.joined() + "元"
        }
        if jiao == 0 && fen == 0 { return (s.isEmpty ? "零元" : s) + "整" }
        if jiao > 0 { s += String(digits[jiao]) + "角" } else if !s.isEmpty { s += "零" }
        if fen > 0 { s += String(digits[fen]) + "分" }
        return s
    }

    private static func pow10(_ n: Int) -> Int { (0..<n).reduce(1) { r, _ in r * 10 } }
}
