"""Planner backends behind one interface (`navila_vla_node.types.PlannerBackend`)."""

from __future__ import annotations

from navila_vla_node.config import PlannerConfig
from navila_vla_node.types import PlannerBackend


def make_backend(cfg: PlannerConfig) -> PlannerBackend:
    """Build the configured backend. Heavy imports (torch, transformers) happen only here."""
    if cfg.backend == "direct":
        from navila_vla_node.backends.direct import DirectBackend

        return DirectBackend(cfg.direct_mode)
    if cfg.backend == "oracle":
        from navila_vla_node.backends.oracle import (
            OracleBackend,
            OracleConfig,
            load_reference_path,
            path_from_flat,
        )

        path = (
            load_reference_path(cfg.episode_file)
            if cfg.episode_file
            else path_from_flat(cfg.reference_path)
        )
        return OracleBackend(
            path, OracleConfig(goal_radius_m=cfg.goal_radius_m, lookahead_m=cfg.lookahead_m)
        )
    if cfg.backend == "openai":
        from navila_vla_node.backends.openai_chat import OpenAIChatBackend

        return OpenAIChatBackend(
            base_url=cfg.base_url,
            model=cfg.served_model or "gpt-4o",
            api_key_env=cfg.api_key_env,
            max_new_tokens=cfg.max_new_tokens,
            image_size=cfg.image_size,
            timeout_s=cfg.request_timeout_s,
            max_retries=cfg.max_retries,
            backoff_s=cfg.retry_backoff_s,
        )
    if cfg.backend == "vllm":
        from navila_vla_node.backends.vllm import VllmPromptEmbedsBackend

        return VllmPromptEmbedsBackend(
            cfg.model_path,
            base_url=cfg.base_url,
            served_model=cfg.served_model,
            api_key_env=cfg.api_key_env,
            device=cfg.device,
            dtype=cfg.dtype,
            max_new_tokens=cfg.max_new_tokens,
            timeout_s=cfg.request_timeout_s,
            max_retries=cfg.max_retries,
            backoff_s=cfg.retry_backoff_s,
            cache_size=cfg.embedding_cache_size,
            prompt_template=cfg.prompt_template,
        )
    if cfg.backend == "navila":
        from navila_vla_node.backends.navila import NavilaBackend

        return NavilaBackend(
            cfg.model_path,
            device=cfg.device,
            dtype=cfg.dtype,
            max_new_tokens=cfg.max_new_tokens,
            cache_size=cfg.embedding_cache_size,
            prompt_template=cfg.prompt_template,
        )
    raise ValueError(f"unknown backend {cfg.backend!r}")


__all__ = ["make_backend"]
