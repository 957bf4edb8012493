"""A report sent to the higher authority leaves no trace at the hospital's office, not even a count."""

from __future__ import annotations

import re

from sqlalchemy import select

from intake.models import Submission
from portal.submissions import count_for_office
from tests.helpers import PASSWORD, csrf_of
from tests.reporting import FULL_REPORT, Reporter, authority_officer, poster_code, receipt_on


def test_an_escalated_report_reaches_only_the_authority(client, db, deployment, settings, head_client,
                                                        officer_actions, app):
    from starlette.testclient import TestClient

    from tests.conftest import BASE_URL

    with TestClient(app, base_url=BASE_URL) as phone:
        reporter = Reporter(phone)
        page = reporter.file(poster_code(db), {**FULL_REPORT, "what": "院长收受器械公司回扣。", "escalate": "1"})
        assert page.status_code == 200
        assert "已直接送交示例市卫健委驻委纪检监察组" in page.text and "本院纪检部门看不到它" in page.text
        receipt = receipt_on(page.text)

    with db.transaction() as session:
        stored = session.scalars(select(Submission)).one()
        assert stored.office_id == deployment.authority.id and stored.hospital_id == deployment.hospital.id
        assert count_for_office(session, office_id=deployment.office.id) == 0

    # The hospital's head sees no row and no count, and cannot open it by its id.
    inbox = head_client.get("/office/")
    assert "暂无提交" in inbox.text and stored.id not in inbox.text
    assert head_client.get(f"/office/submissions/{stored.id}").status_code == 404
    officer_actions.logout()

    # An officer of the authority reads it, with the hospital named, and replies.
    zhao = authority_officer(db, deployment, settings)
    assert officer_actions.login("zhao", PASSWORD, zhao.totp_secret).status_code == 303
    inbox = client.get("/office/")
    assert stored.id in inbox.text
    page = client.get(f"/office/submissions/{stored.id}")
    assert "院长收受器械公司回扣。" in page.text and "示例市第一人民医院" in page.text
    sent = client.post(f"/office/submissions/{stored.id}/reply",
                       data={"csrf_token": csrf_of(page.text), "text": "已收到，我组将直接核查。"},
                       follow_redirects=False)
    assert sent.status_code == 303

    with TestClient(app, base_url=BASE_URL) as phone:
        reporter = Reporter(phone)
        assert reporter.follow(receipt).status_code == 303
        view = phone.get("/follow/view")
        assert "已收到，我组将直接核查。" in view.text and "示例市卫健委驻委纪检监察组" in view.text
        assert re.search(r"纪检监察室", view.text) is None
