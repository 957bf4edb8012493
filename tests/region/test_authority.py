"""The authority's office: escalated reports it alone reads, per-hospital figures without content (small cells
suppressed), audit chain checks that catch a truncated chain, and the regional quarterly table."""

from __future__ import annotations

import io
import re

from openpyxl import load_workbook
from sqlalchemy import delete, func, select, update

from intake.models import Department
from portal import audit
from portal.models import AuditEvent
from portal.region_models import ChainObservation
from tests.helpers import csrf_of
from tests.portal.workbench_support import store_report
from tests.region.support import add_second_hospital, authority_officer, login


def _authority(app, db, settings, deployment):  # type: ignore[no-untyped-def]
    chief = authority_officer(db, settings, deployment, "chief")
    return login(app, db, "chief", chief.totp_secret)


def test_a_report_escalated_to_the_authority_is_read_there_and_invisible_at_the_hospital(
        app, db, settings, deployment, department, head_client):
    report = store_report(db, deployment, department, "院长收受回扣", office_id=deployment.authority.id)
    chief = _authority(app, db, settings, deployment)
    assert report in chief.get("/office/").text
    opened = chief.get(f"/office/submissions/{report}")
    assert opened.status_code == 200 and "院长收受回扣" in opened.text
    assert head_client.get(f"/office/submissions/{report}").status_code == 404
    assert report not in head_client.get("/office/").text
    assert report not in head_client.get("/office/work?show=all").text


def test_figures_per_hospital_reveal_counts_only_and_suppress_small_cells(app, db, settings, deployment, department):
    other = add_second_hospital(db, settings, deployment)
    with db.transaction() as session:
        bone = session.scalar(select(Department).where(Department.hospital_id == other.hospital_id))
        office_id = session.scalar(select(func.max(AuditEvent.office_id)))
    for n in range(12):
        store_report(db, deployment, department, f"第一医院举报{n}")
    for n in range(3):
        store_report(db, deployment, bone, f"第二医院举报{n}", office_id=office_id, hospital_id=other.hospital_id)
    chief = _authority(app, db, settings, deployment)
    page = chief.get("/office/region").text
    first = re.search(r"示例市第一人民医院.*?</tr>", page, re.S).group(0)
    second = re.search(r"示例市city2医院.*?</tr>", page, re.S).group(0)
    cells = lambda row: re.findall(r'<td class="num">([^<]*)</td>', row)  # noqa: E731
    # received, open, overdue, ratings positive (not yet available), hand-ins
    assert cells(first)[:5] == ["12", "12", "&lt;10", "—", "&lt;10"]
    assert cells(second)[:5] == ["&lt;10", "&lt;10", "&lt;10", "—", "&lt;10"]
    assert "举报" not in first.replace("示例市第一人民医院", "")
    assert "医院举报" not in page


def test_chain_check_records_the_head_and_catches_truncation_and_edits(app, db, settings, deployment, head_client):
    with db.transaction() as session:  # a few events in the hospital's chain
        for n in range(5):
            audit.record(session, office_id=deployment.office.id, officer_id=None, action="export", target=str(n))
    chief = _authority(app, db, settings, deployment)
    token = csrf_of(chief.get("/office/region").text)
    assert chief.post("/office/region/verify", data={"csrf_token": token}).status_code == 200
    hospital_office = deployment.office.id
    with db.transaction() as session:
        seen = session.scalar(select(ChainObservation).where(ChainObservation.office_id == hospital_office))
        count = session.scalar(select(func.count()).select_from(AuditEvent)
                               .where(AuditEvent.office_id == hospital_office))
        assert seen.ok and seen.events == count and len(seen.head) == 32
    page = chief.get("/office/region").text
    assert seen.head.hex()[:16] in page and "完整" in page
    # Someone with database access deletes the hospital's newest events: the rest still links up...
    with db.transaction() as session:
        session.execute(delete(AuditEvent).where(AuditEvent.office_id == hospital_office,
                                                 AuditEvent.seq >= count - 1))
    chief.post("/office/region/verify", data={"csrf_token": token, "office_id": str(hospital_office)})
    assert "被截断或改写" in chief.get("/office/region").text
    # ...and an edited event in the middle breaks the chain itself.
    with db.transaction() as session:
        session.execute(update(AuditEvent).where(AuditEvent.office_id == hospital_office, AuditEvent.seq == 1)
                        .values(action="nothing_happened"))
    chief.post("/office/region/verify", data={"csrf_token": token, "office_id": str(hospital_office)})
    page = chief.get("/office/region").text
    assert "断裂（第 1 条）" in page
    # Each check is itself in the authority's own chain.
    with db.transaction() as session:
        checks = session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.office_id == deployment.authority.id, AuditEvent.action == "chain_verified"))
    assert checks >= 4


def test_regional_quarterly_table(app, db, settings, deployment, department):
    for n in range(11):
        store_report(db, deployment, department, f"举报{n}")
    add_second_hospital(db, settings, deployment)
    chief = _authority(app, db, settings, deployment)
    page = chief.get("/office/region")
    link = re.search(r'href="(/office/region/quarterly.xlsx[^"]+)"', page.text).group(1).replace("&amp;", "&")
    response = chief.get(link)
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [[c for c in row] for row in sheet.iter_rows(min_row=4, max_row=5, values_only=True)]
    assert rows[0][:7] == ["示例市第一人民医院", "demo", "11", "11", "<10", "—", "<10"]
    assert rows[1][:3] == ["示例市city2医院", "city2", "<10"]
    assert "未核验" in rows[0][-1]
