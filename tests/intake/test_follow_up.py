"""A reporter comes back with the receipt code: status, the office's replies, answers with files; guessing fails."""

from __future__ import annotations

import re

from sqlalchemy import select
from starlette.testclient import TestClient

from intake.conversation import Message
from intake.followup import FollowLimits
from tests.conftest import BASE_URL
from tests.helpers import csrf_of
from tests.reporting import FULL_REPORT, Reporter, photo_with_gps, poster_code, receipt_on


def filed(client, db) -> tuple[Reporter, str]:
    reporter = Reporter(client)
    return reporter, receipt_on(reporter.file(poster_code(db), FULL_REPORT).text)


def submission_id_in(inbox_html: str) -> str:
    found = re.search(r"/office/submissions/([0-9a-f]{32})", inbox_html)
    assert found
    return found.group(1)


def office_form(head_client, submission_id: str, action: str, **fields: str):  # type: ignore[no-untyped-def]
    page = head_client.get(f"/office/submissions/{submission_id}")
    return head_client.post(f"/office/submissions/{submission_id}/{action}",
                            data={"csrf_token": csrf_of(page.text), **fields}, follow_redirects=False)


def test_the_whole_conversation_round_trip(app, db, deployment, head_client):
    with TestClient(app, base_url=BASE_URL) as phone:
        reporter, receipt = filed(phone, db)
        # The code typed back with dashes and full-width digits opens a session kept only in a cookie.
        typed = receipt.replace(" ", "-").replace("1", "１")
        entered = reporter.follow(typed)
        assert entered.status_code == 303 and entered.headers["location"] == "/follow/view"
        cookie = entered.headers["set-cookie"]
        assert "Path=/follow" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
        assert "Max-Age=1200" in cookie
        view = phone.get("/follow/view")
        assert "已收到" in view.text and "纪检部门还没有回复" in view.text

        # The office replies, then accepts the report with a result text it chooses to give.
        submission_id = submission_id_in(head_client.get("/office/").text)
        assert office_form(head_client, submission_id, "reply", text="请问您还记得具体日期吗？").status_code == 303
        assert office_form(head_client, submission_id, "status", status="accepted",
                           result="已受理，正在核实。").status_code == 303
        view = phone.get("/follow/view")
        assert "请问您还记得具体日期吗？" in view.text and "已受理，正在核实。" in view.text
        assert re.search(r'id="status-word">已受理<', view.text)

        # The reporter answers with text and a photo; the office reads both, the photo without its GPS.
        sent = reporter.answer("是5月8日上午。", files=[("p.jpg", photo_with_gps(), "image/jpeg")])
        assert sent.status_code == 303
        assert "是5月8日上午。" in phone.get("/follow/view?sent=1").text
    page = head_client.get(f"/office/submissions/{submission_id}")
    assert "是5月8日上午。" in page.text and "后续补充" in page.text
    link = re.findall(rf'href="(/office/submissions/{submission_id}/files/[0-9a-f]+)"', page.text)[-1]
    photo = head_client.get(link).content
    assert photo.startswith(b"\xff\xd8") and b"CANARY-CAMERA" not in photo

    # Every message is sealed: the database holds no word of it.
    with db.transaction() as session:
        messages = session.scalars(select(Message).order_by(Message.seq)).all()
    assert [m.kind.value for m in messages] == ["reply", "result", "answer"]
    for message in messages:
        for blob in (message.for_office, message.for_reporter):
            assert "具体日期".encode() not in blob and "5月8日".encode() not in blob


def test_an_empty_answer_is_refused_with_a_message_and_the_session_ends_on_request(client, db, deployment):
    reporter, receipt = filed(client, db)
    reporter.follow(receipt)
    refused = reporter.answer("   ")
    assert refused.status_code == 400 and "请写下要补充的内容" in refused.text
    token = csrf_of(client.get("/follow/view").text)
    ended = client.post("/follow/end", data={"csrf_token": token}, follow_redirects=False)
    assert ended.status_code == 303
    assert client.get("/follow/view", follow_redirects=False).headers["location"] == "/follow"


def test_a_forged_or_foreign_cookie_opens_nothing(client, db, deployment):
    filed(client, db)
    client.cookies.set("hip_follow", "AAAA" * 20, path="/follow")
    assert client.get("/follow/view", follow_redirects=False).headers["location"] == "/follow"


def test_wrong_codes_are_throttled_per_client_and_a_throttled_right_code_reads_the_same(app, db, deployment):
    app.starlette.state.follow_limits = FollowLimits(per_client=3, overall=1000)
    with TestClient(app, base_url=BASE_URL, client=("203.0.113.7", 5000)) as phone:
        reporter, receipt = filed(phone, db)
        wrong = [reporter.follow("1234 5678 9012 3456 7890") for _ in range(3)]
        assert all(r.status_code == 400 for r in wrong)
        throttled = reporter.follow(receipt)
        assert throttled.status_code == wrong[0].status_code
        assert "hip_follow" not in throttled.headers.get("set-cookie", "")

        def message(html: str) -> str:
            return re.search(r'id="code-error" role="alert">([^<]+)<', html).group(1)

        assert message(throttled.text) == message(wrong[0].text)
    # Another client is not held back by this one's guesses.
    with TestClient(app, base_url=BASE_URL, client=("198.51.100.9", 5000)) as other:
        assert Reporter(other).follow(receipt).status_code == 303


def test_wrong_codes_are_throttled_over_all_clients(app, db, deployment):
    app.starlette.state.follow_limits = FollowLimits(per_client=100, overall=4)
    receipt = None
    for n in range(4):
        with TestClient(app, base_url=BASE_URL, client=(f"192.0.2.{n}", 5000)) as phone:
            if receipt is None:
                receipt = filed(phone, db)[1]
            assert Reporter(phone).follow("0000 0000 0000 0000 0000").status_code == 400
    with TestClient(app, base_url=BASE_URL, client=("192.0.2.200", 5000)) as fresh:
        assert Reporter(fresh).follow(receipt).status_code == 400


def test_a_reply_to_a_real_name_reporter_counts_as_the_acceptance_notice(app, db, deployment, head_client):
    from portal.clue_models import NoticeKind, ReporterNotice

    with TestClient(app, base_url=BASE_URL) as phone:
        reporter = Reporter(phone)
        reporter.file(poster_code(db), {**FULL_REPORT, "real_name": "王五", "contact": "13900000000"})
    submission_id = submission_id_in(head_client.get("/office/").text)
    assert "受理告知" in head_client.get("/office/work").text  # owed, shown in the inbox
    assert office_form(head_client, submission_id, "reply", text="您的举报已受理。").status_code == 303
    closed = office_form(head_client, submission_id, "status", status="closed", result="经核实，已处理。")
    assert closed.status_code == 303
    with db.transaction() as session:
        kinds = set(session.scalars(select(ReporterNotice.kind).where(ReporterNotice.submission_id == submission_id)))
    assert kinds == {NoticeKind.ACCEPTANCE, NoticeKind.RESULT}


def test_a_reporter_who_writes_back_is_waiting_in_the_office_inbox(app, db, deployment, head_client):
    with TestClient(app, base_url=BASE_URL) as phone:
        reporter, receipt = filed(phone, db)
        submission_id = submission_id_in(head_client.get("/office/").text)
        assert office_form(head_client, submission_id, "reply", text="请补充时间。").status_code == 303
        assert f"/office/submissions/{submission_id}" not in head_client.get("/office/work?kind=reply").text
        reporter.follow(receipt)
        assert reporter.answer("是5月8日上午。").status_code == 303
    waiting = head_client.get("/office/work?kind=reply").text
    assert f"/office/submissions/{submission_id}" in waiting and "举报人补充" in waiting
    assert office_form(head_client, submission_id, "reply", text="收到，谢谢。").status_code == 303
    assert f"/office/submissions/{submission_id}" not in head_client.get("/office/work?kind=reply").text
