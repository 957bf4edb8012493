"""Helpers that act like a reporter at the phone: file a report, keep the receipt, follow up."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

from PIL import Image
from starlette.testclient import TestClient

from portal.db import Database
from portal.keyring import recovery_keyring
from portal.models import Role
from portal.officers import NewOfficer, create_officer, give_access
from tests.helpers import PASSWORD, csrf_of
from tests.helpers import poster_code as patient_poster_code


def poster_code(db: Database, *, department_name: str | None = "心血管内科") -> str:
    return patient_poster_code(db, department_name=department_name)


def receipt_on(html: str) -> str:
    """The receipt code the page shows, as the reporter would copy it (five groups of four)."""
    block = re.search(r'<p class="receipt-code"[^>]*>(.*?)</p>', html, re.S)
    assert block, "the page shows no receipt code"
    groups = re.findall(r"<span>(\d{4})</span>", block.group(1))
    assert len(groups) == 5
    return " ".join(groups)


FULL_REPORT = {
    "category": "red_envelope",
    "what": "主刀医生术前在办公室收了我家属两千元红包。",
    "who": "张某某",
    "role": "主任医师",
    "when": "5月上旬",
    "where": "医生办公室",
    "amount": "现金2000元",
}


@dataclass
class Reporter:
    """A patient at the phone, without JavaScript: the plain form, sealed by the server on arrival."""

    client: TestClient

    def open_form(self, code: str):  # type: ignore[no-untyped-def]
        return self.client.get(f"/q/{code}/report")

    def file(self, code: str, fields: dict[str, str], files: list[tuple[str, bytes, str]] | None = None):  # type: ignore[no-untyped-def]
        token = csrf_of(self.open_form(code).text)
        upload = [("files", (name, data, mime)) for name, data, mime in files or []]
        return self.client.post(f"/report/{code}", data={"csrf_token": token, **fields},
                                files=upload or [("files", ("", b"", "application/octet-stream"))],
                                follow_redirects=False)

    def follow(self, receipt: str):  # type: ignore[no-untyped-def]
        token = csrf_of(self.client.get("/follow").text)
        return self.client.post("/follow", data={"csrf_token": token, "code": receipt}, follow_redirects=False)

    def answer(self, text: str, files: list[tuple[str, bytes, str]] | None = None):  # type: ignore[no-untyped-def]
        token = csrf_of(self.client.get("/follow/view").text)
        upload = [("files", (name, data, mime)) for name, data, mime in files or []]
        return self.client.post("/follow/reply", data={"csrf_token": token, "text": text},
                                files=upload or [("files", ("", b"", "application/octet-stream"))],
                                follow_redirects=False)


def authority_officer(db: Database, deployment, settings) -> NewOfficer:  # type: ignore[no-untyped-def]
    """An officer of the higher authority, given access with its recovery code (as `portal officer add`)."""
    with db.transaction() as session:
        keyring = recovery_keyring(session, office=deployment.authority, code=deployment.authority_recovery_code)
        new = create_officer(session, office=deployment.authority, username="zhao", display_name="赵组长",
                             role=Role.HEAD, password=PASSWORD, params=settings.argon2, secret=settings.secret)
        assert give_access(session, officer=new.officer, keyring=keyring, granted_by=None) == 1
        return new


def photo_with_gps(marker: str = "CANARY-CAMERA") -> bytes:
    """A JPEG carrying EXIF GPS coordinates, a camera model and a description: what a phone photo leaks."""
    image = Image.new("RGB", (64, 48), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = marker  # Make
    exif[0x0110] = marker  # Model
    exif[0x010E] = marker  # ImageDescription
    exif[0x8825] = {1: "N", 2: (22.0, 48.0, 30.5), 3: "E", 4: (108.0, 19.0, 12.25)}  # GPSInfo
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def tiny_pdf(text: str) -> bytes:
    body = f"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\n% {text}\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    return body.encode("utf-8")
