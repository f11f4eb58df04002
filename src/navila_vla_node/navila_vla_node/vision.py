"""Frames -> image embeddings in the LLM's space: SigLIP (layer -2, all patches) + projector.

Preprocessing is NaVILA's (`image_aspect_ratio = resize`): PIL bicubic resize to the vision
tower's size (384 x 384), scale to [0, 1], SigLIP normalisation (mean = std = 0.5 per channel).

Only the vision layers up to the selected one run (NaVILA takes hidden state -2, so the last
encoder layer, the post-layernorm and the pooling head are never computed): identical features,
less work. Each frame's projected embeddings are cached by frame id, so a frame goes through the
vision tower and projector once however many planning steps sample it.
"""

from __future__ import annotations

import json
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch import nn

from navila_vla_node.projector import MlpDownsampleProjector, downsampled_tokens
from navila_vla_node.types import Frame


@dataclass(frozen=True)
class ImageSpec:
    """How images are prepared for the vision tower (from `preprocessor_config.json`)."""

    height: int = 384
    width: int = 384
    mean: tuple[float, float, float] = (0.5, 0.5, 0.5)
    std: tuple[float, float, float] = (0.5, 0.5, 0.5)
    rescale: float = 1.0 / 255.0
    resample: int = 3  # PIL bicubic, as SiglipImageProcessor and PIL's resize default

    @classmethod
    def from_folder(cls, folder: str | Path, image_size: int | None = None) -> ImageSpec:
        f = Path(folder) / "preprocessor_config.json"
        if not f.exists():
            size = image_size or 384
            return cls(height=size, width=size)
        cfg = json.loads(f.read_text())
        size = cfg.get("size", {})
        h = int(size.get("height", size.get("shortest_edge", image_size or 384)))
        w = int(size.get("width", size.get("shortest_edge", image_size or 384)))
        return cls(
            height=h,
            width=w,
            mean=tuple(cfg.get("image_mean", (0.5, 0.5, 0.5))),
            std=tuple(cfg.get("image_std", (0.5, 0.5, 0.5))),
            rescale=float(cfg.get("rescale_factor", 1.0 / 255.0)),
            resample=int(cfg.get("resample", 3)),
        )


def resize_rgb(rgb: np.ndarray, spec: ImageSpec) -> np.ndarray:
    """H x W x 3 uint8 -> spec-sized uint8 (PIL bicubic, NaVILA's resize); no-op when sized."""
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise ValueError(f"expected H x W x 3 uint8 RGB, got {rgb.shape} {rgb.dtype}")
    if rgb.shape[:2] == (spec.height, spec.width):
        return rgb
    img = Image.fromarray(rgb, mode="RGB").resize((spec.width, spec.height), resample=spec.resample)
    return np.asarray(img)


def preprocess(rgbs: Sequence[np.ndarray], spec: ImageSpec) -> torch.Tensor:
    """RGB uint8 images -> (N, 3, H, W) float32 pixel values, SigLIP-normalised."""
    arr = np.stack([resize_rgb(x, spec) for x in rgbs]).astype(np.float32) * spec.rescale
    mean = np.asarray(spec.mean, dtype=np.float32)
    std = np.asarray(spec.std, dtype=np.float32)
    arr = (arr - mean) / std
    return torch.from_numpy(arr).permute(0, 3, 1, 2).contiguous()


def truncate_vision_tower(model: nn.Module, select_layer: int) -> nn.Module:
    """Keep only the encoder layers whose output NaVILA reads (hidden_states[select_layer]).

    hidden_states[0] is the patch embedding and hidden_states[k] the output of layer k, so layer
    -2 of an L-layer tower is the output of layer L-1: the last layer is dropped.
    """
    vm = getattr(model, "vision_model", model)
    layers = vm.encoder.layers
    n = len(layers)
    keep = n + 1 + select_layer if select_layer < 0 else select_layer
    if not 0 <= keep <= n:
        raise ValueError(f"select_layer {select_layer} is out of range for {n} layers")
    vm.encoder.layers = nn.ModuleList(list(layers)[:keep])
    return model


def vision_features(model: nn.Module, pixel_values: torch.Tensor) -> torch.Tensor:
    """Patch features of a truncated tower: embeddings -> kept layers (no post-norm, no head)."""
    vm = getattr(model, "vision_model", model)
    emb = vm.embeddings(pixel_values)
    return vm.encoder(inputs_embeds=emb).last_hidden_state


class EmbeddingCache:
    """LRU of projected frame embeddings keyed by frame id (black padding has its own id)."""

    def __init__(self, capacity: int = 64) -> None:
        self.capacity = max(0, capacity)
        self._data: OrderedDict[int, torch.Tensor] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def get(self, key: int) -> torch.Tensor | None:
        t = self._data.get(key)
        if t is None:
            self.misses += 1
            return None
        self._data.move_to_end(key)
        self.hits += 1
        return t

    def put(self, key: int, value: torch.Tensor) -> None:
        if self.capacity == 0:
            return
        self._data[key] = value
        self._data.move_to_end(key)
        while len(self._data) > self.capacity:
            self._data.popitem(last=False)

    def clear(self) -> None:
        self._data.clear()

    def __len__(self) -> int:
        return len(self._data)


@dataclass
class EncodeTiming:
    preprocess: float = 0.0
    vision: float = 0.0
    projector: float = 0.0
    encoded: int = 0
    cached: int = 0


class FrameEncoder:
    """SigLIP tower (truncated) + projector, with the per-frame embedding cache."""

    def __init__(
        self,
        tower: nn.Module,
        projector: MlpDownsampleProjector,
        spec: ImageSpec,
        device: torch.device,
        dtype: torch.dtype,
        cache_size: int = 64,
    ) -> None:
        self.tower = tower
        self.projector = projector
        self.spec = spec
        self.device = device
        self.dtype = dtype
        self.cache = EmbeddingCache(cache_size)
        cfg = getattr(tower, "config", None)
        patches = (cfg.image_size // cfg.patch_size) ** 2 if cfg is not None else 729
        self.tokens_per_image = downsampled_tokens(patches)

    def _sync(self) -> None:
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)

    @torch.inference_mode()
    def encode(
        self, frames: Sequence[Frame], use_cache: bool = True
    ) -> tuple[list[torch.Tensor], EncodeTiming]:
        """One (tokens_per_image, d) tensor per frame; cache misses go through in one batch."""
        timing = EncodeTiming()
        out: list[torch.Tensor | None] = [None] * len(frames)
        todo: dict[int, list[int]] = {}
        for k, f in enumerate(frames):
            hit = self.cache.get(f.frame_id) if use_cache else None
            if hit is not None:
                out[k] = hit
                timing.cached += 1
            else:
                todo.setdefault(f.frame_id, []).append(k)
        if todo:
            firsts = [frames[idx[0]] for idx in todo.values()]
            t0 = time.perf_counter()
            pixels = preprocess([f.rgb for f in firsts], self.spec).to(self.device, self.dtype)
            t1 = time.perf_counter()
            feats = vision_features(self.tower, pixels)
            self._sync()
            t2 = time.perf_counter()
            emb = self.projector(feats)
            self._sync()
            t3 = time.perf_counter()
            timing.preprocess, timing.vision, timing.projector = t1 - t0, t2 - t1, t3 - t2
            timing.encoded = len(firsts)
            for (fid, idxs), e in zip(todo.items(), emb, strict=True):
                if use_cache:
                    self.cache.put(fid, e)
                for k in idxs:
                    out[k] = e
        return [t for t in out if t is not None], timing
