"""NaVILA's `mlp_downsample` projector: SigLIP patch grid -> LLM embeddings, token order exact.

VILA's projector is `layers = Sequential(DownSample, LayerNorm(4c), Linear(4c, d), GELU,
Linear(d, d))`; the down-sample step has no weights, so the checkpoint's state dict keys are
`layers.1.*` (LayerNorm), `layers.2.*` and `layers.4.*` (Linears). This module keeps those indices
so NaVILA's `mm_projector/` weights load unchanged.

Down-sampling (VILA's `flat_square`, re-derived here): the T = g*g patch tokens (row-major, g = 27
for SigLIP-so400m at 384 px) form a grid P[r, c]. Pad one zero row at the bottom and one zero
column at the right when g is odd (28 x 28). Output token (i, j) for i, j in 0..13 is the
concatenation

    [P[2j, 2i], P[2j, 2i+1], P[2j+1, 2i], P[2j+1, 2i+1]]     (4 x c channels)

and tokens are emitted row-major over (i, j): t = i * 14 + j. Note the first output index walks
image columns: that is what VILA's view/permute/view produces and what NaVILA was trained with.
No extra transpose (newer VILA/TensorRT-LLM code adds one) and no "\\n" embedding after an image.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from torch import nn

PROJECTOR_TYPE = "mlp_downsample"


def flat_square(x: torch.Tensor) -> torch.Tensor:
    """(B, T, C) patch tokens -> (B, ceil(g/2)^2, 4C) with NaVILA's padding and token order."""
    b, t, c = x.shape
    g = round(t**0.5)
    if g * g != t:
        raise ValueError(f"{t} patch tokens do not form a square grid")
    grid = x.reshape(b, g, g, c)  # [row, col]
    if g % 2:
        grid = torch.nn.functional.pad(grid, (0, 0, 0, 1, 0, 1))  # zero col right, row bottom
        g += 1
    h = g // 2
    # [row, col_pair, 2c] -> [col_pair, row, 2c] -> [col_pair, row_pair, 4c]
    pairs = grid.reshape(b, g, h, 2 * c).permute(0, 2, 1, 3).contiguous()
    return pairs.reshape(b, h * h, 4 * c)


def downsampled_tokens(num_patches: int) -> int:
    """Tokens per image after `flat_square` (729 SigLIP patches -> 196)."""
    g = round(num_patches**0.5)
    h = (g + 1) // 2
    return h * h


class DownSample(nn.Module):
    """Weight-free first stage of the projector (index 0 of `layers`)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return flat_square(x)


class MlpDownsampleProjector(nn.Module):
    """LayerNorm(4c) -> Linear(4c, d) -> GELU -> Linear(d, d) after the 2x2 down-sample."""

    def __init__(self, vision_hidden: int, llm_hidden: int) -> None:
        super().__init__()
        self.vision_hidden = vision_hidden
        self.llm_hidden = llm_hidden
        self.layers = nn.Sequential(
            DownSample(),
            nn.LayerNorm(vision_hidden * 4),
            nn.Linear(vision_hidden * 4, llm_hidden),
            nn.GELU(),
            nn.Linear(llm_hidden, llm_hidden),
        )

    def forward(self, patches: torch.Tensor) -> torch.Tensor:
        p = next(self.parameters())
        return self.layers(patches.to(dtype=p.dtype))

    # ------------------------------------------------------------------ on-disk layout
    def save(self, folder: str | Path) -> None:
        """Write `mm_projector/` as VILA does: config.json + model.safetensors (keys layers.N.*)."""
        from safetensors.torch import save_file

        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        cfg = {
            "architectures": ["MultimodalProjector"],
            "model_type": "v2l_projector",
            "mm_projector_type": PROJECTOR_TYPE,
        }
        (folder / "config.json").write_text(json.dumps(cfg, indent=2))
        state = {k: v.detach().contiguous() for k, v in self.state_dict().items()}
        save_file(state, str(folder / "model.safetensors"), metadata={"format": "pt"})

    @classmethod
    def load(
        cls,
        folder: str | Path,
        vision_hidden: int | None = None,
        llm_hidden: int | None = None,
        dtype: torch.dtype = torch.float32,
        device: str | torch.device = "cpu",
    ) -> MlpDownsampleProjector:
        """Load NaVILA/VILA projector weights (safetensors or pytorch_model.bin, any shard)."""
        folder = Path(folder)
        cfg_file = folder / "config.json"
        if cfg_file.exists():
            ptype = json.loads(cfg_file.read_text()).get("mm_projector_type", PROJECTOR_TYPE)
            if ptype != PROJECTOR_TYPE:
                raise ValueError(
                    f"projector type {ptype!r} is not supported (only {PROJECTOR_TYPE})"
                )
        state = _read_state_dict(folder)
        state = {k.removeprefix("mm_projector."): v for k, v in state.items()}
        missing = [
            k for k in ("layers.1.weight", "layers.2.weight", "layers.4.weight") if k not in state
        ]
        if missing:
            raise ValueError(f"{folder}: projector weights lack {missing}; found {sorted(state)}")
        vin = state["layers.2.weight"].shape[1] // 4
        dout = state["layers.2.weight"].shape[0]
        if vision_hidden is not None and vision_hidden != vin:
            raise ValueError(
                f"projector expects vision width {vin}, vision tower has {vision_hidden}"
            )
        if llm_hidden is not None and llm_hidden != dout:
            raise ValueError(f"projector outputs width {dout}, the LLM has {llm_hidden}")
        module = cls(vin, dout)
        module.load_state_dict(state, strict=True)
        return module.to(device=device, dtype=dtype).eval()


def _read_state_dict(folder: Path) -> dict[str, torch.Tensor]:
    files = sorted(folder.glob("*.safetensors"))
    state: dict[str, torch.Tensor] = {}
    if files:
        from safetensors.torch import load_file

        for f in files:
            state.update(load_file(str(f)))
        return state
    bins = sorted(folder.glob("*.bin"))
    if not bins:
        raise FileNotFoundError(f"{folder}: no *.safetensors or *.bin projector weights")
    for f in bins:
        state.update(torch.load(str(f), map_location="cpu", weights_only=True))
    return state
