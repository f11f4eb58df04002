"""OpenAI-compatible Chat Completions with images: any VLM server, or GPT-4o (the paper's baseline).

The user message is NaVILA's prompt with each `<image>` marker replaced by the frame itself, as
`image_url` parts holding `data:image/jpeg;base64,...` URLs (the format OpenAI, vLLM, SGLang and
llama.cpp servers accept). The API key comes from an environment variable and is never logged.
"""

from __future__ import annotations

import base64
import io
import os
import time

import numpy as np
from PIL import Image

from navila_vla_node.backends.completion import answered, failed, post_timed
from navila_vla_node.backends.http import HttpClient, HttpError
from navila_vla_node.prompt import IMAGE_TOKEN, SYSTEM_TEXT, build_question, strip_answer
from navila_vla_node.types import Frame, Latency, PlanRequest, PlanResult


def jpeg_data_url(rgb: np.ndarray, size: int = 0, quality: int = 90) -> str:
    img = Image.fromarray(rgb, mode="RGB")
    if size > 0 and img.size != (size, size):
        img = img.resize((size, size), resample=Image.Resampling.BICUBIC)
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=quality)
    return "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def build_messages(
    instruction: str,
    frames: list[Frame] | tuple[Frame, ...],
    image_size: int = 0,
    system: str = SYSTEM_TEXT,
) -> list[dict]:
    """System + one user turn: NaVILA's text with the frames interleaved at its markers."""
    question = build_question(instruction, len(frames))
    pieces = question.split(IMAGE_TOKEN)
    content: list[dict] = []
    for k, text in enumerate(pieces):
        if text:
            content.append({"type": "text", "text": text})
        if k < len(frames):
            url = jpeg_data_url(frames[k].rgb, image_size)
            content.append({"type": "image_url", "image_url": {"url": url}})
    messages: list[dict] = []
    if system:
        messages.append({"role": "system", "content": system})
    messages.append({"role": "user", "content": content})
    return messages


class OpenAIChatBackend:
    needs_images = True

    def __init__(
        self,
        base_url: str = "https://api.openai.com/v1",
        model: str = "gpt-4o",
        api_key_env: str = "OPENAI_API_KEY",
        num_frames: int = 8,
        max_new_tokens: int = 32,
        image_size: int = 0,
        timeout_s: float = 20.0,
        max_retries: int = 2,
        backoff_s: float = 0.5,
        system_prompt: str = SYSTEM_TEXT,
    ) -> None:
        self.name = "openai"
        self.model = model
        self.num_frames = num_frames
        self.max_new_tokens = max_new_tokens
        self.image_size = image_size
        self.system_prompt = system_prompt
        self.client = HttpClient(
            base_url,
            api_key=os.environ.get(api_key_env) or None,
            timeout_s=timeout_s,
            max_retries=max_retries,
            backoff_s=backoff_s,
        )

    def build_payload(self, request: PlanRequest) -> dict:
        return {
            "model": self.model,
            "messages": build_messages(
                request.instruction, request.frames, self.image_size, self.system_prompt
            ),
            "max_tokens": self.max_new_tokens,
            "temperature": 0.0,
            "n": 1,
        }

    def plan(self, request: PlanRequest) -> PlanResult:
        t0 = time.perf_counter()
        payload = self.build_payload(request)
        lat = Latency(preprocess=time.perf_counter() - t0)
        try:
            answer, attempts = post_timed(self.client, "chat/completions", payload, lat, t0)
        except HttpError as exc:
            return failed(f"chat request failed: {exc}", lat, self.name)
        try:
            choice = answer["choices"][0]
            content = choice["message"]["content"]
            if isinstance(content, list):  # some servers answer with content parts
                content = "".join(p.get("text", "") for p in content if isinstance(p, dict))
            if not isinstance(content, str):
                raise TypeError("message.content is not text")
        except (KeyError, IndexError, TypeError, AttributeError) as exc:
            return failed(f"malformed chat completion answer: {exc!r}", lat, self.name)
        usage = answer.get("usage") or {}
        lat.prompt_tokens = int(usage.get("prompt_tokens", 0) or 0)
        lat.new_tokens = int(usage.get("completion_tokens", 0) or 0)
        return answered(strip_answer(content), choice, lat, self.name, attempts)

    def reset(self) -> None:
        pass

    def close(self) -> None:
        pass
