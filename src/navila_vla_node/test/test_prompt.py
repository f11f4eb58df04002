"""NaVILA's prompt text, the Llama-3 conversation, image-slot tokenizing and slot counts."""

from __future__ import annotations

from pathlib import Path

import pytest

from navila_vla_node.checkpoint import ModelSizes, build_tiny_tokenizer
from navila_vla_node.projector import downsampled_tokens
from navila_vla_node.prompt import (
    IMAGE_TOKEN_INDEX,
    build_question,
    render_llama3,
    render_prompt,
    strip_answer,
    tokenize_with_images,
)

EXPECTED_QUESTION = (
    "Imagine you are a robot programmed for navigation tasks. You have been given a video of "
    "historical observations <image>\n<image>\n<image>\n<image>\n<image>\n<image>\n<image>\n, "
    'and current observation <image>\n. Your assigned task is: "Go to the sofa." Analyze this '
    "series of images to decide your next action, which could be turning left or right by a "
    "specific degree, moving forward a certain distance, or stop if the task is completed."
)


def test_question_is_navilas_verbatim() -> None:
    assert build_question("Go to the sofa.") == EXPECTED_QUESTION
    assert build_question("x", 4).count("<image>") == 4


def test_llama3_conversation_text() -> None:
    text = render_llama3("Q")
    assert text == (
        "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n"
        "You are a helpful language and vision assistant. You are able to understand the visual "
        "content that the user provides, and assist the user with a variety of tasks using "
        "natural language.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nQ<|eot_id|>"
        "<|start_header_id|>assistant<|end_header_id|>\n\n"
    )


@pytest.fixture(scope="module")
def tokenizer(tmp_path_factory: pytest.TempPathFactory):
    return build_tiny_tokenizer(Path(tmp_path_factory.mktemp("tok")), chat_template=True)


def test_chat_template_renders_the_same_prompt(tokenizer) -> None:
    q = build_question("walk past the table")
    assert render_prompt(q, tokenizer, "tokenizer") == render_llama3(q)
    assert render_prompt(q, tokenizer, "auto") == render_llama3(q)
    assert render_prompt(q, None, "auto") == render_llama3(q)
    with pytest.raises(ValueError, match="no chat template"):
        render_prompt(q, None, "tokenizer")
    with pytest.raises(ValueError):
        render_prompt(q, tokenizer, "vicuna")


def test_image_slots_and_bos_like_vila(tokenizer) -> None:
    prompt = render_llama3(build_question("go"))
    tp = tokenize_with_images(prompt, tokenizer)
    assert tp.num_images == 8 and tp.input_ids.count(IMAGE_TOKEN_INDEX) == 8
    assert [tp.input_ids[p] for p in tp.image_positions] == [IMAGE_TOKEN_INDEX] * 8
    # VILA's rule: the chunks are tokenized with the tokenizer's defaults (this one, like
    # Llama-3's, adds BOS); one leading BOS is kept and every chunk's own BOS is stripped.
    bos = tokenizer.bos_token_id
    chunks = [tokenizer(c).input_ids for c in prompt.split("<image>")]
    expected = [bos]
    for k, c in enumerate(chunks):
        if k:
            expected.append(IMAGE_TOKEN_INDEX)
        expected.extend(c[1:])
    assert tp.input_ids == expected
    # the literal "<|begin_of_text|>" of the template stays as a token after the kept BOS
    assert tp.input_ids[:2] == [bos, bos]
    text_ids = [i for i in tp.input_ids[1:] if i != IMAGE_TOKEN_INDEX]
    assert tokenizer.decode(text_ids).replace("<image>", "") == prompt.replace("<image>", "")


def test_real_sizes_give_8_x_196_image_tokens() -> None:
    real = ModelSizes.real()
    cfg = real.siglip_config()
    patches = (cfg.image_size // cfg.patch_size) ** 2
    assert patches == 729
    assert downsampled_tokens(patches) == 196
    assert 8 * downsampled_tokens(patches) == 1568


def test_strip_answer() -> None:
    assert strip_answer(" The next action is stop.<|eot_id|>junk") == "The next action is stop."
