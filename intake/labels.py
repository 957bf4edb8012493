"""Chinese labels of the categorical values kept in the database (the English comes from the catalogue)."""

from __future__ import annotations

KIND = {"report": "举报", "rating": "满意度评价", "handin": "红包上缴登记"}
STATUS = {"received": "已收到", "accepted": "已受理", "investigating": "核查中", "closed": "已办结"}
ROLE = {"officer": "纪检干部", "head": "负责人", "admin": "系统管理员"}
CATEGORY = {"functional": "职能科室", "clinical": "临床科室", "medtech": "医技科室"}

# 红包上缴登记
HANDIN_STATE = {"registered": "待确认收到", "confirmed": "已确认收到", "handled": "已处理"}
GIFT_FORM = {"cash": "现金", "card": "购物卡", "gift": "礼品", "other": "其他"}
HANDLING = {"returned": "退还患者", "deposit": "冲抵住院预交金", "finance": "上交医院财务"}
REQUESTED_HANDLING = {**HANDLING, "office": "由纪检监察室决定"}

ALL = {"kind": KIND, "status": STATUS, "role": ROLE, "category": CATEGORY, "handin_state": HANDIN_STATE,
       "gift_form": GIFT_FORM, "handling": HANDLING, "requested_handling": REQUESTED_HANDLING}
