"""The review app: Starlette, rendered on the server with the report's templates, over one batch.

Security, in the order a request meets it: every URL starts with an unguessable token (compared
with hmac.compare_digest); with reviewer accounts, pages need a login; every form carries the
session's CSRF token and the session cookie is SameSite=Strict; media is served only for files the
PSA's renditions.json lists, resolved inside that PSA's build folder.
"""

from __future__ import annotations

import hmac
import mimetypes
import secrets
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from psa_pipeline.approval.fingerprint import ApprovalError
from psa_pipeline.approval.gate import decide, read_build
from psa_pipeline.batch.publish import known_states
from psa_pipeline.batch.render import render
from psa_pipeline.batch.report import report_entries, summarise
from psa_pipeline.core.i18n import _
from psa_pipeline.records.approval import Decision
from psa_pipeline.records.reviewers import Reviewer, ReviewerAccounts
from psa_pipeline.review.accounts import check_login

TEMPLATES = Path(__file__).resolve().parent / "templates"
COOKIE = "psa_review"
CONTENT_TYPES = {".mp4": "video/mp4", ".m4a": "audio/mp4", ".mp3": "audio/mpeg", ".opus": "audio/ogg",
                 ".ogg": "audio/ogg", ".wav": "audio/wav", ".vtt": "text/vtt", ".srt": "application/x-subrip",
                 ".webm": "video/webm", ".ass": "text/plain"}  # fmt: skip
MAX_SESSIONS = 1000
DECISIONS: dict[str, Decision] = {"approve": "approve", "request-changes": "request-changes"}


@dataclass
class ReviewConfig:
    folder: Path  # the batch's submissions
    build_root: Path
    approvals: Path
    token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    accounts: ReviewerAccounts | None = None  # None: one operator on 127.0.0.1, who types name and role


@dataclass
class Session:
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    reviewer: Reviewer | None = None
    name: str = ""
    role: str = ""
    flash: str = ""


Handler = Callable[[Request], Awaitable[Response]]


def create_app(config: ReviewConfig) -> Starlette:
    # Oldest first; a client that never keeps its cookie cannot grow this without bound.
    sessions: OrderedDict[str, Session] = OrderedDict()
    prefix = f"/{config.token}"

    def guarded(handler: Callable[[Request, Session | None], Awaitable[Response]]) -> Handler:
        async def endpoint(request: Request) -> Response:
            # Not found, rather than forbidden: a wrong token does not learn that the app is there.
            if not hmac.compare_digest(request.path_params.get("token", "").encode(), config.token.encode()):
                raise HTTPException(404)
            return await handler(request, sessions.get(request.cookies.get(COOKIE, "")))

        return endpoint

    def page(session: Session | None, template: str, **context: object) -> HTMLResponse:
        """The page, rendered with the session's CSRF token; a new session's cookie is set on it."""
        key = None
        if session is None:
            key, session = secrets.token_urlsafe(32), Session()
            sessions[key] = session
            while len(sessions) > MAX_SESSIONS:
                sessions.popitem(last=False)
        flash, session.flash = session.flash, ""
        body = render(template, TEMPLATES, csrf=session.csrf, session=session, flash=flash, **context)
        response = HTMLResponse(body, headers={"cache-control": "no-store"})
        if key is not None:
            response.set_cookie(COOKIE, key, httponly=True, samesite="strict", path=prefix + "/")
        return response

    def checked_form_session(session: Session | None, sent: str) -> Session:
        if session is None or not hmac.compare_digest(sent.encode(), session.csrf.encode()):
            raise HTTPException(
                403, _("form refused: it was not sent from this review page (CSRF check); reload the page")
            )
        return session

    async def index(request: Request, session: Session | None) -> Response:
        if config.accounts is not None and (session is None or session.reviewer is None):
            return RedirectResponse(f"{prefix}/login", status_code=303)
        # Off the event loop: the first look at a batch makes its pictures with ffmpeg, and players keep
        # fetching media meanwhile.
        states = await run_in_threadpool(known_states, config.folder, config.build_root)
        entries = await run_in_threadpool(report_entries, states, config.build_root, config.approvals)
        summary = {k: v for k, v in summarise(entries, 0.0).items() if k != "seconds"}  # a live page, not a run
        return page(
            session, "index.html", summary=summary, entries=entries, media_prefix=f"{prefix}/media/",
            caption_tracks=True, decide=True, action=f"{prefix}/decide/",
            reviewer=session.reviewer if session else None,
        )  # fmt: skip

    async def login(request: Request, session: Session | None) -> Response:
        if config.accounts is None:
            return RedirectResponse(f"{prefix}/", status_code=303)
        error = ""
        if request.method == "POST":
            form = await request.form()
            session = checked_form_session(session, str(form.get("csrf", "")))
            reviewer = check_login(config.accounts, str(form.get("login", "")), str(form.get("password", "")))
            if reviewer is not None:
                session.reviewer = reviewer
                return RedirectResponse(f"{prefix}/", status_code=303)
            error = _("wrong login or password")
        return page(session, "login.html", action=f"{prefix}/login", error=error)

    async def decide_route(request: Request, session: Session | None) -> Response:
        form = await request.form()
        session = checked_form_session(session, str(form.get("csrf", "")))
        psa_id = request.path_params["psa_id"]
        if config.accounts is not None and session.reviewer is None:
            return RedirectResponse(f"{prefix}/login", status_code=303)
        ids = {s.psa_id for s in known_states(config.folder, config.build_root)}
        decision = DECISIONS.get(str(form.get("decision", "")))
        if psa_id not in ids or decision is None:
            raise HTTPException(400, _("'{id}' is not a PSA of this batch, or no decision was given").format(id=psa_id))
        if session.reviewer is not None:
            name, role = session.reviewer.name, session.reviewer.role
        else:
            name, role = str(form.get("reviewer", "")).strip(), str(form.get("role", "")).strip()
            session.name, session.role = name, role
        comment = str(form.get("comment", ""))
        try:
            if decision == "request-changes" and not comment.strip():
                raise ApprovalError(_("requesting changes needs a comment saying what must change"))
            expected = str(form.get("fingerprint", ""))
            await run_in_threadpool(
                decide,
                config.approvals,
                config.build_root,
                psa_id,
                name,
                role,
                decision,
                comment,
                "review-app",
                expected,
            )
            session.flash = _("{id}: decision recorded").format(id=psa_id)
        except ApprovalError as exc:
            session.flash = _("{id}: not recorded: {error}").format(id=psa_id, error=exc.message)
        return RedirectResponse(f"{prefix}/#psa-{psa_id}", status_code=303)

    async def media(request: Request, session: Session | None) -> Response:
        if config.accounts is not None and (session is None or session.reviewer is None):
            raise HTTPException(403)
        psa_id, file = request.path_params["psa_id"], request.path_params["file"]
        if psa_id not in {s.psa_id for s in known_states(config.folder, config.build_root)}:
            raise HTTPException(404)
        try:
            record = read_build(config.build_root, psa_id)
        except ApprovalError:
            raise HTTPException(404) from None
        listed = {f.file for entry in record.renditions for f in entry.files()}
        home = (config.build_root / psa_id).resolve()
        path = (home / file).resolve()
        if file not in listed or not path.is_relative_to(home) or not path.is_file():
            raise HTTPException(404)
        kind = (
            CONTENT_TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        )
        return FileResponse(path, media_type=kind)

    routes = [
        Route("/{token}/", guarded(index), methods=["GET"]),
        Route("/{token}/login", guarded(login), methods=["GET", "POST"]),
        Route("/{token}/decide/{psa_id}", guarded(decide_route), methods=["POST"]),
        Route("/{token}/media/{psa_id}/{file:path}", guarded(media), methods=["GET", "HEAD"]),
    ]
    return Starlette(routes=routes)
