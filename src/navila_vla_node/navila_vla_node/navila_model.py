"""The NaVILA checkpoint run with stock transformers: load, build inputs_embeds, decode greedily.

Loading: `LlamaForCausalLM` + its tokenizer from `llm/`, `SiglipVisionModel` from `vision_tower/`
(truncated after the selected layer), `MlpDownsampleProjector` from `mm_projector/`. fp32 on CPU,
bf16 (or fp16) on GPU. For the vLLM backend only the tokenizer, the vision side and the LLM's
input-embedding table are loaded (vLLM runs the LLM).

One planning step: sampled frames -> cached per-frame embeddings -> the prompt's token embeddings
with each `<image>` slot replaced by its frame's 196 embeddings -> prefill -> greedy decode of at
most 32 tokens, stopping at `<|eot_id|>` (or `<|end_of_text|>`).
"""

from __future__ import annotations

import inspect
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from navila_vla_node.checkpoint import CheckpointInfo, read_checkpoint
from navila_vla_node.projector import MlpDownsampleProjector
from navila_vla_node.prompt import (
    END_OF_TEXT,
    EOT,
    IMAGE_TOKEN_INDEX,
    TokenizedPrompt,
    build_question,
    render_prompt,
    strip_answer,
    tokenize_with_images,
)
from navila_vla_node.types import Frame
from navila_vla_node.vision import FrameEncoder, ImageSpec, truncate_vision_tower

DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}


def resolve_device_dtype(device: str, dtype: str) -> tuple[torch.device, torch.dtype]:
    """'auto' device: cuda when present. 'auto' dtype: fp32 on CPU, bf16 (else fp16) on GPU."""
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    dev = torch.device(device)
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("device 'cuda' requested but no CUDA GPU is available")
    if dtype == "auto":
        if dev.type == "cpu":
            return dev, torch.float32
        return dev, torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    if dtype not in DTYPES:
        raise ValueError(f"unknown dtype {dtype!r} (auto|float32|bfloat16|float16)")
    if dev.type == "cpu" and dtype != "float32":
        raise ValueError("half precision on CPU is slow and inexact here: use float32 on CPU")
    return dev, DTYPES[dtype]


def load_embedding_table(llm_dir: Path, dtype: torch.dtype) -> torch.nn.Embedding:
    """Only `model.embed_tokens.weight` from the LLM's safetensors (no 16 GB model in memory)."""
    from safetensors import safe_open

    key = "model.embed_tokens.weight"
    index = llm_dir / "model.safetensors.index.json"
    if index.exists():
        files = [llm_dir / json.loads(index.read_text())["weight_map"][key]]
    else:
        files = sorted(llm_dir.glob("*.safetensors"))
    for f in files:
        with safe_open(str(f), framework="pt") as sf:
            if key in sf.keys():  # noqa: SIM118 - safe_open has keys(), not __contains__
                w = sf.get_tensor(key).to(dtype)
                return torch.nn.Embedding.from_pretrained(w, freeze=True)
    raise FileNotFoundError(f"{llm_dir}: no {key} in its safetensors files")


@dataclass
class GenerateTiming:
    prefill: float = 0.0
    decode: float = 0.0
    prompt_tokens: int = 0
    new_tokens: int = 0
    finish_reason: str = ""


class NavilaModel:
    """The loaded parts and the planning-step pipeline (no ROS, no threads)."""

    def __init__(
        self,
        path: str | Path,
        device: str = "auto",
        dtype: str = "auto",
        load_llm: bool = True,
        cache_size: int = 64,
        prompt_template: str = "auto",
        max_new_tokens: int = 32,
    ) -> None:
        from transformers import AutoTokenizer, LlamaForCausalLM, SiglipVisionModel
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()

        self.info: CheckpointInfo | None = read_checkpoint(path)
        dev, dt = resolve_device_dtype(device, dtype)
        tokenizer = AutoTokenizer.from_pretrained(str(self.info.llm_dir))
        tower = SiglipVisionModel.from_pretrained(str(self.info.vision_dir), dtype=dt)
        tower = truncate_vision_tower(tower, self.info.select_layer)
        llm = None
        if load_llm:
            llm = LlamaForCausalLM.from_pretrained(str(self.info.llm_dir), dtype=dt)
            embed = llm.get_input_embeddings()
        else:
            embed = load_embedding_table(self.info.llm_dir, dt)
        projector = MlpDownsampleProjector.load(
            self.info.projector_dir, tower.config.hidden_size, embed.embedding_dim, dtype=dt
        )
        spec = ImageSpec.from_folder(self.info.vision_dir, tower.config.image_size)
        self._setup(
            tokenizer,
            tower,
            llm,
            embed,
            projector,
            spec,
            dev,
            dt,
            self.info.num_video_frames,
            cache_size,
            prompt_template,
            max_new_tokens,
        )

    @classmethod
    def from_parts(
        cls,
        tokenizer: Any,
        tower: torch.nn.Module,
        llm: Any,
        projector: MlpDownsampleProjector,
        device: torch.device,
        dtype: torch.dtype,
        spec: ImageSpec | None = None,
        num_frames: int = 8,
        cache_size: int = 64,
        prompt_template: str = "auto",
        max_new_tokens: int = 32,
    ) -> NavilaModel:
        """Already-built parts (the benchmark's random real-size model): same pipeline, no disk.
        `tower` must already be truncated to the selected layer."""
        obj = cls.__new__(cls)
        obj.info = None
        obj._setup(
            tokenizer,
            tower,
            llm,
            llm.get_input_embeddings(),
            projector,
            spec or ImageSpec(),
            device,
            dtype,
            num_frames,
            cache_size,
            prompt_template,
            max_new_tokens,
        )
        return obj

    def _setup(
        self,
        tokenizer: Any,
        tower: torch.nn.Module,
        llm: Any,
        embed: torch.nn.Module,
        projector: MlpDownsampleProjector,
        spec: ImageSpec,
        device: torch.device,
        dtype: torch.dtype,
        num_frames: int,
        cache_size: int,
        prompt_template: str,
        max_new_tokens: int,
    ) -> None:
        self.device, self.dtype = device, dtype
        self.prompt_template = prompt_template
        self.max_new_tokens = max_new_tokens
        self.num_frames = num_frames
        self.tokenizer = tokenizer
        tower = tower.to(device=device, dtype=dtype).eval()
        self.llm = llm
        if llm is not None:
            self.llm = llm.to(device=device, dtype=dtype).eval()
            # transformers 5 renamed `past_key_values` to `cache` (argument and output field)
            params = inspect.signature(type(self.llm).forward).parameters
            self._cache_arg = "cache" if "cache" in params else "past_key_values"
            # only the last position's logits are needed after the prefill
            self._prefill_kw = {"logits_to_keep": 1} if "logits_to_keep" in params else {}
            embed = self.llm.get_input_embeddings()
        self.embed = embed.to(device)
        projector = projector.to(device=device, dtype=dtype).eval()
        self.encoder = FrameEncoder(tower, projector, spec, device, dtype, cache_size)
        self.stop_ids = self._stop_ids()
        self._prompt_cache: dict[str, TokenizedPrompt] = {}

    def _stop_ids(self) -> set[int]:
        ids: set[int] = set()
        for tok in (EOT, END_OF_TEXT):
            i = self.tokenizer.convert_tokens_to_ids(tok)
            if isinstance(i, int) and i != self.tokenizer.unk_token_id and i >= 0:
                ids.add(i)
        if self.tokenizer.eos_token_id is not None:
            ids.add(int(self.tokenizer.eos_token_id))
        return ids

    # ------------------------------------------------------------------ prompt
    def tokenized_prompt(self, instruction: str) -> TokenizedPrompt:
        """NaVILA's prompt for this instruction, tokenized with image slots (memoised)."""
        tp = self._prompt_cache.get(instruction)
        if tp is None:
            question = build_question(instruction, self.num_frames)
            text = render_prompt(question, self.tokenizer, self.prompt_template)
            tp = tokenize_with_images(text, self.tokenizer)
            if tp.num_images != self.num_frames:
                raise ValueError(
                    f"prompt has {tp.num_images} image slots, expected {self.num_frames}"
                )
            if len(self._prompt_cache) > 16:
                self._prompt_cache.clear()
            self._prompt_cache[instruction] = tp
        return tp

    @torch.inference_mode()
    def build_inputs_embeds(
        self, tp: TokenizedPrompt, images: Sequence[torch.Tensor]
    ) -> torch.Tensor:
        """(L, d) embeddings: token embeddings, each image slot replaced by its frame's tokens."""
        if len(images) != tp.num_images:
            raise ValueError(f"{len(images)} image embeddings for {tp.num_images} slots")
        ids = torch.tensor(tp.input_ids, device=self.device)
        parts: list[torch.Tensor] = []
        start = 0
        for k, pos in enumerate(tp.image_positions):
            if pos > start:
                parts.append(self.embed(ids[start:pos]))
            parts.append(images[k].to(self.dtype))
            start = pos + 1
        if start < len(tp.input_ids):
            parts.append(self.embed(ids[start:]))
        assert int((ids == IMAGE_TOKEN_INDEX).sum()) == tp.num_images
        return torch.cat(parts, dim=0)

    # ------------------------------------------------------------------ generation
    def _sync(self) -> None:
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)

    @torch.inference_mode()
    def generate(
        self, embeds: torch.Tensor, max_new_tokens: int | None = None
    ) -> tuple[str, GenerateTiming]:
        """Greedy decoding from prompt embeddings; stops at the end-of-turn token."""
        if self.llm is None:
            raise RuntimeError("this NavilaModel was loaded without its LLM (vLLM mode)")
        limit = self.max_new_tokens if max_new_tokens is None else max_new_tokens
        timing = GenerateTiming(prompt_tokens=int(embeds.shape[0]))
        t0 = time.perf_counter()
        out = self.llm(inputs_embeds=embeds.unsqueeze(0), use_cache=True, **self._prefill_kw)
        nxt = int(out.logits[0, -1].argmax())
        self._sync()
        t1 = time.perf_counter()
        timing.prefill = t1 - t0
        tokens: list[int] = []
        past = getattr(out, self._cache_arg)
        timing.finish_reason = "length"
        while len(tokens) < limit:
            if nxt in self.stop_ids:
                timing.finish_reason = "stop"
                break
            tokens.append(nxt)
            if len(tokens) >= limit:
                break
            step = torch.tensor([[nxt]], device=self.device)
            out = self.llm(input_ids=step, use_cache=True, **{self._cache_arg: past})
            past = getattr(out, self._cache_arg)
            nxt = int(out.logits[0, -1].argmax())
        self._sync()
        timing.decode = time.perf_counter() - t1
        timing.new_tokens = len(tokens)
        text = self.tokenizer.decode(tokens, skip_special_tokens=True)
        return strip_answer(text), timing

    def encode_frames(self, frames: Sequence[Frame], use_cache: bool = True):
        return self.encoder.encode(frames, use_cache=use_cache)

    def reset(self) -> None:
        """New episode: frame ids are unique per process, so the cache stays valid; keep it."""

    def close(self) -> None:
        self.llm = None
        self.encoder.cache.clear()
        if self.device.type == "cuda":
            torch.cuda.empty_cache()
