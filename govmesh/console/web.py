"""What every console page shares: the signed-in session, CSRF checks, the gateway as that principal, errors."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import grpc
from google.protobuf.timestamp_pb2 import Timestamp
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.templating import Jinja2Templates

from govmesh.client import MissingCertificate, Stubs, connect, enum_label, error_details
from govmesh.console.identity import CSRF_FIELD, CSRF_HEADER, SESSION_COOKIE, Session, Sessions, csrf_matches

HERE = Path(__file__).resolve().parent
templates = Jinja2Templates(directory=str(HERE / "templates"))
PAGE_SIZE = 50

# How a refused call shows in the browser: the gateway's answer, as an HTTP status a person understands.
_HTTP_STATUS = {
    grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.FAILED_PRECONDITION: 409,
    grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.ABORTED: 409,
    grpc.StatusCode.UNAUTHENTICATED: 401,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.DEADLINE_EXCEEDED: 504,
}


@dataclass(frozen=True)
class ConsoleConfig:
    """Where the console finds the gateway, the principals' certificates, its secret and the span files."""

    data_dir: Path
    certs_dir: Path
    gateway: str
    trace_files: tuple[Path, ...]
    public_url: str
    login_seconds: int = 600
    session_seconds: int = 8 * 3600


class SignInRequired(Exception):
    """No session, or one that is forged, expired or signed out."""


class CsrfRefused(Exception):
    """A form posted without this session's CSRF token."""


class BadInput(ValueError):
    """A form or filter field the console cannot read; nothing was called."""


@dataclass
class Gateway:
    """One channel to the gateway per principal, made with that principal's certificate from the certs dir."""

    target: str
    certs_dir: Path
    _channels: dict[str, grpc.aio.Channel] = field(default_factory=dict)

    def stubs(self, principal: str) -> Stubs:
        channel = self._channels.get(principal)
        if channel is None:
            channel = connect(self.target, identity=principal, certs_dir=self.certs_dir)
            self._channels[principal] = channel
        return Stubs(channel)

    async def close(self) -> None:
        for channel in self._channels.values():
            await channel.close()
        self._channels.clear()


@dataclass
class Page:
    """One request of a signed-in person: their session and the gateway as their principal."""

    request: Request
    session: Session
    stubs: Stubs

    def render(self, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        return render(self.request, template, status_code=status_code, session=self.session, **context)

    def query(self, name: str, default: str = "") -> str:
        return self.request.query_params.get(name, default).strip()


def render(request: Request, template: str, *, status_code: int = 200, **context: Any) -> HTMLResponse:
    response: HTMLResponse = templates.TemplateResponse(request, template, context, status_code=status_code)
    # The pages carry a CSRF token and a person's data: never cached, never framed.
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Content-Security-Policy"] = "default-src 'self'; frame-ancestors 'none'"
    return response


def sessions(request: Request) -> Sessions:
    found: Sessions = request.app.state.sessions
    return found


def current_session(request: Request) -> Session | None:
    return sessions(request).read_cookie(request.cookies.get(SESSION_COOKIE))


def page(request: Request) -> Page:
    """The signed-in person's page context; a request without a valid session is refused."""
    session = current_session(request)
    if session is None:
        raise SignInRequired
    gateway: Gateway = request.app.state.gateway
    return Page(request, session, gateway.stubs(session.principal))


async def posted(request: Request, current: Page) -> FormData:
    """A posted form, refused unless it carries this session's CSRF token (field or htmx header)."""
    form = await request.form()
    sent = form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER)
    if not csrf_matches(current.session, sent if isinstance(sent, str) else None):
        raise CsrfRefused
    return form


def error_page(
    request: Request, status: int, title: str, message: str, reason: str = "", lines: list[str] | None = None
) -> HTMLResponse:
    return render(
        request,
        "error.html",
        status_code=status,
        session=current_session(request),
        title=title,
        message=message,
        reason=reason,
        lines=lines or [],
    )


async def rpc_error_page(request: Request, error: Exception) -> Response:
    """A refused call as the gateway answered it: status, message, reason code and violations."""
    assert isinstance(error, grpc.RpcError)
    reason, lines = error_details(error)
    code = error.code()
    return error_page(request, _HTTP_STATUS.get(code, 500), code.name, error.details() or "", reason, lines)


async def sign_in_page(request: Request, _error: Exception) -> Response:
    return render(request, "signin_required.html", status_code=401, session=None)


async def csrf_page(request: Request, _error: Exception) -> Response:
    message = "The form did not carry this session's CSRF token. Reload the page and try again."
    return error_page(request, 403, "Form refused", message, "CSRF_TOKEN_MISSING")


async def missing_certificate_page(request: Request, error: Exception) -> Response:
    return error_page(request, 403, "No certificate", str(error))


async def bad_input_page(request: Request, error: Exception) -> Response:
    return error_page(request, 400, "Cannot read the form", str(error))


EXCEPTION_HANDLERS = {
    BadInput: bad_input_page,
    grpc.RpcError: rpc_error_page,
    SignInRequired: sign_in_page,
    CsrfRefused: csrf_page,
    MissingCertificate: missing_certificate_page,
}


def shown_time(stamp: Timestamp) -> str:
    """A protobuf time as `2026-12-02 14:00:59` UTC; unset → ``."""
    if not stamp.seconds and not stamp.nanos:
        return ""
    return stamp.ToDatetime(tzinfo=UTC).strftime("%Y-%m-%d %H:%M:%S")


def stamp(value: datetime) -> Timestamp:
    result = Timestamp()
    result.FromDatetime(value)
    return result


def parse_day(text: str) -> datetime | None:
    """An ISO date or time from a filter field (UTC when no zone); empty → None."""
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise BadInput(f"{text!r} is not a date (2026-12-01) or an ISO 8601 time") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


templates.env.filters["label"] = lambda number, enum_type: enum_label(enum_type, number)
templates.env.filters["when"] = shown_time
templates.env.globals["CSRF_FIELD"] = CSRF_FIELD
