"""OpenAI-compatible and vLLM backends against a local HTTP server that checks the request format
and answers like the real APIs; retries on 5xx, timeouts, garbage answers, API key hygiene."""

from __future__ import annotations

import base64
import io
import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest
import torch

from navila_vla_node.backends.http import HttpClient, HttpError
from navila_vla_node.backends.openai_chat import OpenAIChatBackend
from navila_vla_node.frames import sample_frames
from navila_vla_node.prompt import IMAGE_TOKEN
from navila_vla_node.types import Frame, PlanRequest

SECRET = "sk-test-SECRET-123"


class FakeServer:
    """Records requests; `handler(path, headers, body) -> (status, body_bytes, delay_s)`."""

    def __init__(self, handler: Callable[[str, dict, dict | None], tuple[int, bytes, float]]):
        self.handler = handler
        self.requests: list[tuple[str, dict, dict | None]] = []
        outer = self

        class H(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                try:
                    body = json.loads(raw)
                except json.JSONDecodeError:
                    body = None
                headers = {k.lower(): v for k, v in self.headers.items()}
                outer.requests.append((self.path, headers, body))
                status, data, delay = outer.handler(self.path, headers, body)
                time.sleep(delay)
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> FakeServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def chat_answer(text: str) -> bytes:
    return json.dumps(
        {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text},
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 1700, "completion_tokens": 9, "total_tokens": 1709},
        }
    ).encode()


def request(n_real: int = 3, instruction: str = "go to the door") -> PlanRequest:
    rng = np.random.default_rng(1)
    hist = [
        Frame(k + 1, 0.5 * k, rng.integers(0, 255, (30, 40, 3), dtype=np.uint8))
        for k in range(n_real)
    ]
    return PlanRequest(instruction, tuple(sample_frames(hist)), 1, 1)


@pytest.fixture
def api_key(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("TEST_NAVILA_KEY", SECRET)
    yield SECRET


def test_openai_chat_request_format_and_answer(api_key) -> None:
    def handler(path, headers, body):
        return 200, chat_answer("The next action is turn left 30 degrees."), 0.0

    with FakeServer(handler) as srv:
        b = OpenAIChatBackend(srv.url, "gpt-4o", "TEST_NAVILA_KEY", image_size=64)
        r = b.plan(request())
    assert r.ok and r.text == "The next action is turn left 30 degrees."
    assert r.latency.prompt_tokens == 1700 and r.latency.new_tokens == 9
    ((path, headers, body),) = srv.requests
    assert path == "/v1/chat/completions"
    assert headers["authorization"] == f"Bearer {SECRET}"
    assert headers["content-type"] == "application/json"
    assert body["model"] == "gpt-4o" and body["temperature"] == 0.0 and body["max_tokens"] == 32
    system, user = body["messages"]
    assert system["role"] == "system" and "vision assistant" in system["content"]
    parts = user["content"]
    images = [p for p in parts if p["type"] == "image_url"]
    texts = [p["text"] for p in parts if p["type"] == "text"]
    assert len(images) == 8
    assert "".join(texts).count(IMAGE_TOKEN) == 0
    assert 'Your assigned task is: "go to the door"' in "".join(texts)
    # frames interleaved where NaVILA's <image> markers are: history text first, current last
    assert parts[0]["type"] == "text" and "historical observations" in parts[0]["text"]
    from PIL import Image

    for p in images:
        url = p["image_url"]["url"]
        assert url.startswith("data:image/jpeg;base64,")
        img = Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1])))
        assert img.size == (64, 64) and img.format == "JPEG"


def test_retries_5xx_then_succeeds(api_key) -> None:
    calls = {"n": 0}

    def handler(path, headers, body):
        calls["n"] += 1
        if calls["n"] <= 2:
            return 503, b'{"error": {"message": "overloaded"}}', 0.0
        return 200, chat_answer("The next action is stop."), 0.0

    with FakeServer(handler) as srv:
        b = OpenAIChatBackend(srv.url, "m", "TEST_NAVILA_KEY", max_retries=2, backoff_s=0.01)
        r = b.plan(request())
    assert r.ok and r.text == "The next action is stop." and r.detail["attempts"] == 3
    assert calls["n"] == 3


def test_bounded_retries_and_no_key_in_errors(api_key) -> None:
    def handler(path, headers, body):
        return 500, b'{"error": "boom"}', 0.0

    with FakeServer(handler) as srv:
        b = OpenAIChatBackend(srv.url, "m", "TEST_NAVILA_KEY", max_retries=1, backoff_s=0.01)
        r = b.plan(request())
    assert not r.ok and "HTTP 500" in r.error and len(srv.requests) == 2
    assert SECRET not in r.error and SECRET not in repr(b.client) and SECRET not in repr(r)


def test_client_error_is_not_retried(api_key) -> None:
    with FakeServer(lambda *a: (401, b'{"error": "bad key"}', 0.0)) as srv:
        b = OpenAIChatBackend(srv.url, "m", "TEST_NAVILA_KEY", max_retries=3, backoff_s=0.01)
        r = b.plan(request())
    assert not r.ok and "HTTP 401" in r.error and len(srv.requests) == 1


def test_timeout_gives_error_not_hang() -> None:
    with FakeServer(lambda *a: (200, chat_answer("The next action is stop."), 1.0)) as srv:
        b = OpenAIChatBackend(
            srv.url, "m", "NO_SUCH_ENV", timeout_s=0.2, max_retries=1, backoff_s=0.01
        )
        t0 = time.monotonic()
        r = b.plan(request())
        took = time.monotonic() - t0
    assert not r.ok and "timeout" in r.error and r.finish_reason == "error"
    assert len(srv.requests) == 2 and took < 5.0
    # the failed request's time is booked too: the planner's latency log shows where it went
    assert 0 < r.latency.network <= r.latency.total
    assert "authorization" not in srv.requests[0][1]  # no key in the env: no header at all


@pytest.mark.parametrize(
    "answer",
    [b"<html>bad gateway</html>", b'{"choices": []}', b'{"choices": [{"message": {}}]}', b"[1, 2]"],
)
def test_garbage_answers_become_errors(answer: bytes) -> None:
    with FakeServer(lambda *a: (200, answer, 0.0)) as srv:
        b = OpenAIChatBackend(srv.url, "m", "NO_SUCH_ENV", max_retries=0)
        r = b.plan(request())
    assert not r.ok and r.text == "" and r.error


def test_unreachable_server() -> None:
    client = HttpClient("http://127.0.0.1:9/v1", timeout_s=0.5, max_retries=1, backoff_s=0.01)
    with pytest.raises(HttpError) as err:
        client.post_json("chat/completions", {})
    assert err.value.attempts == 2 and err.value.status is None


# ---------------------------------------------------------------------------------------- vLLM
def test_vllm_prompt_embeds_request(tiny_checkpoint, tiny_model, api_key) -> None:
    from navila_vla_node.backends.vllm import VllmPromptEmbedsBackend

    seen: dict = {}

    def handler(path, headers, body):
        t = torch.load(
            io.BytesIO(base64.b64decode(body["prompt_embeds"], validate=True)),
            weights_only=True,
            map_location="cpu",
        )
        seen["tensor"] = t
        answer = {
            "id": "cmpl-1",
            "object": "text_completion",
            "choices": [
                {
                    "index": 0,
                    "text": " The next action is move forward 75 cm.",
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": int(t.shape[0]), "completion_tokens": 10},
        }
        return 200, json.dumps(answer).encode(), 0.0

    with FakeServer(handler) as srv:
        b = VllmPromptEmbedsBackend(
            str(tiny_checkpoint),
            base_url=srv.url,
            served_model="navila-llm",
            api_key_env="TEST_NAVILA_KEY",
            device="cpu",
        )
        req = request(5, "walk past the sofa")
        r = b.plan(req)
    assert r.ok and r.text == "The next action is move forward 75 cm." and r.backend == "vllm"
    ((path, headers, body),) = srv.requests
    assert path == "/v1/completions" and headers["authorization"] == f"Bearer {SECRET}"
    assert body["model"] == "navila-llm" and body["max_tokens"] == 32 and body["temperature"] == 0.0
    assert body["prompt"] == "" and set(body["stop_token_ids"]) == tiny_model.stop_ids
    t = seen["tensor"]
    assert t.dtype == torch.float32 and t.dim() == 2 and t.shape[1] == 64
    # exactly the embeddings the local NaVILA backend would feed its LLM
    tp = tiny_model.tokenized_prompt(req.instruction)
    images, _ = tiny_model.encode_frames(req.frames)
    ref = tiny_model.build_inputs_embeds(tp, images)
    assert t.shape[0] == tp.length_with_images(196)
    torch.testing.assert_close(t, ref)
    assert r.latency.prompt_tokens == t.shape[0] and r.latency.frames_encoded >= 1


def test_vllm_server_error_is_a_failed_plan(tiny_checkpoint) -> None:
    from navila_vla_node.backends.vllm import VllmPromptEmbedsBackend

    with FakeServer(
        lambda *a: (400, b'{"error": "You must set --enable-prompt-embeds"}', 0.0)
    ) as srv:
        b = VllmPromptEmbedsBackend(str(tiny_checkpoint), base_url=srv.url, device="cpu")
        r = b.plan(request())
    assert not r.ok and "enable-prompt-embeds" in r.error
