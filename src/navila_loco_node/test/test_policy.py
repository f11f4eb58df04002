"""Policy runtime: TorchScript and ONNX load on CPU and agree; sizes are checked at load.

The network is a RANDOMLY INITIALISED MLP of the real size (909-512-256-128-12, ELU); no trained
policy exists yet (navila_loco_train).
"""

from __future__ import annotations

import numpy as np
import pytest

from navila_loco_node.policy import PolicySizeError, load_policy


def test_both_formats_load_and_agree(go2_policy_files) -> None:
    ts = load_policy(go2_policy_files["jit"], 909, 12)
    ox = load_policy(go2_policy_files["onnx"], 909, 12)
    assert (ts.kind, ox.kind) == ("torchscript", "onnx")
    obs = np.random.default_rng(0).normal(size=909).astype(np.float32)
    a, b = ts(obs), ox(obs)
    assert a.shape == (12,) and np.all(np.isfinite(a)) and np.any(a != 0)
    np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("fmt", ["jit", "onnx"])
def test_input_size_mismatch_names_both_sizes(go2_policy_files, fmt: str) -> None:
    with pytest.raises(PolicySizeError) as err:
        load_policy(go2_policy_files[fmt], 450, 12)  # e.g. a blind layout against a vision policy
    assert "909" in str(err.value) and "450" in str(err.value)


@pytest.mark.parametrize("fmt", ["jit", "onnx"])
def test_output_size_mismatch(go2_policy_files, fmt: str) -> None:
    with pytest.raises(PolicySizeError, match="19"):
        load_policy(go2_policy_files[fmt], 909, 19)


def test_missing_file(tmp_path) -> None:
    with pytest.raises(FileNotFoundError):
        load_policy(tmp_path / "nope.jit", 909, 12)
