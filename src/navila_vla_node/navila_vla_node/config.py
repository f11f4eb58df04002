"""The planner's configuration: one dataclass, one description per field (ROS parameter docs).

The node declares every field as a ROS parameter (nested names with dots, e.g. `navila.model_path`)
from these defaults and descriptions, so config/<robot>.yaml, the node and the tests share one list.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

BACKENDS = ("navila", "vllm", "openai", "direct", "oracle")


@dataclass
class PlannerConfig:
    backend: str = "direct"
    frame_interval_s: float = 0.5
    max_history_frames: int = 2400
    replan_mode: str = "action_done"  # action_done | rate
    replan_rate_hz: float = 1.0
    plan_timeout_s: float = 30.0
    max_consecutive_failures: int = 3
    status_rate_hz: float = 2.0
    image_stale_s: float = 0.0  # 0: never; else an image older than this is "no image"
    # NaVILA checkpoint / vLLM (local vision side)
    model_path: str = ""
    device: str = "auto"
    dtype: str = "auto"
    max_new_tokens: int = 32
    embedding_cache_size: int = 64
    prompt_template: str = "auto"
    # vLLM / OpenAI-compatible servers
    base_url: str = "http://127.0.0.1:8000/v1"
    served_model: str = ""
    api_key_env: str = "OPENAI_API_KEY"
    request_timeout_s: float = 20.0
    max_retries: int = 2
    retry_backoff_s: float = 0.5
    image_size: int = 0
    # direct
    direct_mode: str = "stepwise"
    # oracle
    reference_path: list[float] = field(default_factory=list)
    episode_file: str = ""
    goal_radius_m: float = 0.3
    lookahead_m: float = 0.5

    def __post_init__(self) -> None:
        if self.backend not in BACKENDS:
            raise ValueError(f"backend {self.backend!r} is not one of {BACKENDS}")
        if self.replan_mode not in ("action_done", "rate"):
            raise ValueError("replan_mode must be 'action_done' or 'rate'")
        for name in ("frame_interval_s", "plan_timeout_s", "status_rate_hz", "request_timeout_s"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be > 0")
        if self.replan_mode == "rate" and not self.replan_rate_hz > 0:
            raise ValueError("replan_rate_hz must be > 0 in rate mode")
        if self.max_new_tokens < 1 or self.max_consecutive_failures < 1 or self.max_retries < 0:
            raise ValueError("max_new_tokens, max_consecutive_failures >= 1 and max_retries >= 0")
        if self.backend in ("navila", "vllm") and not self.model_path:
            raise ValueError(
                f"backend {self.backend!r} needs model_path (a NaVILA checkpoint folder)"
            )
        if self.backend == "oracle" and not (self.reference_path or self.episode_file):
            raise ValueError("backend 'oracle' needs reference_path or episode_file")

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> PlannerConfig:
        known = {f.name for f in fields(cls)}
        unknown = set(params) - known
        if unknown:
            raise ValueError(f"unknown planner parameters {sorted(unknown)}")
        return cls(**params)


DESCRIPTIONS: dict[str, str] = {
    "backend": "planner backend: navila (local checkpoint), vllm (prompt embeds), openai "
    "(chat with images), direct (instruction is actions), oracle (sim ground truth)",
    "frame_interval_s": "a camera frame enters the history every this many seconds (NaVILA: 0.5)",
    "max_history_frames": "history bound; beyond it every second frame is dropped (first kept)",
    "replan_mode": "action_done: plan when the executor finishes an action; rate: fixed rate",
    "replan_rate_hz": "planning rate in 'rate' mode",
    "plan_timeout_s": "a planning step longer than this publishes stop (reason: timeout)",
    "max_consecutive_failures": "refused plans in a row before the planner gives up (stop)",
    "status_rate_hz": "rate of the JSON status on the status topic",
    "image_stale_s": "an image older than this counts as missing (0 disables the check)",
    "model_path": "NaVILA checkpoint folder (config.json, llm/, vision_tower/, mm_projector/)",
    "device": "torch device for the model: auto, cpu, cuda, cuda:N",
    "dtype": "auto (fp32 on CPU, bf16 on GPU), float32, bfloat16, float16",
    "max_new_tokens": "greedy decoding limit (NaVILA: 32)",
    "embedding_cache_size": "frames whose vision embeddings are kept (0 disables the cache)",
    "prompt_template": "auto (tokenizer's chat template if any), navila (hand-written), tokenizer",
    "base_url": "OpenAI-compatible server base URL (vLLM: http://host:8000/v1)",
    "served_model": "model name on the server (vLLM default: the llm/ path it was started with)",
    "api_key_env": "environment variable holding the API key (never logged)",
    "request_timeout_s": "HTTP timeout per attempt",
    "max_retries": "HTTP retries on timeouts, connection errors, 408/429/5xx",
    "retry_backoff_s": "first retry pause (doubles each retry)",
    "image_size": "openai backend: resize frames to this square size before sending (0: as is)",
    "direct_mode": "direct backend: stepwise (one action per step) or whole (all at once)",
    "reference_path": "oracle backend: reference path as flat [x0, y0, x1, y1, ...] in odom frame",
    "episode_file": "oracle backend: JSON/YAML file with reference_path [[x, y(, z)], ...]",
    "goal_radius_m": "oracle backend: stop within this distance of the path's end",
    "lookahead_m": "oracle backend: follow the path point this far ahead",
}
