"""After every flow of this issue, a marker typed into every field and file is found nowhere at rest."""

from __future__ import annotations

import json
import logging
import re
import tempfile

from sqlalchemy import select, text

from intake.db import Base
from tests.helpers import csrf_of
from tests.reporting import Reporter, photo_with_gps, poster_code, receipt_on, tiny_pdf

MARK = "ZQ9-CANARY-举报"


def forms_of(marker: str) -> list[bytes]:
    """How a marker could sit in a file: UTF-8, JSON-escaped, UTF-16, and its ASCII part alone."""
    return [marker.encode(), json.dumps(marker).encode(), json.dumps(marker).encode()[1:-1],
            marker.encode("utf-16-le"), b"ZQ9-CANARY"]


def test_no_marker_reaches_the_database_files_temp_files_or_logs(app, client, db, deployment, head_client,
                                                                database_url, tmp_path, monkeypatch, caplog):
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    caplog.set_level(logging.DEBUG)
    fields = {"category": "kickback", "what": f"{MARK}-经过", "who": f"{MARK}-谁", "role": f"{MARK}-职务",
              "when": f"{MARK}-时间", "where": f"{MARK}-地点", "amount": f"{MARK}-金额",
              "real_name": f"{MARK}-姓名", "contact": f"{MARK}-电话"}
    big_pdf = tiny_pdf(MARK) + (MARK.encode() * 55_000)  # ~1.1 MB: over Starlette's spooling threshold
    reporter = Reporter(client)
    page = reporter.file(poster_code(db), fields, files=[("p.jpg", photo_with_gps("ZQ9-CANARY"), "image/jpeg"),
                                                         ("big.pdf", big_pdf, "application/pdf")])
    receipt = receipt_on(page.text)
    submission_id = re.search(r"/office/submissions/([0-9a-f]{32})", head_client.get("/office/").text).group(1)
    opened = head_client.get(f"/office/submissions/{submission_id}")
    assert f"{MARK}-经过" in opened.text
    token = csrf_of(opened.text)
    head_client.post(f"/office/submissions/{submission_id}/identity", data={"csrf_token": token})
    head_client.post(f"/office/submissions/{submission_id}/reply", data={"csrf_token": token, "text": f"{MARK}-回复"})
    head_client.post(f"/office/submissions/{submission_id}/status",
                     data={"csrf_token": token, "status": "closed", "result": f"{MARK}-结果"})
    for link in re.findall(rf'href="(/office/submissions/{submission_id}/files/[0-9a-f]+)"', opened.text):
        assert head_client.get(link).status_code == 200
    assert reporter.follow(receipt).status_code == 303
    assert reporter.answer(f"{MARK}-补充", files=[("x.pdf", tiny_pdf(MARK), "application/pdf")]).status_code == 303
    view = client.get("/follow/view").text
    assert f"{MARK}-回复" in view and f"{MARK}-结果" in view and f"{MARK}-补充" in view
    reporter.follow("0000 1111 2222 3333 4444")  # a wrong code, counted under a keyed hash

    wanted = [*forms_of(MARK), receipt.replace(" ", "").encode(), b"testclient"]
    if database_url.startswith("sqlite"):
        files = [p for p in tmp_path.rglob("*") if p.is_file()]
        assert any(p.name.endswith("-wal") for p in files)
        for path in files:
            content = path.read_bytes()
            for form in wanted:
                assert form not in content, f"{form!r} found in {path.name}"
    else:
        with db.transaction() as session:
            for table in Base.metadata.sorted_tables:
                for row in session.execute(select(table)).all():
                    blob = repr(tuple(row)).encode() + b"".join(v for v in row if isinstance(v, bytes))
                    for form in wanted:
                        assert form not in blob, f"{form!r} found in {table.name}"
            assert session.execute(text("select 1")).scalar() == 1
        assert not [p for p in temp.rglob("*") if p.is_file()]
    logged = caplog.text.encode() + b"".join(str(r.args).encode() for r in caplog.records)
    for form in wanted:
        assert form not in logged
