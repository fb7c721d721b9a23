"""The YouTube Data API v3 through Google's official client: credentials, the service, typed errors.

Kept apart from the publishing logic (youtube.py) so that what talks to Google is in one place:
the token file (0600, never printed), the discovery document shipped with google-api-python-client
(no request to fetch it), and how HTTP errors become messages a media team can act on.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

from psa_pipeline.channels.destinations import YouTubeDestination
from psa_pipeline.core.i18n import _
from psa_pipeline.publish.destinations import PublishError

SCOPES = ["https://www.googleapis.com/auth/youtube.upload", "https://www.googleapis.com/auth/youtube.force-ssl"]
AUTH_FIX = "run psa auth youtube --client-secrets FILE to sign in again"


class YouTubeError(PublishError):
    """YouTube refused a request; the message says what and what to do."""


class QuotaExceeded(YouTubeError):
    """The project's daily YouTube API quota is used up."""


class AuthError(YouTubeError):
    """The stored sign-in is missing, expired or revoked."""


def check_private(token_file: Path) -> None:
    """A token readable by others is a sign-in anyone on the machine can use: refused, not used."""
    mode = token_file.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise AuthError(
            _("{file} can be read by other users (mode {mode}); run chmod 600 {file}, or {fix}").format(
                file=token_file, mode=oct(stat.S_IMODE(mode)), fix=AUTH_FIX
            )
        )


def save_token(token_file: Path, credentials: Any) -> None:
    """Write the token with 0600 permissions from the first byte (never world-readable, even briefly)."""
    token_file.parent.mkdir(parents=True, exist_ok=True)
    temporary = token_file.with_name(f".{token_file.name}.{os.getpid()}.part")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(credentials.to_json())
    os.replace(temporary, token_file)


def load_credentials(token_file: Path, api_endpoint: str | None = None) -> Any:
    """The stored sign-in, refreshed when expired; `api_endpoint` (tests) also serves the token endpoint."""
    from google.auth.exceptions import RefreshError, TransportError
    from google.auth.transport.requests import Request
    from google.oauth2.credentials import Credentials

    if not token_file.is_file():
        raise AuthError(_("no YouTube sign-in at {file}; {fix}").format(file=token_file, fix=AUTH_FIX))
    check_private(token_file)
    try:
        credentials = Credentials.from_authorized_user_file(str(token_file), SCOPES)
    except (ValueError, KeyError, json.JSONDecodeError):
        raise AuthError(_("{file} is not a YouTube token; {fix}").format(file=token_file, fix=AUTH_FIX)) from None
    if api_endpoint:
        # google-auth always reads Google's token URI from a token file; a test server must never send us there.
        expiry = credentials.expiry
        credentials = credentials.with_token_uri(api_endpoint + "/token")
        credentials.expiry = expiry  # the copy forgets it
    if not credentials.valid:
        if not credentials.refresh_token:
            raise AuthError(_("the YouTube sign-in in {file} has expired; {fix}").format(file=token_file, fix=AUTH_FIX))
        try:
            credentials.refresh(Request())
        except TransportError as exc:
            raise YouTubeError(
                _("could not reach Google to refresh the YouTube sign-in ({error}); check the connection").format(
                    error=type(exc).__name__
                )
            ) from None
        except RefreshError:
            raise AuthError(
                _("the YouTube sign-in in {file} was revoked or has expired; {fix}").format(
                    file=token_file, fix=AUTH_FIX
                )
            ) from None
        save_token(token_file, credentials)
    return credentials


def service(destination: YouTubeDestination, credentials: Any) -> Any:
    """The youtube v3 service from the discovery document shipped with the client; `api_endpoint` for tests."""
    import google_auth_httplib2
    import httplib2
    from googleapiclient.discovery import build_from_document
    from googleapiclient.discovery_cache import get_static_doc

    document = json.loads(get_static_doc("youtube", "v3") or "{}")
    if destination.api_endpoint:
        # The root URL, not client_options.api_endpoint: that one keeps https for uploads, whatever it says.
        document["rootUrl"] = destination.api_endpoint + "/"
    # httplib2 re-sends a failed request on a new connection by itself, but a chunk's body is a stream it
    # has already read: the retry sends no bytes and hangs until the timeout. psa resumes instead
    # (asks YouTube how far the upload got), so httplib2 makes one attempt per request.
    httplib2.RETRIES = 1
    http = httplib2.Http(timeout=destination.timeout_seconds)
    http.redirect_codes = http.redirect_codes - {308}  # 308 is Resume Incomplete here, not a redirect
    http = google_auth_httplib2.AuthorizedHttp(credentials, http=http)
    return build_from_document(document, http=http)


def explain(error: Exception, psa_id: str, what: str) -> YouTubeError:
    """An HttpError (or a failed refresh) as the error a media team reads."""
    from google.auth.exceptions import RefreshError
    from googleapiclient.errors import HttpError

    if isinstance(error, RefreshError):
        return AuthError(
            _("{id}: the YouTube sign-in was revoked or has expired; {fix}").format(id=psa_id, fix=AUTH_FIX)
        )
    if not isinstance(error, HttpError):
        return YouTubeError(f"{psa_id}: {what}: {type(error).__name__}: {error}")
    status = error.resp.status
    reason = ""
    message = ""
    try:
        body = json.loads(error.content or b"{}")["error"]
        reason = (body.get("errors") or [{}])[0].get("reason", "")
        message = body.get("message", "")
    except (ValueError, KeyError, TypeError, AttributeError):
        pass
    if reason in ("quotaExceeded", "dailyLimitExceeded", "uploadLimitExceeded"):
        return QuotaExceeded(
            _(
                "{id}: YouTube quota exhausted ({reason}) while {what}; nothing more is sent today. The quota "
                "resets at midnight Pacific time: run psa publish again then (what is done is kept, not repeated)"
            ).format(id=psa_id, reason=reason, what=what)
        )
    if status == 401:
        return AuthError(
            _("{id}: YouTube refused the sign-in (revoked or expired); {fix}").format(id=psa_id, fix=AUTH_FIX)
        )
    return YouTubeError(f"{psa_id}: YouTube refused {what}: HTTP {status} {reason} {message}".rstrip())


def sign_in(client_secrets: Path, token_file: Path, port: int = 0, open_browser: bool = True) -> None:
    """OAuth for installed apps: Google's consent page in a browser, the answer on 127.0.0.1, a 0600 token file.

    The token is never printed; only the address to open is, for a machine without a browser.
    """
    from google_auth_oauthlib.flow import InstalledAppFlow

    try:
        flow = InstalledAppFlow.from_client_secrets_file(str(client_secrets), SCOPES)
    except (ValueError, KeyError, json.JSONDecodeError) as exc:
        raise AuthError(
            _("{file} is not an OAuth client of type Desktop app ({error}); download it again from the Google "
              "Cloud console (APIs & Services > Credentials)").format(file=client_secrets, error=exc)
        ) from None  # fmt: skip
    try:
        credentials = flow.run_local_server(
            host="127.0.0.1", port=port, open_browser=open_browser, timeout_seconds=600,
            authorization_prompt_message=_("Open this address in a browser to sign in to YouTube:\n{url}"),
            success_message=_("Signed in. You can close this window and go back to psa."),
        )  # fmt: skip
    except Exception as exc:  # oauthlib, requests and wsgiref errors alike end the sign-in
        raise AuthError(
            _("YouTube sign-in did not finish: {error}").format(error=f"{type(exc).__name__}: {exc}")
        ) from None
    save_token(token_file, credentials)
