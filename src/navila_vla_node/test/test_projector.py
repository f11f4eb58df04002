"""mlp_downsample projector: NaVILA's token order on a hand-computed example, shapes, weights."""

from __future__ import annotations

import pytest
import torch

from navila_vla_node.projector import MlpDownsampleProjector, downsampled_tokens, flat_square


def test_hand_computed_3x3_grid() -> None:
    # P[r, c] = 10 r + c + 1 on a 3 x 3 grid (row-major tokens), one channel.
    p = torch.tensor([[[10.0 * (k // 3) + (k % 3) + 1] for k in range(9)]])
    out = flat_square(p)
    assert out.shape == (1, 4, 4)
    # Padded to 4 x 4 with zeros; token (i, j) = [P[2j,2i], P[2j,2i+1], P[2j+1,2i], P[2j+1,2i+1]]
    expected = torch.tensor(
        [
            [1.0, 2.0, 11.0, 12.0],  # t0: i=0, j=0 (top-left block)
            [21.0, 22.0, 0.0, 0.0],  # t1: i=0, j=1 (bottom-left block, padded row)
            [3.0, 0.0, 13.0, 0.0],  # t2: i=1, j=0 (top-right block, padded column)
            [23.0, 0.0, 0.0, 0.0],  # t3: i=1, j=1
        ]
    )
    assert torch.equal(out[0], expected)


def test_vila_view_permute_transcription_on_real_grid() -> None:
    """The same op as VILA's flat_square (view, permute(0,2,1,3), view) on a 27 x 27 grid."""
    x = torch.randn(2, 729, 5)
    n, c = 2, 5
    g = x.reshape(n, 27, 27, c)
    g = torch.cat([g, torch.zeros(n, 1, 27, c)], dim=1)
    g = torch.cat([g, torch.zeros(n, 28, 1, c)], dim=2)
    g = g.view(n, 28, 14, 2 * c).permute(0, 2, 1, 3).contiguous().view(n, 14, 14, 4 * c)
    ref = g.reshape(n, 196, 4 * c)
    assert torch.equal(flat_square(x), ref)
    assert downsampled_tokens(729) == 196


def test_channel_layout_of_one_block() -> None:
    x = torch.arange(729 * 2, dtype=torch.float32).reshape(1, 729, 2)
    out = flat_square(x)
    # token 1 = (i=0, j=1): rows 2-3, cols 0-1 -> patches 54, 55, 81, 82
    patches = [54, 55, 81, 82]
    assert torch.equal(out[0, 1], torch.cat([x[0, k] for k in patches]))
    # token 14 = (i=1, j=0): rows 0-1, cols 2-3 -> patches 2, 3, 29, 30
    assert torch.equal(out[0, 14], torch.cat([x[0, k] for k in (2, 3, 29, 30)]))


def test_state_dict_keys_match_vila_and_roundtrip(tmp_path) -> None:
    proj = MlpDownsampleProjector(8, 16)
    assert set(proj.state_dict()) == {
        "layers.1.weight",
        "layers.1.bias",
        "layers.2.weight",
        "layers.2.bias",
        "layers.4.weight",
        "layers.4.bias",
    }
    assert proj.layers[2].in_features == 32 and proj.layers[4].out_features == 16
    proj.save(tmp_path / "mm_projector")
    loaded = MlpDownsampleProjector.load(tmp_path / "mm_projector", 8, 16)
    x = torch.randn(1, 729, 8)
    assert torch.equal(loaded(x), proj(x))
    assert loaded(x).shape == (1, 196, 16)
    with pytest.raises(ValueError, match="vision width"):
        MlpDownsampleProjector.load(tmp_path / "mm_projector", 9, 16)
    with pytest.raises(ValueError, match="the LLM has"):
        MlpDownsampleProjector.load(tmp_path / "mm_projector", 8, 17)


def test_loads_pytorch_bin_with_prefixed_keys(tmp_path) -> None:
    proj = MlpDownsampleProjector(4, 6)
    (tmp_path / "p").mkdir()
    torch.save(
        {"mm_projector." + k: v for k, v in proj.state_dict().items()},
        tmp_path / "p" / "pytorch_model.bin",
    )
    loaded = MlpDownsampleProjector.load(tmp_path / "p")
    assert loaded.vision_hidden == 4 and loaded.llm_hidden == 6
    with pytest.raises(FileNotFoundError):
        MlpDownsampleProjector.load(tmp_path / "empty_missing")
