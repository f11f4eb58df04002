"""NaVILA-8B's real architecture sizes, built on the meta device (no memory, no weights): the
pipeline's shapes end to end — 8 frames x 196 tokens of width 4096 into Llama-3-8B."""

from __future__ import annotations

import torch

from navila_vla_node.checkpoint import ModelSizes
from navila_vla_node.projector import MlpDownsampleProjector
from navila_vla_node.vision import truncate_vision_tower, vision_features


def test_real_size_shapes_on_meta_device() -> None:
    from transformers import LlamaForCausalLM, SiglipVisionModel

    s = ModelSizes.real()
    meta = torch.device("meta")
    default = torch.get_default_dtype()
    torch.set_default_dtype(torch.bfloat16)  # as on a GPU
    try:
        with meta:
            llm = LlamaForCausalLM(s.llama_config(s.vocab_size, 128000, 128009))
            tower = SiglipVisionModel(s.siglip_config())
            proj = MlpDownsampleProjector(s.vision_hidden, s.llm_hidden)
    finally:
        torch.set_default_dtype(default)
    n_llm = sum(p.numel() for p in llm.parameters())
    assert 8.0e9 < n_llm < 8.1e9  # Llama-3-8B
    assert sum(p.numel() for p in proj.parameters()) == (
        2 * 4608 + 4608 * 4096 + 4096 + 4096 * 4096 + 4096
    )
    tower = truncate_vision_tower(tower, -2)
    assert (
        len(
            tower.encoder.layers if hasattr(tower, "encoder") else tower.vision_model.encoder.layers
        )
        == 26
    )
    pixels = torch.empty(8, 3, 384, 384, device=meta, dtype=torch.bfloat16)
    feats = vision_features(tower, pixels)
    assert feats.shape == (8, 729, 1152)
    emb = proj(feats)
    assert emb.shape == (8, 196, 4096)
    embeds = torch.empty(1, 8 * 196 + 100, 4096, device=meta, dtype=torch.bfloat16)
    out = llm(inputs_embeds=embeds, use_cache=True, logits_to_keep=1)
    assert out.logits.shape == (1, 1, 128256)
