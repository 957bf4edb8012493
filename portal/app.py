"""The application factory: routes, middleware and state for one deployment."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles
from starlette.types import Message, Receive, Scope, Send

import intake.chooser
import intake.follow_routes
import intake.handin_routes
import intake.rating_routes
import intake.report_routes
import intake.routes
from crypto import hkdf
from intake.costly import SLOTS
from intake.group_commit import GroupCommit
from intake.office_keys import SealingKeys
from intake.rendering import build_templates
from intake.reports import RecipientsMemory
from intake.web_security import BodyLimit, CrossSiteGuard, RefuseNul, SecurityHeaders
from portal import errors
from portal.bootstrap import authority_office
from portal.db import READ_ONLY, Database, make_engine, migrate
from portal.office import (
    audit_log,
    casework,
    clues,
    exports,
    handins,
    hospitals,
    inbox,
    login,
    officers,
    rating_alerts,
    rating_codes,
    ratings,
    region,
    transfers,
    workbench,
)
from portal.office import posters as office_posters
from portal.rating_opener import ParallelOpener
from portal.settings import Settings

# Paths that take uploads get the large limit; everything else stays small.
UPLOAD_PREFIXES: tuple[str, ...] = (intake.report_routes.UPLOAD_PREFIX, intake.follow_routes.UPLOAD_PREFIX)
SMALL_BODY = 256 * 1024


def route_table() -> list[BaseRoute]:
    # One area per line: branches that add an area merge without conflict. The public pages come first:
    # Starlette tries routes in order, and trying sixty office routes first cost a rating 0.1 ms.
    return [
        *intake.routes.routes,
        *intake.chooser.routes,
        *intake.rating_routes.routes,
        *intake.handin_routes.routes,
        *intake.report_routes.routes,
        *intake.follow_routes.routes,
        *login.routes,
        *inbox.routes,
        *casework.routes,
        *office_posters.routes,
        *handins.routes,
        *workbench.routes,
        *clues.routes,
        *audit_log.routes,
        *officers.routes,
        *exports.routes,
        *ratings.routes,
        *rating_alerts.routes,
        *rating_codes.routes,
        *hospitals.routes,
        *region.routes,
        *transfers.routes,
    ]


def authority_office_id(database: Database) -> Callable[[], int | None]:
    """For the navigation: the authority's office id, read once (an office never changes kind)."""
    found: list[int] = []

    def lookup() -> int | None:
        if not found:
            with database.transaction() as session:
                office = authority_office(session)
            if office is None:
                return None
            found.append(office.id)
        return found[0]

    return lookup


class PortalApp:
    """The ASGI application, with the security layers outside everything, error pages included."""

    def __init__(self, settings: Settings, database: Database) -> None:
        self.settings = settings
        self.db = database
        # The web rollup opens ratings on every core; its worker processes start with the first rollup.
        rating_opener = ParallelOpener()

        @asynccontextmanager
        async def lifespan(_app: Starlette) -> AsyncIterator[None]:
            # What the worker built at startup (modules, mapped classes, statements, templates) lives as long as
            # it does: kept out of the collector's sight, so that a full collection no longer walks all of it (a
            # pause of tens of milliseconds every few thousand requests; the ratings intake's p99 went from
            # 52-56 ms to 19-21 ms: bench/README.md).
            gc.freeze()
            yield
            rating_opener.close()

        self.starlette = Starlette(
            routes=[*route_table(), Mount("/static", app=StaticFiles(directory=settings.static_dir), name="static")],
            exception_handlers=errors.EXCEPTION_HANDLERS,  # type: ignore[arg-type]
            lifespan=lifespan,
        )
        state = self.starlette.state
        state.settings = settings
        state.db = database
        state.rating_opener = rating_opener
        state.templates = build_templates(settings.templates_dir)
        state.templates.env.globals["rating_alert_count"] = rating_alerts.nav_alert_count
        state.csrf_key = hkdf(settings.secret.reveal(), info=b"hip-csrf-v1")
        state.templates.env.globals["authority_office_id"] = authority_office_id(database)
        # The intake's writer (one group commit per worker) and its memory of each hospital's sealing key.
        state.intake_writer = GroupCommit(database.engine)
        state.recipients = RecipientsMemory(database.engine.execution_options(**{READ_ONLY: True}))
        SLOTS.share_in(settings.home)  # Argon2id: one call per core across this deployment's workers
        state.sealing_keys = SealingKeys(database.engine.execution_options(**{READ_ONLY: True}))

        def limit_for(path: str) -> int:
            return settings.max_body_bytes if path.startswith(UPLOAD_PREFIXES) and UPLOAD_PREFIXES else SMALL_BODY

        guarded = CrossSiteGuard(self.starlette, on_refused=errors.cross_site_refused, secure_cookie=settings.https)
        limited = BodyLimit(guarded, limit_for=limit_for, on_too_large=errors.too_large,
                            idle_seconds=settings.body_idle_seconds, on_timeout=errors.timed_out)
        self.asgi = SecurityHeaders(RefuseNul(limited, on_refused=errors.bad_request), https=settings.https)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.asgi(scope, receive, tracking_send)
        except Exception as exc:
            # Starlette re-raises after its error page so that servers log a traceback; a traceback can
            # quote submitted text, so only the exception's type is logged, here.
            errors.log.error("request failed: %s", type(exc).__name__)
            if not started and scope["type"] == "http":
                await SecurityHeaders(errors.plain(500), https=self.settings.https)(scope, receive, send)


def create_app(settings: Settings, *, database: Database | None = None, run_migrations: bool = True) -> PortalApp:
    """Build the portal; migrations run on start unless the caller already did."""
    if database is None:
        database = Database(make_engine(settings.database_url, sqlite_synchronous=settings.sqlite_synchronous))
    if run_migrations:
        migrate(database.engine)
    return PortalApp(settings, database)


def app_from_env() -> PortalApp:
    """Factory for `uvicorn --factory portal.app:app_from_env`."""
    from portal.settings import from_env

    return create_app(from_env())
