"""Policy runtime: a TorchScript or ONNX actor on the CPU, one thread, sizes checked at load.

NaVILA users hit a bare matrix-size crash when a policy and an observation layout disagree; here
the input and output sizes are checked when the file is loaded, and the error names both the
policy's size and the config's. rsl_rl / Isaac Lab export `policy.jit` (torch.jit.script of actor +
normaliser) and `policy.onnx` (input "obs", output "actions"); both load here.

`random_mlp` builds a randomly initialised network of the real size (legged-loco: 512-256-128,
ELU). It is what tests and benchmarks use UNTIL A TRAINED POLICY EXISTS; it never walks a robot.
"""

from __future__ import annotations

import itertools
import warnings
from pathlib import Path
from typing import Protocol

import numpy as np


class PolicySizeError(ValueError):
    """The policy file and the config disagree about the input or output size."""


class Policy(Protocol):
    num_inputs: int
    num_outputs: int
    path: str
    kind: str

    def __call__(self, obs: np.ndarray) -> np.ndarray: ...


def _size_error(path: str, what: str, policy_size: int | None, config_size: int) -> str:
    found = "an unknown number of" if policy_size is None else str(policy_size)
    return (
        f"policy {path} takes {found} {what} but the config (observation layout / "
        f"policy.num_{what}) says {config_size}: the observation terms, history length or "
        f"height-map preset do not match the policy this file was trained with"
    )


class TorchScriptPolicy:
    kind = "torchscript"

    def __init__(self, path: str, num_inputs: int, num_outputs: int) -> None:
        import torch

        torch.set_num_threads(1)  # deterministic latency; the loop runs one inference at a time
        self._torch = torch
        self.path = path
        with warnings.catch_warnings():  # torch >= 2.9 flags TorchScript as deprecated
            warnings.simplefilter("ignore", DeprecationWarning)
            self.module = torch.jit.load(path, map_location="cpu")
        self.module.eval()
        declared = None
        for p in self.module.parameters():  # the first weight matrix is the input layer
            if p.dim() == 2:
                declared = int(p.shape[1])
                break
        if declared is not None and declared != num_inputs:
            raise PolicySizeError(_size_error(path, "inputs", declared, num_inputs))
        try:
            with torch.inference_mode():
                out = self.module(torch.zeros(1, num_inputs))
        except RuntimeError as exc:
            raise PolicySizeError(_size_error(path, "inputs", declared, num_inputs)) from exc
        if out.shape[-1] != num_outputs:
            raise PolicySizeError(_size_error(path, "outputs", int(out.shape[-1]), num_outputs))
        self.num_inputs, self.num_outputs = num_inputs, num_outputs

    def __call__(self, obs: np.ndarray) -> np.ndarray:
        torch = self._torch
        with torch.inference_mode():
            x = torch.from_numpy(np.ascontiguousarray(obs, dtype=np.float32)).reshape(1, -1)
            return self.module(x).reshape(-1).numpy().astype(np.float64)


class OnnxPolicy:
    kind = "onnx"

    def __init__(self, path: str, num_inputs: int, num_outputs: int) -> None:
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1
        opts.inter_op_num_threads = 1
        self.path = path
        self.session = ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])
        inp = self.session.get_inputs()[0]
        outp = self.session.get_outputs()[0]
        self._input_name = inp.name
        declared_in = inp.shape[-1] if isinstance(inp.shape[-1], int) else None
        declared_out = outp.shape[-1] if isinstance(outp.shape[-1], int) else None
        if declared_in is not None and declared_in != num_inputs:
            raise PolicySizeError(_size_error(path, "inputs", declared_in, num_inputs))
        try:
            out = self.session.run(None, {inp.name: np.zeros((1, num_inputs), np.float32)})[0]
        except Exception as exc:  # onnxruntime raises its own exception types
            raise PolicySizeError(_size_error(path, "inputs", declared_in, num_inputs)) from exc
        if out.shape[-1] != num_outputs:
            raise PolicySizeError(
                _size_error(path, "outputs", declared_out or int(out.shape[-1]), num_outputs)
            )
        self.num_inputs, self.num_outputs = num_inputs, num_outputs

    def __call__(self, obs: np.ndarray) -> np.ndarray:
        x = np.ascontiguousarray(obs, dtype=np.float32).reshape(1, -1)
        return self.session.run(None, {self._input_name: x})[0].reshape(-1).astype(np.float64)


def load_policy(path: str | Path, num_inputs: int, num_outputs: int) -> Policy:
    """Load by extension: .onnx -> onnxruntime, anything else -> torch.jit.load (CPU)."""
    path = str(path)
    if not Path(path).is_file():
        raise FileNotFoundError(f"policy file not found: {path}")
    if path.endswith(".onnx"):
        return OnnxPolicy(path, num_inputs, num_outputs)
    return TorchScriptPolicy(path, num_inputs, num_outputs)


# --------------------------------------------------------------- test and benchmark networks
def random_mlp(
    num_inputs: int,
    num_outputs: int,
    hidden: tuple[int, ...] = (512, 256, 128),
    seed: int = 0,
):  # -> torch.nn.Module
    """A randomly initialised actor of legged-loco's size (NOT a trained policy)."""
    import torch

    gen = torch.Generator().manual_seed(seed)
    layers: list[torch.nn.Module] = []
    sizes = (num_inputs, *hidden)
    for a, b in itertools.pairwise(sizes):
        layers += [torch.nn.Linear(a, b), torch.nn.ELU()]
    layers.append(torch.nn.Linear(sizes[-1], num_outputs))
    model = torch.nn.Sequential(*layers)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=gen) * (0.5 / max(1, p.shape[-1]) ** 0.5))
    return model.eval()


def export_torchscript(model, path: str | Path) -> Path:
    import torch

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        scripted = torch.jit.script(model)
    scripted.save(str(path))
    return Path(path)


def export_onnx(model, path: str | Path, num_inputs: int) -> Path:
    """ONNX with rsl_rl's names (input "obs", output "actions")."""
    import torch

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model,
            (torch.zeros(1, num_inputs),),
            str(path),
            input_names=["obs"],
            output_names=["actions"],
            opset_version=17,
            dynamo=False,
        )
    return Path(path)
