"""A patient rates the visit from a poster: every answer sealed, a missing one said at its question, codes used
once, open ratings throttled, junk refused with a 4xx."""

from __future__ import annotations

import base64
import re

from sqlalchemy import func, select

from crypto import context, generate_private_key, load_public_key, seal
from intake.models import Audience, Poster, Submission, SubmissionKind
from intake.questionnaire import QUESTIONS
from intake.rating_models import Rating
from intake.ratings import OPEN_RATINGS_PER_HOUR
from intake.sealing import submission_context
from portal.keyring import current_key
from tests.helpers import csrf_of
from tests.rating_helpers import GOOD, department_id, head_keyring, patient_poster

CANARY = "RATING-CANARY-走廊加床收费-91c2"


def fill(client, code: str, **fields: str):  # type: ignore[no-untyped-def]
    token = csrf_of(client.get(f"/q/{code}/rate").text)
    return client.post(f"/q/{code}/rate", data={"csrf_token": token, **fields}, follow_redirects=False)


def stored(db) -> list[tuple[Submission, Rating]]:
    with db.transaction() as session:
        return [(s, r) for s, r in session.execute(select(Submission, Rating).join(Rating))]


def test_the_form_asks_every_question_of_the_questionnaire(client, db, deployment):
    page = client.get(f"/q/{patient_poster(db, '骨科')}/rate")
    assert page.status_code == 200
    assert "骨科" in page.text
    for question in QUESTIONS:
        assert question.text in page.text
        for value, _ in question.answers:
            assert f'name="{question.key}" value="{value}"' in page.text
    assert 'name="comment"' in page.text


def test_a_rating_is_stored_sealed_and_the_thanks_page_offers_to_report_in_the_same_department(client, db,
                                                                                                deployment):
    code = patient_poster(db, "骨科")
    answer = fill(client, code, **GOOD, comment=CANARY)
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/q/{code}/rate/thanks?sealed=server"
    thanks = client.get(answer.headers["location"])
    assert "感谢您的评价" in thanks.text and f'href="/q/{code}/report"' in thanks.text and "骨科" in thanks.text

    [(submission, rating)] = stored(db)
    assert CANARY.encode() not in submission.envelope and not rating.verified and not rating.counted
    opened = head_keyring(db).open(submission.envelope, associated_data=submission_context(
        kind=submission.kind, hospital_id=submission.hospital_id, department_id=submission.department_id))
    assert CANARY in opened.decode() and submission.department_id == department_id(db, "骨科")


def test_a_missing_answer_is_said_at_its_question_and_the_others_are_kept(client, db, deployment):
    code = patient_poster(db, "骨科")
    partial = {k: v for k, v in GOOD.items() if k not in ("attitude", "fees_clear")}
    answer = fill(client, code, **partial, comment=CANARY)
    assert answer.status_code == 400
    page = answer.text
    for key in ("attitude", "fees_clear"):
        block = page[page.index(f'id="q-{key}"'):]
        block = block[: block.index("</fieldset>")]
        assert "请回答这一题" in block and re.search(r'class="field-error"[^>]*>请回答这一题', block)
    for key, value in partial.items():
        assert f'name="{key}" value="{value}" checked' in page
    assert CANARY in page  # the comment typed is still there
    assert stored(db) == []


def test_an_answer_that_is_not_offered_is_refused_at_its_question(client, db, deployment):
    answer = fill(client, patient_poster(db, "骨科"), **{**GOOD, "overall": "9"})
    assert answer.status_code == 400 and "请从选项中选择" in answer.text
    assert stored(db) == []


def test_a_hospital_wide_poster_lets_the_patient_choose_the_department(client, db, deployment):
    code = patient_poster(db, None)
    bone = department_id(db, "骨科")
    assert f'<option value="{bone}"' in client.get(f"/q/{code}/rate").text
    answer = fill(client, code, **GOOD, department=str(bone))
    # The thanks page sits under the department's own poster, so "我要举报" keeps the department.
    assert answer.headers["location"].startswith(f"/q/{patient_poster(db, '骨科')}/rate/thanks")
    assert stored(db)[0][0].department_id == bone

    junk = fill(client, code, **GOOD, department="99999")
    assert junk.status_code == 400 and "请从列表中选择科室" in junk.text
    assert len(stored(db)) == 1


def test_open_ratings_are_throttled_with_the_answers_kept(client, db, deployment):
    code = patient_poster(db, "儿科")
    for _ in range(OPEN_RATINGS_PER_HOUR):
        assert fill(client, code, **GOOD).status_code == 303
    refused = fill(client, code, **GOOD, comment=CANARY)
    assert refused.status_code == 429 and "一小时后再试" in refused.text and CANARY in refused.text
    assert len(stored(db)) == OPEN_RATINGS_PER_HOUR


def test_an_envelope_sealed_in_the_browser_is_stored_as_it_came(client, db, deployment):
    code = patient_poster(db, "骨科")
    bone = department_id(db, "骨科")
    with db.transaction() as session:
        key = current_key(session, deployment.office.id)
    ad = submission_context(kind=SubmissionKind.RATING, hospital_id=deployment.hospital.id,
                            department_id=bone)
    envelope = seal(load_public_key(key.public_key), b'{"v":1,"fields":{"overall":"5"}}', associated_data=ad)
    token = csrf_of(client.get(f"/q/{code}/rate").text)
    answer = client.post(f"/q/{code}/rate", headers={"accept": "application/json"}, data={
        "csrf_token": token, "envelope": base64.urlsafe_b64encode(envelope).decode().rstrip("=")})
    assert answer.json() == {"ok": True, "next": f"/q/{code}/rate/thanks?sealed=browser"}
    [(submission, _)] = stored(db)
    assert submission.envelope == envelope and submission.sealed_in_browser


def test_junk_envelopes_are_refused_with_a_4xx_and_nothing_is_stored(client, db, deployment):
    code = patient_poster(db, "骨科")
    stranger = generate_private_key().public_key()  # a key that is not the office's
    other_key = seal(stranger, b"{}", associated_data=context("x"))
    for junk in ("!!!not base64!!!", "AAAA", base64.urlsafe_b64encode(other_key).decode()):
        token = csrf_of(client.get(f"/q/{code}/rate").text)
        answer = client.post(f"/q/{code}/rate", data={"csrf_token": token, "envelope": junk})
        assert answer.status_code == 400 and "无法识别" in answer.text
    too_long = fill(client, code, **GOOD, comment="长" * 5000)
    assert too_long.status_code == 400
    without_token = client.post(f"/q/{code}/rate", data=GOOD)
    assert without_token.status_code == 403
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Submission)) == 0


def test_a_staff_poster_does_not_take_ratings_and_an_unknown_poster_says_so(client, db, deployment):
    with db.transaction() as session:
        staff = session.scalar(select(Poster.code).where(Poster.audience == Audience.STAFF))
    assert client.get(f"/q/{staff}/rate", follow_redirects=False).headers["location"] == f"/q/{staff}"
    assert client.get("/q/zzzzzz/rate").status_code == 404
    assert "未找到这个二维码" in client.get("/q/zzzzzz/rate").text


def test_the_form_is_available_in_english(client, db, deployment):
    code = patient_poster(db, "骨科")
    token = csrf_of(client.get("/").text)
    client.post("/lang", data={"csrf_token": token, "lang": "en", "next": "/"})
    page = client.get(f"/q/{code}/rate")
    assert "Did any staff hint at or ask for a red envelope or gifts?" in page.text and "Send rating" in page.text
    refused = fill(client, code, overall="5")
    assert "Please answer this question" in refused.text
