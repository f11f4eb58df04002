"""vLLM backend: the LLM runs in a vLLM server; the image side runs here.

vLLM has no VILA model, but it serves the `llm/` folder (a plain Llama) and, started with
`vllm serve <ckpt>/llm --enable-prompt-embeds`, accepts prompt embeddings on its OpenAI-compatible
Completions API: `POST /v1/completions` with `prompt_embeds` = base64 of a `torch.save`d
(sequence, hidden) float tensor. We build exactly the embeddings the NaVILA backend feeds the LLM
(cached frame embeddings spliced into the prompt's token embeddings) and let vLLM prefill/decode.
"""

from __future__ import annotations

import base64
import io
import os
import time

import torch

from navila_vla_node.backends.completion import answered, failed, post_timed
from navila_vla_node.backends.http import HttpClient, HttpError
from navila_vla_node.prompt import strip_answer
from navila_vla_node.types import Latency, PlanRequest, PlanResult


def encode_prompt_embeds(embeds: torch.Tensor) -> str:
    """vLLM's wire format: base64 of `torch.save(tensor)` (2-D, float32/bfloat16/float16, CPU)."""
    buf = io.BytesIO()
    torch.save(embeds.detach().to("cpu").contiguous(), buf)
    return base64.b64encode(buf.getvalue()).decode("ascii")


class VllmPromptEmbedsBackend:
    needs_images = True

    def __init__(
        self,
        model_path: str,
        base_url: str = "http://127.0.0.1:8000/v1",
        served_model: str = "",
        api_key_env: str = "VLLM_API_KEY",
        device: str = "auto",
        dtype: str = "auto",
        max_new_tokens: int = 32,
        timeout_s: float = 10.0,
        max_retries: int = 2,
        backoff_s: float = 0.5,
        cache_size: int = 64,
        prompt_template: str = "auto",
    ) -> None:
        from navila_vla_node.navila_model import NavilaModel

        self.name = "vllm"
        self.model = NavilaModel(
            model_path,
            device=device,
            dtype=dtype,
            load_llm=False,
            cache_size=cache_size,
            prompt_template=prompt_template,
            max_new_tokens=max_new_tokens,
        )
        self.num_frames = self.model.num_frames
        self.max_new_tokens = max_new_tokens
        self.served_model = served_model or str(self.model.info.llm_dir)
        self.client = HttpClient(
            base_url,
            api_key=os.environ.get(api_key_env) or None,
            timeout_s=timeout_s,
            max_retries=max_retries,
            backoff_s=backoff_s,
        )

    def build_payload(self, embeds: torch.Tensor) -> dict:
        return {
            "model": self.served_model,
            "prompt": "",  # as vLLM's client example: no text prompt, only embeddings
            "prompt_embeds": encode_prompt_embeds(embeds),
            "max_tokens": self.max_new_tokens,
            "temperature": 0.0,
            "n": 1,
            "stop_token_ids": sorted(self.model.stop_ids),
            "skip_special_tokens": True,
        }

    def plan(self, request: PlanRequest) -> PlanResult:
        t0 = time.perf_counter()
        tp = self.model.tokenized_prompt(request.instruction)
        images, enc = self.model.encode_frames(request.frames)
        embeds = self.model.build_inputs_embeds(tp, images)
        lat = Latency(
            preprocess=enc.preprocess,
            vision=enc.vision,
            projector=enc.projector,
            frames_encoded=enc.encoded,
            frames_cached=enc.cached,
            prompt_tokens=int(embeds.shape[0]),
        )
        payload = self.build_payload(embeds)
        try:
            answer, attempts = post_timed(self.client, "completions", payload, lat, t0)
        except HttpError as exc:
            return failed(f"vLLM request failed: {exc}", lat, self.name)
        try:
            choice = answer["choices"][0]
            text = choice["text"]
            if not isinstance(text, str):
                raise TypeError("choices[0].text is not a string")
        except (KeyError, IndexError, TypeError) as exc:
            return failed(f"malformed vLLM completion answer: {exc}", lat, self.name)
        usage = answer.get("usage") or {}
        lat.new_tokens = int(usage.get("completion_tokens", 0) or 0)
        return answered(strip_answer(text), choice, lat, self.name, attempts)

    def reset(self) -> None:
        self.model.reset()

    def close(self) -> None:
        self.model.close()
