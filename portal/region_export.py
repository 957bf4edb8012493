"""The regional quarterly table (xlsx): one row per hospital, the same suppressed figures as the dashboard,
with each hospital's audit chain state as last verified. No content of any report."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from intake.workdays import CHINA
from portal import audit, xlsx
from portal.chain_watch import statuses
from portal.exports import body_name
from portal.quarterly import Quarter
from portal.region import SUPPRESS_BELOW, Period, figures, labels


def chain_text(status) -> str:  # type: ignore[no-untyped-def]
    observation = status.observation if status else None
    if observation is None:
        return "未核验"
    when = observation.verified_at.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")
    state = "完整" if observation.ok else ("被截断" if observation.problem == "truncated" else "断裂")
    return f"{state}（{observation.events} 条，{when}）"


def regional_xlsx(session: Session, *, office_id: int, officer_id: int, quarter: Quarter, today: date,
                  acceptance_workdays: int, result_workdays: int) -> bytes:
    rows = figures(session, period=Period(quarter.start, quarter.end), today=today,
                   acceptance_workdays=acceptance_workdays, result_workdays=result_workdays)
    chains = statuses(session)
    columns = ("医院", "简称", *(label for _, label in labels()), "审计日志核验")
    book = xlsx.new_workbook()
    ws = xlsx.sheet(book, "各医院情况", widths=(30, 10, *([12] * len(labels())), 30))
    xlsx.title(ws, f"{body_name(session, office_id)}{quarter.label}辖区医院廉洁从业工作情况", columns=len(columns))
    ws.cell(row=2, column=1, value=f"统计区间：{quarter.start.isoformat()} 至 {quarter.end.isoformat()}；"
                                   f"生成日期：{today.isoformat()}")
    for column, heading in enumerate(columns, start=1):
        xlsx.header_cell(ws, 3, column, heading)
    data = [(r.name, r.code, *(r.cells[key] for key, _ in labels()), chain_text(chains.get(r.office_id)))
            for r in rows]
    after = xlsx.data_rows(ws, data, start=4, wrap=frozenset({1, len(columns)}))
    xlsx.notes(ws, [f"说明：不足 {SUPPRESS_BELOW} 件的数字显示为“<{SUPPRESS_BELOW}”，以免识别个别举报人；"
                    "“未办结”“逾期未告知”为生成当日的状态；“—”表示该项尚无数据。", xlsx.SIGNATURE],
               start=after + 1, columns=len(columns))
    audit.record(session, office_id=office_id, officer_id=officer_id, action="export", target="regional",
                 details={"quarter": f"{quarter.year}Q{quarter.number}", "hospitals": len(rows)})
    return xlsx.to_bytes(book)
