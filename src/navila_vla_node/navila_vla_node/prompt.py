"""NaVILA's prompt, exactly: the question text, the Llama-3 conversation, and image-slot tokenizing.

The user turn (N = 8 frames) is NaVILA's, verbatim: "... a video of historical observations
<image>\\n<image>\\n...(N-1 times), and current observation <image>\\n. Your assigned task is:
\\"{instruction}\\" Analyze ...". It is wrapped in VILA's `llama_3` conversation (system text "You
are a helpful language and vision assistant. ...") which renders the same string as the official
Llama-3 chat template. Tokenizing follows VILA's `tokenizer_image_token`: split at "<image>",
tokenize each chunk with the tokenizer's defaults, keep one leading BOS, and put an image slot
(`IMAGE_TOKEN_INDEX`, later replaced by that frame's 196 embeddings) between the chunks.

No torch, no rclpy: the tokenizer is any object with `__call__(text).input_ids` and `bos_token_id`
(a transformers tokenizer), so the OpenAI/vLLM backends reuse the same text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

IMAGE_TOKEN = "<image>"
IMAGE_TOKEN_INDEX = -200  # VILA's placeholder id for an image slot in input_ids
BOS = "<|begin_of_text|>"
EOT = "<|eot_id|>"
END_OF_TEXT = "<|end_of_text|>"

SYSTEM_TEXT = (
    "You are a helpful language and vision assistant. "
    "You are able to understand the visual content that the user provides, "
    "and assist the user with a variety of tasks using natural language."
)


def build_question(instruction: str, num_frames: int = 8) -> str:
    """NaVILA's user message with `num_frames` image markers (N-1 history, then the current)."""
    if num_frames < 2:
        raise ValueError("num_frames must be >= 2")
    history = (IMAGE_TOKEN + "\n") * (num_frames - 1)
    return (
        "Imagine you are a robot programmed for navigation tasks. You have been given a video "
        f"of historical observations {history}, and current observation {IMAGE_TOKEN}\n. "
        f'Your assigned task is: "{instruction}" '
        "Analyze this series of images to decide your next action, which could be turning left or "
        "right by a specific degree, moving forward a certain distance, or stop if the task is "
        "completed."
    )


def render_llama3(question: str, system: str = SYSTEM_TEXT) -> str:
    """VILA's `llama_3` conversation (system, one user turn, open assistant turn) as text."""
    return (
        f"{BOS}<|start_header_id|>system<|end_header_id|>\n\n{system}{EOT}"
        f"<|start_header_id|>user<|end_header_id|>\n\n{question}{EOT}"
        "<|start_header_id|>assistant<|end_header_id|>\n\n"
    )


def render_prompt(
    question: str, tokenizer: Any | None = None, template: str = "auto", system: str = SYSTEM_TEXT
) -> str:
    """The full prompt text.

    template: "navila" = the hand-written VILA llama_3 conversation; "tokenizer" = the tokenizer's
    own chat template (error when it has none); "auto" = the tokenizer's template when it has one,
    else the hand-written one. For a Llama-3 tokenizer both render the same string (tested).
    """
    if template not in ("auto", "navila", "tokenizer"):
        raise ValueError(f"unknown prompt template {template!r} (auto|navila|tokenizer)")
    has_template = tokenizer is not None and bool(getattr(tokenizer, "chat_template", None))
    if template == "tokenizer" and not has_template:
        raise ValueError("prompt_template 'tokenizer' but the tokenizer has no chat template")
    if template == "navila" or not has_template:
        return render_llama3(question, system)
    messages = [{"role": "system", "content": system}, {"role": "user", "content": question}]
    return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)


@dataclass(frozen=True)
class TokenizedPrompt:
    """Token ids with `IMAGE_TOKEN_INDEX` at each image slot, and where the slots are."""

    input_ids: list[int]
    image_positions: list[int]

    @property
    def num_images(self) -> int:
        return len(self.image_positions)

    def length_with_images(self, tokens_per_image: int) -> int:
        """Sequence length the LLM sees once every slot is expanded to its image embeddings."""
        return len(self.input_ids) - self.num_images + self.num_images * tokens_per_image


def tokenize_with_images(prompt: str, tokenizer: Any) -> TokenizedPrompt:
    """VILA's `tokenizer_image_token` semantics (written anew): chunks, one BOS, image slots.

    Each chunk is tokenized with the tokenizer's defaults (a Llama-3 tokenizer adds BOS to each);
    when the first chunk starts with BOS, that BOS is kept once and stripped from every chunk.
    """
    chunks = [tokenizer(chunk).input_ids for chunk in prompt.split(IMAGE_TOKEN)]
    bos = getattr(tokenizer, "bos_token_id", None)
    ids: list[int] = []
    offset = 0
    if chunks and chunks[0] and bos is not None and chunks[0][0] == bos:
        offset = 1
        ids.append(chunks[0][0])
    positions: list[int] = []
    for k, chunk in enumerate(chunks):
        if k > 0:
            positions.append(len(ids))
            ids.append(IMAGE_TOKEN_INDEX)
        ids.extend(chunk[offset:])
    return TokenizedPrompt(ids, positions)


def strip_answer(text: str) -> str:
    """The model's answer without stop strings and surrounding whitespace."""
    for stop in (EOT, END_OF_TEXT):
        cut = text.find(stop)
        if cut >= 0:
            text = text[:cut]
    return text.strip()
