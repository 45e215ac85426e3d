"""SMS providers: the interface the dispatcher sends through, a file provider and an HTTP provider."""

from __future__ import annotations

import asyncio
import json
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True)
class Message:
    """One message to one phone; `key` is the outbox id, the provider's deduplication key."""

    key: str
    phone: str
    body: str
    attempt: int = 1


class PermanentFailure(Exception):
    """The provider refused the message for good (bad number, rejected content): no retry helps."""


class SmsProvider(Protocol):
    async def send(self, message: Message) -> None:
        """Sends, or raises: PermanentFailure when retrying cannot help, anything else when it may."""


class FileProvider:
    """Appends each message as a JSON line to a file; a key already in the file is not written again."""

    def __init__(self, path: Path):
        self.path = path
        self._lock = threading.Lock()
        self._seen: set[str] | None = None

    def _keys(self) -> set[str]:
        if self._seen is None:
            self._seen = set()
            if self.path.exists():
                for line in self.path.read_text(encoding="utf-8").splitlines():
                    if line.strip():
                        self._seen.add(str(json.loads(line)["key"]))
        return self._seen

    def _append(self, message: Message) -> None:
        with self._lock:
            seen = self._keys()
            if message.key in seen:
                return
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as out:
                out.write(json.dumps({"key": message.key, "phone": message.phone, "body": message.body}) + "\n")
            seen.add(message.key)

    async def send(self, message: Message) -> None:
        await asyncio.to_thread(self._append, message)

    def sent(self) -> list[dict[str, str]]:
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text(encoding="utf-8").splitlines() if line.strip()]


class HttpProvider:
    """POSTs `{"key", "phone", "body"}` as JSON with an `Idempotency-Key` header to an SMS gateway.

    2xx is sent; 4xx other than 408 and 429 is a permanent refusal; 5xx, 408, 429 and network
    errors are transient and retried by the dispatcher.
    """

    def __init__(self, url: str, *, timeout: float = 5.0, token: str = ""):
        self.url = url
        self.timeout = timeout
        self.token = token

    def _post(self, message: Message) -> None:
        body = json.dumps({"key": message.key, "phone": message.phone, "body": message.body}).encode()
        headers = {"Content-Type": "application/json", "Idempotency-Key": message.key}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 - configured URL
                response.read()
        except urllib.error.HTTPError as error:
            if 400 <= error.code < 500 and error.code not in (408, 429):
                raise PermanentFailure(f"HTTP {error.code}: {error.reason}") from None
            raise

    async def send(self, message: Message) -> None:
        await asyncio.to_thread(self._post, message)


def provider_from_url(spec: str, data_dir: Path) -> SmsProvider:
    """`file:` (default: <data dir>/sms.jsonl), `file:/path`, or an `http(s)://` URL."""
    if spec.startswith(("http://", "https://")):
        return HttpProvider(spec)
    path = spec.removeprefix("file:") if spec.startswith("file:") else ""
    return FileProvider(Path(path) if path else data_dir / "sms.jsonl")
