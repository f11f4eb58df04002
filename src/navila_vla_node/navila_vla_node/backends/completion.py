"""What the backends that ask a completion server share (openai_chat: Chat Completions, vllm:
Completions with prompt embeddings): the request with its time booked, and the two ways a
planning step ends - the model's text with its finish reason, or a failure the planner core
turns into a published stop.
"""

from __future__ import annotations

import time
from typing import Any

from navila_vla_node.backends.http import HttpClient
from navila_vla_node.types import Latency, PlanResult


def post_timed(
    client: HttpClient, route: str, payload: dict, lat: Latency, t0: float
) -> tuple[dict, int]:
    """client.post_json(route, payload) -> (answer, attempts). Books lat.network (the request,
    retries included) and lat.total (since t0) whether it answers or raises HttpError."""
    t1 = time.perf_counter()
    try:
        return client.post_json(route, payload)
    finally:
        lat.network = time.perf_counter() - t1
        lat.total = time.perf_counter() - t0


def failed(reason: str, lat: Latency, backend: str) -> PlanResult:
    """A step the server did not answer usably: no text, ok false, the reason."""
    return PlanResult("", False, reason, lat, "error", backend)


def answered(
    text: str, choice: dict[str, Any], lat: Latency, backend: str, attempts: int
) -> PlanResult:
    """The model's (stripped) text, with the choice's finish reason and the request's attempts."""
    return PlanResult(
        text,
        True,
        None,
        lat,
        str(choice.get("finish_reason") or ""),
        backend,
        detail={"attempts": attempts},
    )
