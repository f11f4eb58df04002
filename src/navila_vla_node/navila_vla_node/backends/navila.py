"""NaVILA checkpoint backend: everything local with stock transformers (GPU or CPU)."""

from __future__ import annotations

import time

from navila_vla_node.frames import NUM_FRAMES
from navila_vla_node.types import Latency, PlanRequest, PlanResult


class NavilaBackend:
    """Loads the checkpoint once; each `plan` is one NaVILA forward pass + greedy decode."""

    needs_images = True

    def __init__(
        self,
        model_path: str,
        device: str = "auto",
        dtype: str = "auto",
        max_new_tokens: int = 32,
        cache_size: int = 64,
        prompt_template: str = "auto",
        use_cache: bool = True,
    ) -> None:
        from navila_vla_node.navila_model import NavilaModel

        self.name = "navila"
        self.use_cache = use_cache
        self.model = NavilaModel(
            model_path,
            device=device,
            dtype=dtype,
            load_llm=True,
            cache_size=cache_size,
            prompt_template=prompt_template,
            max_new_tokens=max_new_tokens,
        )
        self.num_frames = self.model.num_frames or NUM_FRAMES

    def plan(self, request: PlanRequest) -> PlanResult:
        t0 = time.perf_counter()
        tp = self.model.tokenized_prompt(request.instruction)
        images, enc = self.model.encode_frames(request.frames, use_cache=self.use_cache)
        embeds = self.model.build_inputs_embeds(tp, images)
        text, gen = self.model.generate(embeds)
        lat = Latency(
            preprocess=enc.preprocess,
            vision=enc.vision,
            projector=enc.projector,
            prefill=gen.prefill,
            decode=gen.decode,
            total=time.perf_counter() - t0,
            frames_encoded=enc.encoded,
            frames_cached=enc.cached,
            prompt_tokens=gen.prompt_tokens,
            new_tokens=gen.new_tokens,
        )
        return PlanResult(text, True, None, lat, gen.finish_reason, self.name)

    def reset(self) -> None:
        self.model.reset()

    def close(self) -> None:
        self.model.close()
