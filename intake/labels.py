"""Chinese labels of the categorical values kept in the database (the English comes from the catalogue)."""

from __future__ import annotations

KIND = {"report": "举报", "rating": "满意度评价", "handin": "红包上缴登记"}
STATUS = {"received": "已收到", "accepted": "已受理", "investigating": "核查中", "closed": "已办结"}
ROLE = {"officer": "纪检干部", "head": "负责人", "admin": "系统管理员"}
CATEGORY = {"functional": "职能科室", "clinical": "临床科室", "medtech": "医技科室"}

ALL = {"kind": KIND, "status": STATUS, "role": ROLE, "category": CATEGORY}
