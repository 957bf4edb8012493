"""400 XSS payloads from a public corpus (brs-kb) typed into reports, identities, answers, hand-ins and office
replies, then rendered where they are read: the office pages (desktop) and the follow-up page (phone), in
headless Chromium. No dialog opens, no script runs (alert/confirm/prompt/print hooked, CSP violations and DOM
mutations watched, no request leaves the site), no element or attribute comes from a payload, and every payload
reads back as the literal text that was typed."""

from __future__ import annotations

import re

import pyotp
import pytest
from sqlalchemy import select, update
from starlette.testclient import TestClient

from intake.handin_models import HandIn
from portal.models import Officer
from tests.handin_helpers import staff_poster, valid_form
from tests.helpers import PASSWORD, csrf_of
from tests.reporting import Reporter, poster_code, receipt_on
from tests.xss_corpus import xss_payloads

pytestmark = pytest.mark.browser

HOOKS = """
window.__hits = [];
for (const name of ["alert", "confirm", "prompt", "print", "open"]) {
  window[name] = (...args) => { window.__hits.push(name + ":" + args.join(",")); };
}
document.addEventListener("securitypolicyviolation",
  (e) => window.__hits.push("csp:" + e.violatedDirective + ":" + (e.sample || e.blockedURI)));
window.addEventListener("DOMContentLoaded", () => {
  new MutationObserver((records) => records.forEach((r) => window.__hits.push("mutation:" + r.type + ":" +
    (r.target.nodeName || "")))).observe(document.documentElement, {childList: true, subtree: true,
                                                                     attributes: true});
});
"""
# After load: anything in the body that a payload could have made, rather than the template.
SCAN = """() => {
  const bad = [];
  const foreign = "script, iframe, object, embed, frame, frameset, base, svg, math, style, link, meta, img, video, "
    + "audio, source, dialog, template, noscript, marquee, details[open], input[type=image], isindex";
  for (const el of document.body.querySelectorAll(foreign)) bad.push("element:" + el.outerHTML.slice(0, 80));
  for (const el of document.querySelectorAll("*")) {
    for (const a of el.attributes) {
      if (/^on/i.test(a.name)) bad.push("handler:" + el.tagName + "@" + a.name);
      if (/^\\s*(javascript|data|vbscript):/i.test(a.value) && a.name !== "content") bad.push("url:" + a.value);
      if (/^(formaction|srcdoc|xlink:href|style)$/i.test(a.name)) bad.push("attribute:" + a.name);
    }
  }
  for (const s of document.scripts) if (!s.src.startsWith(location.origin + "/static/")) bad.push("script");
  return bad;
}"""


def batches(payloads: list[str], limit: int) -> list[str]:
    """Payloads joined by newlines into texts of at most `limit` characters (each payload in exactly one)."""
    texts, current = [], ""
    for payload in payloads:
        if current and len(current) + 1 + len(payload) > limit:
            texts.append(current)
            current = ""
        current = f"{current}\n{payload}" if current else payload
    texts.append(current)
    return texts


def fitting(payloads: list[str], start: int, limit: int) -> str:
    """The next payloads from `start` that fit in a short field, joined by a space."""
    text = ""
    for payload in payloads[start:] + payloads[:start]:
        if len(text) + len(payload) + 1 <= limit:
            text = f"{text} {payload}" if text else payload
    return text


def watch(page, live_server: str) -> list[str]:  # type: ignore[no-untyped-def]
    outside: list[str] = []
    page.add_init_script(HOOKS)
    page.on("dialog", lambda dialog: (outside.append("dialog:" + dialog.message), dialog.dismiss()))
    page.on("request", lambda request: outside.append("request:" + request.url)
            if not request.url.startswith(live_server) else None)
    page.on("console", lambda message: outside.append("console:" + message.text)
            if "Content Security Policy" in message.text else None)
    return outside


def check(page, expected_texts: list[str], outside: list[str]) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_timeout(50)  # let anything a payload scheduled (onload, setTimeout 0) run
    found = page.evaluate(SCAN) + page.evaluate("window.__hits") + outside
    assert not found, (page.url, found[:10])
    shown = page.evaluate("document.body.textContent")
    missing = [text for text in expected_texts if text not in shown]
    assert not missing, (page.url, missing[:3])


def test_xss_corpus_never_runs_in_the_office_or_on_the_follow_up_page(app, db, deployment, department, head_client,
                                                                     live_server, desktop, phone, screenshot):
    payloads = xss_payloads(400)
    code = poster_code(db)
    reporters: list[tuple[TestClient, str]] = []
    whats = batches(payloads, 5000)
    for number, what in enumerate(whats):
        browser = TestClient(app)
        short = {name: fitting(payloads, number * 37 + offset * 11, limit)
                 for offset, (name, limit) in enumerate((("who", 200), ("role", 100), ("when", 100), ("where", 200),
                                                         ("amount", 200), ("real_name", 50), ("contact", 100)))}
        page = Reporter(browser).file(code, {"category": "kickback", "what": what, **short})
        assert page.status_code == 200, page.text[:500]
        receipt = receipt_on(page.text)
        assert Reporter(browser).follow(receipt).status_code == 303
        assert Reporter(browser).answer(whats[-1 - number]).status_code == 303
        reporters.append((browser, receipt))
    handin_texts = batches(payloads, 2000)
    for circumstance in handin_texts[:4]:
        form_page = head_client.get(f"/q/{staff_poster(db, department.id)}/handin")
        response = head_client.post(f"/q/{staff_poster(db, department.id)}/handin",
                                    data={"csrf_token": csrf_of(form_page.text),
                                          **valid_form(circumstance=circumstance, staff_name=payloads[0][:50])})
        assert response.status_code == 200, response.text[:300]
    ids = re.findall(r"/office/submissions/([0-9a-f]{32})\"", head_client.get("/office/").text)
    for submission_id in ids:
        page = head_client.get(f"/office/submissions/{submission_id}")
        if "/reply" in page.text:
            head_client.post(f"/office/submissions/{submission_id}/reply",
                             data={"csrf_token": csrf_of(page.text), "text": whats[ids.index(submission_id) % 5]})

    outside = watch(desktop, live_server)
    desktop.goto(f"{live_server}/office/login")
    desktop.fill("input[name=username]", "head")
    desktop.fill("input[name=password]", PASSWORD)
    with db.transaction() as session:
        session.execute(update(Officer).where(Officer.username == "head").values(last_totp_step=0))
    desktop.fill("input[name=totp]", pyotp.TOTP(deployment.officer.totp_secret).now())
    desktop.click("button.primary")
    desktop.wait_for_url(f"{live_server}/office/")
    check(desktop, [], outside)
    pages = 0
    shown_in_office: list[str] = []
    for submission_id in ids:
        desktop.goto(f"{live_server}/office/submissions/{submission_id}")
        if desktop.locator("#open-identity").count():
            check(desktop, [], outside)
            desktop.click("#open-identity")
            desktop.wait_for_load_state()
        check(desktop, [], outside)
        shown_in_office.append(desktop.evaluate("document.body.textContent"))
        pages += 1
    with db.transaction() as session:
        handins = session.scalars(select(HandIn.submission_id)).all()
    for handin_id in handins:
        desktop.goto(f"{live_server}/office/handins/{handin_id}")
        check(desktop, [], outside)
        shown_in_office.append(desktop.evaluate("document.body.textContent"))
        pages += 1
    screenshot(desktop, "xss-office-submission")

    # Every payload reads back as the literal text typed (escaped, not parsed): in the report, the answer or the
    # hand-in as the office sees them.
    everything = "\n".join(shown_in_office)
    unreadable = [p for p in payloads if p not in everything]
    assert not unreadable, unreadable[:5]

    phone_outside = watch(phone, live_server)
    for number, (_browser, receipt) in enumerate(reporters):
        phone.context.clear_cookies()
        phone.goto(f"{live_server}/follow")
        phone.fill("input[name=code]", receipt)
        phone.click("button.primary")
        phone.wait_for_url(f"{live_server}/follow/view")
        check(phone, whats[-1 - number].split("\n"), phone_outside)  # the reporter's own answer, as typed
        pages += 1
    screenshot(phone, "xss-follow-view")
    assert pages >= len(ids) + len(handins) + len(reporters)
