"""Pages: one Jinja2 environment, Chinese by default with an English catalogue."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
from babel.messages.pofile import read_po
from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from intake import labels
from intake.forms import csrf_token

LANGUAGES = ("zh", "en")
LANG_COOKIE = "hip_lang"
CATALOGUES = Path(__file__).resolve().parent / "locale" / "en"


def load_english() -> dict[str, str]:
    """The English catalogue: Chinese source strings to English, from the gettext .po files (one per area)."""
    english: dict[str, str] = {}
    for path in sorted(CATALOGUES.glob("*.po")):
        with path.open("rb") as handle:
            catalog = read_po(handle, locale="en")
        english.update({str(m.id): str(m.string) for m in catalog if m.id and m.string})
    return english


def language(request: Request) -> str:
    lang = request.cookies.get(LANG_COOKIE, "zh")
    return lang if lang in LANGUAGES else "zh"


def build_templates(directory: Path) -> Jinja2Templates:
    english = load_english()
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(directory)),
        autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )

    @jinja2.pass_context
    def translate(ctx: jinja2.runtime.Context, message: str, **values: Any) -> str:
        text = english.get(message, message) if ctx.get("lang") == "en" else message
        return text.format(**values) if values else text

    env.globals["_"] = translate
    env.globals["english_catalogue"] = english
    env.globals["labels"] = labels.ALL
    return Jinja2Templates(env=env)


def render(request: Request, name: str, context: dict[str, Any] | None = None, *, status_code: int = 200) -> Response:
    templates: Jinja2Templates = request.app.state.templates
    full = {"lang": language(request), "csrf_token": csrf_token(request)}
    full.update(context or {})
    return templates.TemplateResponse(request, name, full, status_code=status_code)


def translate(request: Request, message: str) -> str:
    """Translate a message in Python code (flash messages, errors)."""
    if language(request) == "en":
        english: dict[str, str] = request.app.state.templates.env.globals["english_catalogue"]
        return english.get(message, message)
    return message
