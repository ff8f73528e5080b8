"""Every code value of the domain (DESIGN §3) with its zh and en label, in one place."""

from __future__ import annotations

from enum import StrEnum


class Labeled(StrEnum):
    """A closed set of code values, each with a Chinese and an English label.

    Members are their own code (``Outcome.completed == "completed"``), so they compare equal
    to plain strings from JSON or the database. Build one with :func:`labeled`.
    """

    def label(self, lang: str = "zh") -> str:
        """The label a person reads, in ``lang`` ("zh" or "en")."""
        zh, en = type(self)._labels[self.value]
        return en if lang == "en" else zh

    @classmethod
    def codes(cls) -> list[str]:
        """All code values, in declaration order."""
        return [m.value for m in cls]


def labeled(name: str, **members: tuple[str, str]) -> type[Labeled]:
    """Make a :class:`Labeled` enumeration whose codes are the keyword names."""
    enum = Labeled(name, {code: code for code in members}, module=__name__)
    enum._labels = dict(members)
    return enum


Role = labeled(
    "Role",
    advisor=("社区救助顾问", "community assistance advisor"),
    supervisor=("街镇救助经办人员", "street-office supervisor"),
    admin=("系统管理员", "administrator"),
)

AreaKind = labeled(
    "AreaKind",
    district=("区", "district"),
    street=("街道（乡镇）", "street / town"),
    community=("居委（村委）", "residents' / village committee"),
)

Category = labeled(
    "Category",
    tekun=("特困人员", "extreme poverty support"),
    dibao=("低保对象", "minimum living allowance"),
    dibao_edge=("低保边缘家庭", "near minimum living allowance"),
    rigid_expense=("刚性支出困难家庭", "hardship from rigid expenses"),
    relapse_watch=("防止返贫监测对象", "relapse-into-poverty watch"),
    child_distress=("困境儿童", "children in distress"),
    scattered_orphan=("社会散居孤儿", "scattered orphan"),
    dept_special=("部门专项救助对象", "departmental special assistance"),
    group_aid=("群团组织常态化帮扶对象", "mass-organisation regular aid"),
    exited_recent=("近两年申请未通过或退出对象", "refused or exited in last two years"),
    discovered=("走访发现、慈善重点帮扶对象", "found in visits / charity focus"),
    other=("其他困难对象", "other hardship"),
)

HardshipLevel = labeled(
    "HardshipLevel",
    high=("重点", "high"),
    medium=("一般", "medium"),
    low=("稳定", "low"),
)

VisitCycle = labeled(
    "VisitCycle",
    monthly=("每月", "monthly"),
    quarterly=("每季度", "quarterly"),
    half_yearly=("每半年", "half-yearly"),
)

HouseholdStatus = labeled(
    "HouseholdStatus",
    active=("在册", "active"),
    closed=("已销户", "closed"),
)

Gender = labeled(
    "Gender",
    male=("男", "male"),
    female=("女", "female"),
)

Relation = labeled(
    "Relation",
    head=("户主", "head of household"),
    spouse=("配偶", "spouse"),
    child=("子女", "child"),
    parent=("父母", "parent"),
    grandchild=("孙子女", "grandchild"),
    sibling=("兄弟姐妹", "sibling"),
    other=("其他", "other"),
)

Health = labeled(
    "Health",
    healthy=("健康", "healthy"),
    chronic=("慢性病", "chronic illness"),
    serious_illness=("大重病", "serious illness"),
    severe_disability=("重度残疾", "severe disability"),
)

LabourCapacity = labeled(
    "LabourCapacity",
    full=("有劳动能力", "full"),
    partial=("部分劳动能力", "partial"),
    none=("无劳动能力", "none"),
)

Employment = labeled(
    "Employment",
    employed=("在业", "employed"),
    flexible=("灵活就业", "flexible work"),
    unemployed=("失业", "unemployed"),
    student=("在校学生", "student"),
    retired=("退休", "retired"),
    not_applicable=("不适用", "not applicable"),
)

Outcome = labeled(
    "Outcome",
    completed=("见面走访", "visited in person"),
    not_home=("未遇", "not at home"),
    refused=("拒绝走访", "refused"),
    moved=("已迁出", "moved away"),
    deceased=("已去世", "deceased"),
    unreachable=("无法联系", "unreachable"),
)

IncomeChange = labeled(
    "IncomeChange",
    up=("增加", "increased"),
    same=("无变化", "unchanged"),
    down=("减少", "decreased"),
    unknown=("不清楚", "unknown"),
)

Finding = labeled(
    "Finding",
    income_drop=("收入下降", "income drop"),
    job_loss=("失业", "job loss"),
    serious_illness=("大重病", "serious illness"),
    large_medical_expense=("大额医疗支出", "large medical expense"),
    disability=("残疾", "disability"),
    death_in_family=("家庭成员死亡", "death in family"),
    detention=("羁押、服刑或强制戒毒", "detention"),
    housing_hazard=("住房安全隐患", "housing hazard"),
    disaster=("受灾", "disaster"),
    member_change=("家庭成员变化", "change of members"),
    moved=("迁居", "moved"),
    other=("其他", "other"),
)

Need = labeled(
    "Need",
    medical=("医疗", "medical"),
    education=("教育", "education"),
    housing=("住房", "housing"),
    employment=("就业", "employment"),
    temporary_aid=("临时救助", "temporary aid"),
    counselling=("心理疏导", "counselling"),
    daily_care=("生活照料", "daily care"),
    capacity=("能力提升", "capacity building"),
    social_integration=("社会融入", "social integration"),
    legal=("法律援助", "legal aid"),
    other=("其他", "other"),
)

Situation = labeled(
    "Situation",
    maybe_eligible=("尚未纳入救助但可能符合条件", "not covered but maybe eligible"),
    changed=("家庭情况发生变化", "circumstances changed"),
    hardship_not_eligible=("确有困难但不符合救助条件", "hardship but not eligible"),
    no_support=("暂不符合救助政策又无合适社会力量帮扶", "not eligible and no social support"),
    none=("无上述情形", "none of these"),
)

RecordStatus = labeled(
    "RecordStatus",
    draft=("草稿", "draft"),
    submitted=("已提交", "submitted"),
    returned=("已退回", "returned"),
    resubmitted=("已重新提交", "resubmitted"),
    approved=("已审核", "approved"),
)

# A lead (走访发现) in the supervisors' queue: checked, then enrolled or set aside.
LeadStatus = labeled(
    "LeadStatus",
    new=("待核实", "to be checked"),
    confirmed=("已确认", "confirmed"),
    dismissed=("不予纳入", "not taken up"),
)

IntervieweeRole = labeled(
    "IntervieweeRole",
    neighbour=("邻居", "neighbour"),
    building_leader=("楼组长", "building leader"),
    committee=("居委干部", "committee member"),
    landlord=("房东", "landlord"),
    relative=("亲属", "relative"),
    property_mgmt=("物业", "property management"),
    other=("其他", "other"),
)

Corroborates = labeled(
    "Corroborates",
    yes=("情况属实", "yes"),
    partly=("部分属实", "partly"),
    no=("不属实", "no"),
)

WarningSource = labeled(
    "WarningSource",
    visit_rule=("走访规则", "visit rule"),
    platform=("低收入人口动态监测平台", "monitoring platform"),
    manual=("人工登记", "manual"),
)

WarningLevel = labeled(
    "WarningLevel",
    blue=("蓝色预警", "blue"),
    yellow=("黄色预警", "yellow"),
    orange=("橙色预警", "orange"),
    red=("红色预警", "red"),
)

WarningStatus = labeled(
    "WarningStatus",
    open=("待核实", "open"),
    verifying=("核实中", "verifying"),
    disposed=("已处置", "disposed"),
    closed=("已办结", "closed"),
)

Disposal = labeled(
    "Disposal",
    included=("纳入救助", "included in assistance"),
    referred=("转介相关部门", "referred"),
    social_help=("社会力量帮扶", "social help"),
    monitor=("持续关注", "keep monitoring"),
    no_action=("无需处置", "no action"),
)

# A warning's kind: any finding, or one of the schedule/platform kinds.
WarningKind = labeled(
    "WarningKind",
    **{m.value: (m.label("zh"), m.label("en")) for m in Finding},
    # The four situations (四种情形) other than none, each a kind of its own: each fits
    # other disposals (server.services.warnings.rules).
    **{m.value: (m.label("zh"), m.label("en")) for m in Situation if m != "none"},
    deceased=("已去世", "deceased"),
    not_reached=("连续未遇或无法联系", "repeatedly not reached"),
    overdue=("逾期未走访", "overdue visit"),
    address_mismatch=("户籍地与居住地信息不符", "address mismatch"),
    urgent=("急难情况", "urgent hardship"),
)

# How an admin revokes a tablet (issue 19): ``retire`` lets it push what it holds and then
# wipe; ``lost`` kills the token at once and the tablet wipes on first contact.
RevokeKind = labeled(
    "RevokeKind",
    retire=("停用回收", "retire"),
    lost=("报失", "lost"),
)


ALL_ENUMS: tuple[type[Labeled], ...] = (
    Role,
    AreaKind,
    Category,
    HardshipLevel,
    VisitCycle,
    HouseholdStatus,
    Gender,
    Relation,
    Health,
    LabourCapacity,
    Employment,
    Outcome,
    IncomeChange,
    Finding,
    Need,
    Situation,
    RecordStatus,
    LeadStatus,
    IntervieweeRole,
    Corroborates,
    WarningSource,
    WarningLevel,
    WarningStatus,
    Disposal,
    WarningKind,
    RevokeKind,
)
