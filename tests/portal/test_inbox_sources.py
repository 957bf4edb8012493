"""The unified inbox gathers every kind of waiting work: here, rating alerts until they are handled."""

from __future__ import annotations

from intake.db import this_hour
from portal.keyring import current_key
from portal.rating_alerts import raise_alert
from tests.helpers import csrf_of


def test_a_rating_alert_waits_in_the_inbox_until_handled(db, deployment, department, head_client):
    with db.transaction() as session:
        alert = raise_alert(session, office_key=current_key(session, deployment.office.id),
                            hospital_id=deployment.hospital.id, department_id=department.id,
                            created_hour=this_hour(), submission_id=None, answers={"red_envelope": "yes"},
                            comment="医生暗示要红包")
        alert_id = alert.id
    waiting = head_client.get("/office/work?kind=rating_alert").text
    assert f'value="rating_alert:{alert_id}"' in waiting  # a row of its own, assignable like any item
    assert "医生暗示要红包" not in waiting  # the inbox lists; only the alerts page opens the sealed answers
    page = head_client.get("/office/ratings/alerts")
    handled = head_client.post(f"/office/ratings/alerts/{alert_id}/handled", data={"csrf_token": csrf_of(page.text)},
                               follow_redirects=False)
    assert handled.status_code == 303
    assert f'value="rating_alert:{alert_id}"' not in head_client.get("/office/work?kind=rating_alert").text
