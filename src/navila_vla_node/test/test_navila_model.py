"""The real loader on a tiny NaVILA-layout checkpoint: a full planning step on CPU, and each stage
checked against stock transformers (vision layer -2, SigLIP preprocessing, greedy generate)."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import torch

from navila_vla_node.backends.navila import NavilaBackend
from navila_vla_node.checkpoint import read_checkpoint
from navila_vla_node.frames import sample_frames
from navila_vla_node.navila_model import resolve_device_dtype
from navila_vla_node.prompt import IMAGE_TOKEN_INDEX
from navila_vla_node.types import Frame, PlanRequest
from navila_vla_node.vision import ImageSpec, preprocess

RNG = np.random.default_rng(0)


def frames(n: int, start: int = 1, shape=(60, 80)) -> list[Frame]:
    return [
        Frame(start + k, 0.5 * k, RNG.integers(0, 255, (*shape, 3), dtype=np.uint8))
        for k in range(n)
    ]


def test_layout_is_navilas(tiny_checkpoint) -> None:
    cfg = json.loads((tiny_checkpoint / "config.json").read_text())
    assert cfg["architectures"] == ["LlavaLlamaModel"] and cfg["model_type"] == "llava_llama"
    assert {"llm_cfg", "vision_tower_cfg", "mm_projector_cfg"} <= set(cfg)
    for sub in ("llm", "vision_tower", "mm_projector"):
        assert (tiny_checkpoint / sub / "config.json").is_file()
    assert (tiny_checkpoint / "llm" / "tokenizer.json").is_file()
    assert (tiny_checkpoint / "vision_tower" / "preprocessor_config.json").is_file()
    assert json.loads((tiny_checkpoint / "llm" / "config.json").read_text())["architectures"] == [
        "LlamaForCausalLM"
    ]
    info = read_checkpoint(tiny_checkpoint)
    assert info.select_layer == -2 and info.num_video_frames == 8


def test_full_planning_step_on_cpu(tiny_checkpoint) -> None:
    backend = NavilaBackend(str(tiny_checkpoint), device="cpu")
    req = PlanRequest("walk to the kitchen", tuple(sample_frames(frames(3))), 1, 1)
    r1 = backend.plan(req)
    assert r1.ok and r1.backend == "navila" and isinstance(r1.text, str)
    lat = r1.latency
    assert (
        lat.prompt_tokens
        == len(backend.model.tokenized_prompt(req.instruction).input_ids) - 8 + 8 * 196
    )
    assert 1 <= lat.new_tokens <= 32 or r1.finish_reason == "stop"
    # 3 real frames + the black pad: 5 pad slots share one vision pass
    assert lat.frames_encoded == 4 and lat.frames_cached == 0
    assert r1.finish_reason in ("stop", "length")
    r2 = backend.plan(req)  # same frames: everything from the cache, same greedy answer
    assert r2.latency.frames_encoded == 0 and r2.latency.frames_cached == 8
    assert r2.text == r1.text


def test_vision_is_layer_minus_2_of_the_stock_tower(tiny_checkpoint, tiny_model) -> None:
    from transformers import SiglipVisionModel

    full = SiglipVisionModel.from_pretrained(str(tiny_checkpoint / "vision_tower")).eval()
    pixels = preprocess([f.rgb for f in frames(2)], tiny_model.encoder.spec)
    with torch.inference_mode():
        ref = full(pixel_values=pixels, output_hidden_states=True).hidden_states[-2]
        ours = tiny_model.encoder.tower.embeddings(pixels)
        from navila_vla_node.vision import vision_features

        ours = vision_features(tiny_model.encoder.tower, pixels)
    assert ours.shape == (2, 729, 32)
    torch.testing.assert_close(ours, ref)


def test_preprocessing_matches_siglip_image_processor() -> None:
    transformers = pytest.importorskip("transformers")
    proc_cls = (
        getattr(transformers, "SiglipImageProcessorPil", None) or transformers.SiglipImageProcessor
    )
    proc = proc_cls(size={"height": 384, "width": 384})
    rgb = RNG.integers(0, 255, (120, 200, 3), dtype=np.uint8)
    ref = proc(images=[rgb], return_tensors="pt")["pixel_values"]
    ours = preprocess([rgb], ImageSpec())
    assert ours.shape == (1, 3, 384, 384)
    torch.testing.assert_close(ours, ref, atol=1e-5, rtol=0)


def test_embedding_cache_equals_no_cache_and_splicing(tiny_model) -> None:
    fr = sample_frames(frames(10, start=100))
    cached, _ = tiny_model.encode_frames(fr, use_cache=True)
    fresh, t2 = tiny_model.encode_frames(fr, use_cache=False)
    assert t2.encoded == 8 and t2.cached == 0
    for a, b in zip(cached, fresh, strict=True):
        torch.testing.assert_close(a, b)
    tp = tiny_model.tokenized_prompt("go")
    emb = tiny_model.build_inputs_embeds(tp, cached)
    assert emb.shape == (tp.length_with_images(196), 64)
    # each image slot k is replaced, in order, by frame k's 196 embeddings
    offset = 0
    for k, pos in enumerate(tp.image_positions):
        start = pos + offset
        torch.testing.assert_close(emb[start : start + 196], cached[k])
        offset += 195
    first_text = tiny_model.embed(torch.tensor(tp.input_ids[:1]))
    torch.testing.assert_close(emb[:1], first_text)
    assert IMAGE_TOKEN_INDEX not in tp.input_ids[: tp.image_positions[0]]


def test_greedy_loop_equals_transformers_generate(tiny_model) -> None:
    tp = tiny_model.tokenized_prompt("turn around")
    images, _ = tiny_model.encode_frames(sample_frames(frames(2, start=500)))
    emb = tiny_model.build_inputs_embeds(tp, images)
    text, timing = tiny_model.generate(emb, max_new_tokens=8)
    with torch.inference_mode():
        ref = tiny_model.llm.generate(
            inputs_embeds=emb.unsqueeze(0),
            attention_mask=torch.ones(1, emb.shape[0], dtype=torch.long),
            max_new_tokens=8,
            do_sample=False,
            eos_token_id=sorted(tiny_model.stop_ids),
            pad_token_id=tiny_model.tokenizer.pad_token_id,
        )
    ref_ids = [t for t in ref[0].tolist() if t not in tiny_model.stop_ids]
    ref_text = tiny_model.tokenizer.decode(ref_ids, skip_special_tokens=True).strip()
    assert text == ref_text
    assert timing.new_tokens == len(ref_ids) and timing.prefill > 0


def test_bad_checkpoints_fail_clearly(tmp_path, tiny_checkpoint) -> None:
    with pytest.raises(FileNotFoundError, match=r"config\.json"):
        read_checkpoint(tmp_path)
    bad = tmp_path / "bad"
    shutil.copytree(tiny_checkpoint, bad)
    cfg = json.loads((bad / "config.json").read_text())
    cfg["architectures"], cfg["model_type"] = ["LlamaForCausalLM"], "llama"
    (bad / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(ValueError, match="not a NaVILA"):
        read_checkpoint(bad)
    cfg["architectures"], cfg["model_type"] = ["LlavaLlamaModel"], "llava_llama"
    cfg["image_aspect_ratio"] = "pad"
    (bad / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(ValueError, match="image_aspect_ratio"):
        read_checkpoint(bad)


def test_device_dtype_policy() -> None:
    assert resolve_device_dtype("cpu", "auto") == (torch.device("cpu"), torch.float32)
    with pytest.raises(ValueError):
        resolve_device_dtype("cpu", "bfloat16")
    if not torch.cuda.is_available():
        with pytest.raises(RuntimeError, match="no CUDA"):
            resolve_device_dtype("cuda", "auto")
