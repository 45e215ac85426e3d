"""The console's Starlette application: signing in with a one-time link, the home page, and every page's route."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from govmesh.console import pages_audit, pages_catalog, pages_exchange, pages_grants
from govmesh.console.identity import SESSION_COOKIE, LoginRefused, Sessions, load_secret
from govmesh.console.web import (
    EXCEPTION_HANDLERS,
    HERE,
    ConsoleConfig,
    Gateway,
    current_session,
    page,
    posted,
    render,
    sessions,
)
from govmesh.contracts.authz.v1 import authz_pb2 as apb
from govmesh.contracts.catalog.v1 import catalog_pb2 as cpb
from govmesh.contracts.gateway.v1 import gateway_pb2 as gpb


async def login_form(request: Request) -> Response:
    """Shows whom a login link signs in as; the link is used only when the person confirms (a POST).

    Mail scanners and link previews fetch with GET, so a GET must never use the link up.
    """
    token = request.query_params.get("token", "")
    try:
        principal = sessions(request).peek_login(token)
    except LoginRefused as refused:
        return render(request, "login.html", status_code=401, session=None, error=str(refused), token="")
    return render(request, "login.html", session=None, principal=principal, token=token, error="")


async def login(request: Request) -> Response:
    form = await request.form()
    token = form.get("token")
    try:
        session = sessions(request).redeem_login(token if isinstance(token, str) else "")
    except LoginRefused as refused:
        return render(request, "login.html", status_code=401, session=None, error=str(refused), token="")
    response = RedirectResponse("/", status_code=303)
    config: ConsoleConfig = request.app.state.config
    response.set_cookie(
        SESSION_COOKIE,
        sessions(request).cookie(session),
        max_age=config.session_seconds,
        httponly=True,
        samesite="strict",
        secure=config.public_url.startswith("https:"),
        path="/",
    )
    return response


async def logout(request: Request) -> Response:
    current = page(request)
    await posted(request, current)
    sessions(request).end(current.session)
    response = RedirectResponse("/signed-out", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


async def signed_out(request: Request) -> Response:
    return render(request, "signin_required.html", session=None, signed_out=True)


async def home(request: Request) -> Response:
    current = page(request)
    who = await current.stubs.gateway.WhoAmI(gpb.WhoAmIRequest())
    stats = await current.stubs.catalog.GetCatalogStats(cpb.GetCatalogStatsRequest())
    return current.render("home.html", who=who, stats=stats, apb=apb)


async def healthz(request: Request) -> Response:
    """Liveness for `govmesh up`: the process serves; it calls nothing."""
    signed_in = current_session(request) is not None
    return PlainTextResponse("ok" + (" (signed in)" if signed_in else ""))


def build_app(config: ConsoleConfig) -> Starlette:
    gateway = Gateway(config.gateway, config.certs_dir)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await gateway.close()

    routes = [
        Route("/", home),
        Route("/healthz", healthz),
        Route("/login", login_form, methods=["GET"]),
        Route("/login", login, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/signed-out", signed_out),
        *pages_catalog.routes,
        *pages_grants.routes,
        *pages_exchange.routes,
        *pages_audit.routes,
        Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
    ]
    app = Starlette(routes=routes, exception_handlers=EXCEPTION_HANDLERS, lifespan=lifespan)
    app.state.config = config
    app.state.gateway = gateway
    app.state.sessions = Sessions(
        load_secret(config.data_dir),
        config.data_dir,
        login_seconds=config.login_seconds,
        session_seconds=config.session_seconds,
    )
    return app
