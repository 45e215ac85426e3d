"""Unit tests for the console's sign-in: one-time login links, signed expiring sessions, CSRF tokens."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from itsdangerous import URLSafeTimedSerializer

from govmesh.console.identity import (
    LoginRefused,
    Session,
    Sessions,
    csrf_matches,
    issue_login_token,
    load_secret,
    parse_principal,
)


def _sessions(data_dir: Path) -> Sessions:
    return Sessions(load_secret(data_dir), data_dir, login_seconds=600, session_seconds=3600)


def _signed_long_ago(secret: bytes, salt: str, payload: dict[str, str]) -> str:
    serializer = URLSafeTimedSerializer(secret, salt=salt)
    signer = serializer.make_signer(salt)
    signer.get_timestamp = lambda: int(time.time()) - 86_400  # type: ignore[method-assign]
    return signer.sign(serializer.dump_payload(payload)).decode()


def test_the_secret_is_created_once_readable_only_by_its_owner(tmp_path: Path) -> None:
    first = load_secret(tmp_path)
    assert load_secret(tmp_path) == first
    assert len(first) == 64
    assert (tmp_path / "console" / "secret").stat().st_mode & 0o077 == 0


def test_a_login_link_signs_in_its_principal_once(tmp_path: Path) -> None:
    sessions = _sessions(tmp_path)
    token = issue_login_token(load_secret(tmp_path), "department/AIC")
    assert sessions.peek_login(token) == "department/AIC"  # looking does not use it up
    session = sessions.redeem_login(token)
    assert session.principal == "department/AIC" and session.csrf
    with pytest.raises(LoginRefused, match="already used"):
        sessions.redeem_login(token)
    # Nor after a restart: the used nonce is on disk.
    with pytest.raises(LoginRefused, match="already used"):
        _sessions(tmp_path).redeem_login(token)


def test_a_login_link_from_another_secret_or_past_its_time_is_refused(tmp_path: Path) -> None:
    sessions = _sessions(tmp_path)
    with pytest.raises(LoginRefused, match="not one the console issued"):
        sessions.redeem_login(issue_login_token(b"another hub's secret", "admin/hub"))
    old = _signed_long_ago(load_secret(tmp_path), "govmesh-console-login", {"p": "admin/hub", "n": "x"})
    with pytest.raises(LoginRefused, match="expired"):
        sessions.redeem_login(old)


def test_a_session_cookie_reads_back_and_a_tampered_expired_or_ended_one_does_not(tmp_path: Path) -> None:
    sessions = _sessions(tmp_path)
    session = sessions.redeem_login(issue_login_token(load_secret(tmp_path), "auditor/audit"))
    cookie = sessions.cookie(session)
    assert sessions.read_cookie(cookie) == session
    assert sessions.read_cookie(cookie[:-2] + ("A" if cookie[-2] != "A" else "B") + cookie[-1]) is None
    assert sessions.read_cookie(None) is None
    old = _signed_long_ago(load_secret(tmp_path), "govmesh-console-session", {"p": "admin/hub", "c": "c", "s": "s"})
    assert sessions.read_cookie(old) is None
    # A login token is not a session cookie, though both are signed with the same secret.
    assert sessions.read_cookie(issue_login_token(load_secret(tmp_path), "admin/hub")) is None
    sessions.end(session)
    assert sessions.read_cookie(cookie) is None


@pytest.mark.parametrize("text", ["service/exchange", "anonymous/-", "department", "department/../AIC", ""])
def test_only_the_kinds_a_person_acts_as_can_sign_in(text: str) -> None:
    with pytest.raises(LoginRefused):
        parse_principal(text)


@given(st.text(max_size=40))
def test_a_csrf_token_matches_only_itself(sent: str) -> None:
    session = Session("department/AIC", "the-token", "sid")
    assert csrf_matches(session, sent) == (sent == "the-token")
    assert not csrf_matches(session, None)
