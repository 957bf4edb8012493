"""Chinese labels of the categorical values kept in the database (the English comes from the catalogue)."""

from __future__ import annotations

KIND = {"report": "举报", "rating": "满意度评价", "handin": "红包上缴登记"}
STATUS = {"received": "已收到", "accepted": "已受理", "investigating": "核查中", "closed": "已办结"}
ROLE = {"officer": "纪检干部", "head": "负责人", "admin": "系统管理员"}
CATEGORY = {"functional": "职能科室", "clinical": "临床科室", "medtech": "医技科室"}

# 举报类别 (DOMAIN.md): the nine categories a report falls in.
REPORT_CATEGORY = {
    "red_envelope": "收受“红包”",
    "soliciting": "索要财物 / 吃拿卡要",
    "kickback": "回扣 / 带金销售 / 开单提成",
    "overtreatment": "过度诊疗",
    "outside_purchase": "院外购药 / 转介第三方",
    "slot_selling": "号源床源谋利",
    "improper_fees": "乱收费 / 欺诈骗保",
    "pharma_rep": "医药代表不当接触",
    "other": "其他违反廉洁从业规定",
}
REPORT_CATEGORY_HINT = {
    "red_envelope": "现金、购物卡、礼品、宴请、旅游等",
    "soliciting": "暗示或索要钱物、好处",
    "kickback": "药品、器械、试剂回扣，按处方或检查提成",
    "overtreatment": "小病大治、重复检查、术中加项、大处方",
    "outside_purchase": "引导到院外药店购药，或推荐收费的第三方服务",
    "slot_selling": "倒卖号源、床位、手术排期",
    "improper_fees": "不合理收费，虚报、多报医保费用",
    "pharma_rep": "医药代表在诊疗区域推销",
    "other": "以上都不是",
}

# 红包上缴登记
HANDIN_STATE = {"registered": "待确认收到", "confirmed": "已确认收到", "handled": "已处理"}
GIFT_FORM = {"cash": "现金", "card": "购物卡", "gift": "礼品", "other": "其他"}
HANDLING = {"returned": "退还患者", "deposit": "冲抵住院预交金", "finance": "上交医院财务"}
REQUESTED_HANDLING = {**HANDLING, "office": "由纪检监察室决定"}

# Every table above, by the name templates use: labels.<name>[value]. One entry per line (merges stay clean).
ALL = {
    "kind": KIND,
    "status": STATUS,
    "role": ROLE,
    "category": CATEGORY,
    "report_category": REPORT_CATEGORY,
    "report_category_hint": REPORT_CATEGORY_HINT,
    "handin_state": HANDIN_STATE,
    "gift_form": GIFT_FORM,
    "handling": HANDLING,
    "requested_handling": REQUESTED_HANDLING,
}
