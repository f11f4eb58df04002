"""A small JSON-over-HTTP client (stdlib urllib): timeouts, bounded retries with backoff.

Why not the `openai` package: one POST is all the planner needs, and the stdlib keeps the robot
image light. The API key is sent in the Authorization header only; it never appears in errors,
logs or `repr` (errors quote at most a short excerpt of the server's body).
"""

from __future__ import annotations

import json
import socket
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field

RETRY_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504})


class HttpError(RuntimeError):
    """A request that failed for good (after retries); `status` is None for transport errors."""

    def __init__(self, message: str, status: int | None = None, attempts: int = 1) -> None:
        super().__init__(message)
        self.status = status
        self.attempts = attempts


@dataclass
class HttpClient:
    """POSTs JSON to `base_url + path`; retries transport errors and 408/429/5xx answers."""

    base_url: str
    api_key: str | None = field(default=None, repr=False)
    timeout_s: float = 10.0
    max_retries: int = 2
    backoff_s: float = 0.5
    max_backoff_s: float = 4.0
    extra_headers: dict[str, str] = field(default_factory=dict)

    def post_json(
        self, path: str, payload: dict, deadline: float | None = None
    ) -> tuple[dict, int]:
        """The decoded JSON answer and the number of attempts it took. Raises `HttpError`."""
        url = self.base_url.rstrip("/") + "/" + path.lstrip("/")
        body = json.dumps(payload).encode("utf-8")
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        headers.update(self.extra_headers)
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        last: HttpError | None = None
        attempts = 0
        for attempt in range(self.max_retries + 1):
            attempts = attempt + 1
            timeout = self.timeout_s
            if deadline is not None:
                timeout = min(timeout, deadline - time.monotonic())
                if timeout <= 0:
                    break
            req = urllib.request.Request(url, data=body, headers=headers, method="POST")
            try:
                with urllib.request.urlopen(req, timeout=timeout) as resp:
                    raw = resp.read()
                try:
                    return json.loads(raw.decode("utf-8")), attempts
                except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                    raise HttpError(
                        f"server answered non-JSON ({len(raw)} bytes): {_excerpt(raw)}",
                        200,
                        attempts,
                    ) from exc
            except urllib.error.HTTPError as exc:
                detail = _excerpt(exc.read() if exc.fp else b"")
                last = HttpError(f"HTTP {exc.code} from {url}: {detail}", exc.code, attempts)
                if exc.code not in RETRY_STATUS:
                    raise last from None
            except TimeoutError as exc:
                last = HttpError(f"timeout after {timeout:.1f} s from {url}", None, attempts)
                last.__cause__ = exc
            except urllib.error.URLError as exc:
                reason = exc.reason
                if isinstance(reason, (TimeoutError, socket.timeout)):
                    last = HttpError(f"timeout after {timeout:.1f} s from {url}", None, attempts)
                else:
                    last = HttpError(f"cannot reach {url}: {reason}", None, attempts)
            except (ConnectionError, OSError) as exc:
                last = HttpError(f"connection to {url} failed: {exc}", None, attempts)
            if attempt < self.max_retries:
                pause = min(self.max_backoff_s, self.backoff_s * (2**attempt))
                if deadline is not None:
                    pause = min(pause, max(0.0, deadline - time.monotonic()))
                time.sleep(pause)
        if last is None:
            last = HttpError(f"deadline passed before a request to {url} could be made", None, 0)
        last.attempts = attempts
        raise last


def _excerpt(raw: bytes, limit: int = 200) -> str:
    text = raw.decode("utf-8", errors="replace").strip().replace("\n", " ")
    return text if len(text) <= limit else text[:limit] + "..."
