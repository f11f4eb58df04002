"""NaVILA/VILA checkpoint layout: read it with stock transformers classes, or write one.

On disk (as `a8cheng/navila-llama3-8b-8f` ships it): `config.json` (architectures contains
"LlavaLlamaModel", model_type "llava_llama", sub-configs `llm_cfg`, `vision_tower_cfg`,
`mm_projector_cfg`) and the folders `llm/` (a Llama causal LM + its tokenizer), `vision_tower/`
(SigLIP + `preprocessor_config.json`) and `mm_projector/` (our `MlpDownsampleProjector`).

`write_checkpoint` builds the same layout from configs with random weights: the tests use a tiny
one, the benchmark the real sizes (8B Llama-3, SigLIP-so400m) without downloading anything.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

ARCHITECTURE = "LlavaLlamaModel"
MODEL_TYPE = "llava_llama"


@dataclass(frozen=True)
class CheckpointInfo:
    """What the top-level config says, with the three sub-folders resolved."""

    root: Path
    llm_dir: Path
    vision_dir: Path
    projector_dir: Path
    select_layer: int = -2
    select_feature: str = "cls_patch"
    image_aspect_ratio: str = "resize"
    num_video_frames: int = 8
    raw: dict = field(default_factory=dict, repr=False)


def _subdir(root: Path, cfg: dict, key: str, default: str) -> Path:
    sub = cfg.get(key)
    name = (
        sub.get("_name_or_path") if isinstance(sub, dict) else sub if isinstance(sub, str) else None
    )
    for cand in (name, default):
        if cand and (root / cand).is_dir():
            return root / cand
    raise FileNotFoundError(f"{root}: no {default}/ folder for {key}")


def read_checkpoint(path: str | Path) -> CheckpointInfo:
    """Check the folder is a NaVILA (llava_llama) checkpoint and locate its parts."""
    root = Path(path).expanduser()
    cfg_file = root / "config.json"
    if not cfg_file.is_file():
        raise FileNotFoundError(f"{root}: no config.json (is this a NaVILA checkpoint folder?)")
    cfg = json.loads(cfg_file.read_text())
    archs = cfg.get("architectures") or []
    if ARCHITECTURE not in archs and cfg.get("model_type") != MODEL_TYPE:
        raise ValueError(
            f"{root}: architectures {archs} / model_type {cfg.get('model_type')!r} is not a "
            f"NaVILA/VILA checkpoint ({ARCHITECTURE}, {MODEL_TYPE})"
        )
    feature = cfg.get("mm_vision_select_feature", "cls_patch")
    if feature not in ("cls_patch", "patch"):
        raise ValueError(f"unsupported mm_vision_select_feature {feature!r}")
    aspect = cfg.get("image_aspect_ratio", "resize")
    if aspect != "resize":
        raise ValueError(f"unsupported image_aspect_ratio {aspect!r} (NaVILA uses 'resize')")
    ptype = (cfg.get("mm_projector_cfg") or {}).get("mm_projector_type", "mlp_downsample")
    if isinstance(cfg.get("mm_projector_cfg"), dict) and ptype != "mlp_downsample":
        raise ValueError(f"unsupported projector {ptype!r} (NaVILA uses mlp_downsample)")
    return CheckpointInfo(
        root=root,
        llm_dir=_subdir(root, cfg, "llm_cfg", "llm"),
        vision_dir=_subdir(root, cfg, "vision_tower_cfg", "vision_tower"),
        projector_dir=_subdir(root, cfg, "mm_projector_cfg", "mm_projector"),
        select_layer=int(cfg.get("mm_vision_select_layer", -2)),
        select_feature=feature,
        image_aspect_ratio=aspect,
        num_video_frames=int(cfg.get("num_video_frames", 8)),
        raw=cfg,
    )


# ---------------------------------------------------------------------------- writing
LLAMA3_CHAT_TEMPLATE = (
    "{% set loop_messages = messages %}{% for message in loop_messages %}"
    "{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'"
    " + message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}"
    "{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}"
    "{% endif %}"
)
"""The official Meta-Llama-3(-Instruct) chat template (public), for the tiny tokenizer."""

SPECIAL_TOKENS = [
    "<|begin_of_text|>",
    "<|end_of_text|>",
    "<|start_header_id|>",
    "<|end_header_id|>",
    "<|eot_id|>",
]

TRAIN_TEXT = [
    "Imagine you are a robot programmed for navigation tasks.",
    "You have been given a video of historical observations, and current observation.",
    "Your assigned task is: walk past the sofa and stop at the kitchen door.",
    "Analyze this series of images to decide your next action, which could be turning left or "
    "right by a specific degree, moving forward a certain distance, or stop if the task is done.",
    "The next action is move forward 75 cm. The next action is turn left 30 degrees.",
    "The next action is turn right 15 degrees. The next action is stop.",
    "You are a helpful language and vision assistant. You are able to understand the visual "
    "content that the user provides, and assist the user with a variety of tasks using natural "
    "language.",
    "system user assistant",
]


def build_tiny_tokenizer(folder: str | Path, chat_template: bool = True) -> Any:
    """A small byte-level BPE tokenizer with Llama-3's special tokens and BOS post-processor.

    Trained offline on a few sentences (any text still encodes: byte-level alphabet), saved with
    `save_pretrained` so `AutoTokenizer.from_pretrained(folder)` loads it like a real `llm/`.
    """
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=400,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(TRAIN_TEXT, trainer=trainer)
    bos = tok.token_to_id("<|begin_of_text|>")
    tok.post_processor = processors.TemplateProcessing(
        single="<|begin_of_text|> $A",
        pair="<|begin_of_text|> $A <|begin_of_text|> $B",
        special_tokens=[("<|begin_of_text|>", bos)],
    )
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token="<|begin_of_text|>",
        eos_token="<|eot_id|>",
        pad_token="<|end_of_text|>",
    )
    if chat_template:
        fast.chat_template = LLAMA3_CHAT_TEMPLATE
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    fast.save_pretrained(str(folder))
    return fast


@dataclass(frozen=True)
class ModelSizes:
    """Widths/depths of the three parts. `real()` is NaVILA-8B: Llama-3-8B + SigLIP-so400m."""

    llm_hidden: int = 64
    llm_layers: int = 2
    llm_heads: int = 4
    llm_kv_heads: int = 2
    llm_intermediate: int = 128
    vocab_size: int | None = None  # None: the tokenizer's size
    vision_hidden: int = 32
    vision_layers: int = 3
    vision_heads: int = 2
    vision_intermediate: int = 64
    image_size: int = 384
    patch_size: int = 14

    @classmethod
    def real(cls) -> ModelSizes:
        return cls(
            llm_hidden=4096,
            llm_layers=32,
            llm_heads=32,
            llm_kv_heads=8,
            llm_intermediate=14336,
            vocab_size=128256,
            vision_hidden=1152,
            vision_layers=27,
            vision_heads=16,
            vision_intermediate=4304,
        )

    def llama_config(self, vocab: int, bos: int, eos: int) -> Any:
        from transformers import LlamaConfig

        return LlamaConfig(
            vocab_size=vocab,
            hidden_size=self.llm_hidden,
            intermediate_size=self.llm_intermediate,
            num_hidden_layers=self.llm_layers,
            num_attention_heads=self.llm_heads,
            num_key_value_heads=self.llm_kv_heads,
            max_position_embeddings=8192,
            rope_theta=500000.0,
            rms_norm_eps=1e-5,
            bos_token_id=bos,
            eos_token_id=eos,
            tie_word_embeddings=False,
        )

    def siglip_config(self) -> Any:
        from transformers import SiglipVisionConfig

        return SiglipVisionConfig(
            hidden_size=self.vision_hidden,
            intermediate_size=self.vision_intermediate,
            num_hidden_layers=self.vision_layers,
            num_attention_heads=self.vision_heads,
            image_size=self.image_size,
            patch_size=self.patch_size,
        )


def write_checkpoint(
    folder: str | Path,
    sizes: ModelSizes | None = None,
    seed: int = 0,
    chat_template: bool = True,
    dtype: torch.dtype = torch.float32,
) -> Path:
    """Write a random-weight checkpoint in NaVILA's exact layout (stock classes + our projector)."""
    from transformers import LlamaForCausalLM, SiglipVisionModel
    from transformers.utils import logging as hf_logging

    from navila_vla_node.projector import MlpDownsampleProjector

    hf_logging.disable_progress_bar()
    sizes = sizes or ModelSizes()
    root = Path(folder)
    root.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(seed)
    tok = build_tiny_tokenizer(root / "llm", chat_template=chat_template)
    vocab = sizes.vocab_size or len(tok)
    eot = tok.convert_tokens_to_ids("<|eot_id|>")
    llm_cfg = sizes.llama_config(vocab, tok.bos_token_id, eot)
    llm = LlamaForCausalLM(llm_cfg).to(dtype)
    llm.save_pretrained(str(root / "llm"))
    vis_cfg = sizes.siglip_config()
    tower = SiglipVisionModel(vis_cfg).to(dtype)
    tower.save_pretrained(str(root / "vision_tower"))
    (root / "vision_tower" / "preprocessor_config.json").write_text(
        json.dumps(
            {
                "image_processor_type": "SiglipImageProcessor",
                "do_resize": True,
                "size": {"height": sizes.image_size, "width": sizes.image_size},
                "resample": 3,
                "do_rescale": True,
                "rescale_factor": 1 / 255,
                "do_normalize": True,
                "image_mean": [0.5, 0.5, 0.5],
                "image_std": [0.5, 0.5, 0.5],
            },
            indent=2,
        )
    )
    proj = MlpDownsampleProjector(sizes.vision_hidden, sizes.llm_hidden).to(dtype)
    proj.save(root / "mm_projector")
    top = {
        "architectures": [ARCHITECTURE],
        "model_type": MODEL_TYPE,
        "llm_cfg": {"_name_or_path": "llm", "architectures": ["LlamaForCausalLM"]},
        "vision_tower_cfg": {
            "_name_or_path": "vision_tower",
            "architectures": ["SiglipVisionModel"],
        },
        "mm_projector_cfg": {
            "_name_or_path": "mm_projector",
            "architectures": ["MultimodalProjector"],
            "mm_projector_type": "mlp_downsample",
            "model_type": "v2l_projector",
        },
        "hidden_size": sizes.llm_hidden,
        "mm_hidden_size": sizes.vision_hidden,
        "mm_vision_select_layer": -2,
        "mm_vision_select_feature": "cls_patch",
        "image_aspect_ratio": "resize",
        "num_video_frames": 8,
    }
    (root / "config.json").write_text(json.dumps(top, indent=2))
    return root
