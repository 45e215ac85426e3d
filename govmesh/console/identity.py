"""Who is at the console: one-time login links, signed expiring session cookies, and per-session CSRF tokens.

A browser proves nothing about itself. A person on the hub runs `govmesh console login --as kind/code`,
which signs a short-lived token with the console's secret (kept in the data dir, readable only by the
hub's operator); the console redeems it once and binds a signed, expiring session cookie to that
principal. Every call the console then makes goes through the gateway with that principal's certificate.
"""

from __future__ import annotations

import hmac
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from govmesh.runtime.identity import Principal

SESSION_COOKIE = "govmesh_console"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
# The kinds a person may act as; a service's certificate is for a process, never for a person.
PERSON_KINDS = frozenset({"department", "maintainer", "admin", "auditor"})
_LOGIN_SALT = "govmesh-console-login"
_SESSION_SALT = "govmesh-console-session"


class LoginRefused(ValueError):
    """A login link that is forged, expired, already used, or names a principal without a certificate."""


def console_dir(data_dir: Path) -> Path:
    return data_dir / "console"


def load_secret(data_dir: Path) -> bytes:
    """The console's signing secret, created on first use with owner-only permissions."""
    path = console_dir(data_dir) / "secret"
    if not path.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        # O_EXCL: two processes starting at once never overwrite each other's secret.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return path.read_bytes().strip()
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_bytes().strip()


def parse_principal(text: str) -> Principal:
    """`department/LTAX` as a principal of the hub; anything else is refused."""
    principal = Principal.parse(text)
    if principal.kind not in PERSON_KINDS:
        raise LoginRefused(f"{text!r} is not kind/code with kind department, maintainer, admin or auditor")
    return principal


def issue_login_token(secret: bytes, principal: str) -> str:
    """A login token for `principal`, good once and only for the configured minutes."""
    parse_principal(principal)
    serializer = URLSafeTimedSerializer(secret, salt=_LOGIN_SALT)
    return str(serializer.dumps({"p": principal, "n": secrets.token_urlsafe(16)}))


@dataclass(frozen=True)
class Session:
    """A signed-in person: the principal they act as, their CSRF token, and the session's id."""

    principal: str
    csrf: str
    sid: str

    @property
    def kind(self) -> str:
        return self.principal.split("/", 1)[0]

    @property
    def code(self) -> str:
        return self.principal.split("/", 1)[1]


class Sessions:
    """Redeems login tokens once and signs and reads session cookies with the console's secret."""

    def __init__(self, secret: bytes, data_dir: Path, *, login_seconds: int, session_seconds: int):
        self._login = URLSafeTimedSerializer(secret, salt=_LOGIN_SALT)
        self._session = URLSafeTimedSerializer(secret, salt=_SESSION_SALT)
        self.login_seconds = login_seconds
        self.session_seconds = session_seconds
        # Used login nonces survive a console restart, so a link cannot be replayed after one.
        self._used_path = console_dir(data_dir) / "used-logins"
        self._ended: set[str] = set()

    def peek_login(self, token: str) -> str:
        """The principal a login token names, if it is genuine and fresh (the token is not used up)."""
        payload = self._read_login(token)
        return str(payload["p"])

    def redeem_login(self, token: str) -> Session:
        """Uses a login token up and starts a session for its principal."""
        payload = self._read_login(token)
        nonce = str(payload["n"])
        self._used_path.parent.mkdir(parents=True, exist_ok=True)
        with self._used_path.open("a+", encoding="utf-8") as used:
            used.seek(0)
            now = time.time()
            for line in used:
                seen, _, expires = line.strip().partition(" ")
                if seen == nonce and float(expires or 0) > now:
                    raise LoginRefused("this login link was already used; ask for a new one")
            used.write(f"{nonce} {now + self.login_seconds}\n")
        parse_principal(str(payload["p"]))
        return Session(str(payload["p"]), secrets.token_urlsafe(24), secrets.token_urlsafe(12))

    def _read_login(self, token: str) -> dict[str, str]:
        try:
            payload = self._login.loads(token, max_age=self.login_seconds)
        except SignatureExpired:
            raise LoginRefused("this login link has expired; ask for a new one") from None
        except BadSignature:
            raise LoginRefused("this login link is not one the console issued") from None
        if not isinstance(payload, dict) or "p" not in payload or "n" not in payload:
            raise LoginRefused("this login link is not one the console issued")
        return payload

    def cookie(self, session: Session) -> str:
        return str(self._session.dumps({"p": session.principal, "c": session.csrf, "s": session.sid}))

    def read_cookie(self, value: str | None) -> Session | None:
        """The session a cookie carries, or None when it is missing, forged, expired or signed out."""
        if not value:
            return None
        try:
            payload = self._session.loads(value, max_age=self.session_seconds)
        except BadSignature:  # SignatureExpired is a BadSignature too
            return None
        if not isinstance(payload, dict) or payload.get("s") in self._ended:
            return None
        try:
            parse_principal(str(payload.get("p", "")))
        except LoginRefused:
            return None
        return Session(str(payload["p"]), str(payload["c"]), str(payload["s"]))

    def end(self, session: Session) -> None:
        """Signs a session out in this process (its cookie is also cleared in the browser)."""
        self._ended.add(session.sid)


def csrf_matches(session: Session, sent: str | None) -> bool:
    return bool(sent) and hmac.compare_digest(session.csrf.encode(), str(sent).encode())
