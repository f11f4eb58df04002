"""Planning-step latency of the NaVILA pipeline (vision, projector, prefill, decode), with and
without the per-frame embedding cache.

Two model sources, nothing downloaded:
- default: the tiny random-weight checkpoint in NaVILA's on-disk layout, loaded with the real
  loader (CPU is fine);
- --real-sizes: NaVILA-8B's architecture (Llama-3-8B + SigLIP-so400m/14@384 + mlp_downsample
  projector) with random weights built directly on the device (needs a GPU: ~17 GB in bf16).
  The tokenizer is the tiny one, so the prompt's text part tokenizes a little differently from
  Llama-3's; the 8 x 196 image tokens, which dominate the prefill, are exact.

An episode is simulated: at each step one new camera frame enters the history and becomes the
current one, NaVILA's sampling picks 8 frames, and a plan is decoded. With the cache, only new
frames go through the vision tower; without it all sampled frames do, every step.

Examples:
  .venv/bin/python benchmarks/bench_vla.py                       # tiny model, CPU
  .venv/bin/python benchmarks/bench_vla.py --device cuda --real-sizes --steps 20
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from navila_vla_node.checkpoint import ModelSizes, build_tiny_tokenizer, write_checkpoint
from navila_vla_node.frames import FrameHistory
from navila_vla_node.navila_model import NavilaModel, resolve_device_dtype
from navila_vla_node.projector import MlpDownsampleProjector
from navila_vla_node.types import Frame, Latency
from navila_vla_node.vision import truncate_vision_tower

REPO = Path(__file__).resolve().parents[1]
STAGES = ("preprocess", "vision", "projector", "prefill", "decode", "total")


def build_real_size_model(device: str, dtype: str, tmp: Path) -> NavilaModel:
    """NaVILA-8B sizes, random weights, built in place on the device (no 16 GB file on disk)."""
    from transformers import LlamaForCausalLM, SiglipVisionModel

    dev, dt = resolve_device_dtype(device, dtype)
    if dev.type == "cpu":
        raise SystemExit("--real-sizes needs a GPU (an fp32 8B model does not fit here); use cuda")
    sizes = ModelSizes.real()
    tok = build_tiny_tokenizer(tmp / "tok")
    eot = tok.convert_tokens_to_ids("<|eot_id|>")
    default = torch.get_default_dtype()
    torch.set_default_dtype(dt)
    try:
        with torch.device(dev):
            llm = LlamaForCausalLM(sizes.llama_config(sizes.vocab_size, tok.bos_token_id, eot))
            tower = SiglipVisionModel(sizes.siglip_config())
            projector = MlpDownsampleProjector(sizes.vision_hidden, sizes.llm_hidden)
    finally:
        torch.set_default_dtype(default)
    tower = truncate_vision_tower(tower, -2)
    return NavilaModel.from_parts(tok, tower, llm, projector, dev, dt)


def run_episode(
    model: NavilaModel, steps: int, use_cache: bool, new_tokens: int, seed: int
) -> list[Latency]:
    rng = np.random.default_rng(seed)
    history = FrameHistory(interval_s=0.0)
    model.encoder.cache.clear()
    model.stop_ids = set()  # decode exactly `new_tokens` tokens: comparable decode timings
    tp = model.tokenized_prompt("Walk past the sofa and stop at the kitchen door.")
    fid = 10_000 if use_cache else 20_000
    out: list[Latency] = []
    for _ in range(steps):
        fid += 1
        history.observe(Frame(fid, 0.0, rng.integers(0, 255, (480, 640, 3), dtype=np.uint8)), 0.0)
        frames = history.sample(model.num_frames)
        t0 = time.perf_counter()
        images, enc = model.encode_frames(frames, use_cache=use_cache)
        emb = model.build_inputs_embeds(tp, images)
        _, gen = model.generate(emb, max_new_tokens=new_tokens)
        total = time.perf_counter() - t0
        out.append(
            Latency(
                preprocess=enc.preprocess,
                vision=enc.vision,
                projector=enc.projector,
                prefill=gen.prefill,
                decode=gen.decode,
                total=total,
                frames_encoded=enc.encoded,
                frames_cached=enc.cached,
                prompt_tokens=gen.prompt_tokens,
                new_tokens=gen.new_tokens,
            )
        )
    return out


def summarize(lats: list[Latency], warmup: int) -> dict:
    use = lats[warmup:] or lats
    res = {}
    for s in STAGES:
        vals = [getattr(x, s) * 1000.0 for x in use]
        res[s + "_ms"] = {
            "median": statistics.median(vals),
            "mean": statistics.fmean(vals),
            "min": min(vals),
            "max": max(vals),
        }
    res["frames_encoded_mean"] = statistics.fmean(x.frames_encoded for x in use)
    res["prompt_tokens"] = use[-1].prompt_tokens
    res["new_tokens"] = use[-1].new_tokens
    res["decode_ms_per_token"] = statistics.median(
        x.decode * 1000.0 / max(1, x.new_tokens - 1) for x in use
    )
    res["steps_measured"] = len(use)
    return res


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--dtype", default="auto")
    ap.add_argument("--real-sizes", action="store_true", help="NaVILA-8B sizes (GPU only)")
    ap.add_argument("--steps", type=int, default=12, help="planning steps per episode")
    ap.add_argument("--warmup", type=int, default=2, help="first steps left out of the figures")
    ap.add_argument(
        "--new-tokens",
        type=int,
        default=12,
        help="decoded tokens per step (NaVILA's "
        "answers are ~12 tokens: 'The next action is move forward 75 cm.'; max 32)",
    )
    ap.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: default)")
    ap.add_argument("--out", default=str(REPO / "results" / "bench_vla.json"))
    args = ap.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        t0 = time.perf_counter()
        if args.real_sizes:
            model = build_real_size_model(args.device, args.dtype, tmp)
        else:
            model = NavilaModel(
                write_checkpoint(tmp / "ckpt"), device=args.device, dtype=args.dtype
            )
        build_s = time.perf_counter() - t0
        results = {}
        for use_cache in (True, False):
            lats = run_episode(model, args.steps, use_cache, args.new_tokens, seed=1)
            results["cache" if use_cache else "no_cache"] = summarize(lats, args.warmup)
    report = {
        "model": "navila-8b sizes, random weights" if args.real_sizes else "tiny random checkpoint",
        "device": str(model.device),
        "device_name": torch.cuda.get_device_name(model.device)
        if model.device.type == "cuda"
        else platform.processor() or platform.machine(),
        "dtype": str(model.dtype),
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "build_s": build_s,
        "args": vars(args),
        "results": results,
    }
    print(
        f"NaVILA planning step: {report['model']} on {report['device']} ({report['dtype']}), "
        f"{args.steps} steps ({args.warmup} warm-up), {args.new_tokens} new tokens"
    )
    header = f"{'':10s}" + "".join(f"{s:>12s}" for s in STAGES) + f"{'enc/step':>10s}"
    print(header + "   (median ms)")
    for name, r in results.items():
        row = f"{name:10s}" + "".join(f"{r[s + '_ms']['median']:12.1f}" for s in STAGES)
        print(row + f"{r['frames_encoded_mean']:10.2f}")
    r = results["cache"]
    print(
        f"prompt {r['prompt_tokens']} tokens; decode {r['decode_ms_per_token']:.2f} ms/token; "
        f"cached step {1000.0 / max(1e-9, r['total_ms']['median']):.1f} Hz"
    )
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2))
    print(f"saved {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
