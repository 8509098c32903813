"""Which transformers class a config and task build, and the example inputs the model's ``forward`` takes, from
its signature and config.json (and the feature extractor's preprocessor_config.json): text, image, raw audio,
several towers. Nothing per architecture; the folder's inspection and the model build both read them here."""

from __future__ import annotations

import inspect as pyinspect
from pathlib import Path
from typing import Optional

from workbench.core.errors import WorkbenchError
from workbench.core.loading.model import KNOWN_INPUTS, InputInfo


def hf_class(config, task: Optional[str]):
    import transformers

    if task in ("feature-extraction", "default"):
        return transformers.AutoModel
    by_task = {"text-generation": "AutoModelForCausalLM", "fill-mask": "AutoModelForMaskedLM",
               "text-classification": "AutoModelForSequenceClassification",
               "image-classification": "AutoModelForImageClassification"}
    if task in by_task:
        return getattr(transformers, by_task[task])
    if task:
        raise WorkbenchError(f"unknown task '{task}'", f"use one of: feature-extraction, {', '.join(by_task)}")
    for arch in getattr(config, "architectures", None) or []:
        if hasattr(transformers, arch):
            return getattr(transformers, arch)
    return transformers.AutoModel


AUDIO_FRAME_MS, AUDIO_WINDOW_MS = 10, 25  # a frame per 10 ms over a 25 ms window where the config has no convs


def _tower(config, name: str):
    """The sub-config of one tower (``text_config``, ``vision_config``...) of a multi-tower model, else config."""
    sub = getattr(config, name, None)
    return sub if sub is not None and hasattr(sub, "to_dict") else config


def _image_hw(vision) -> tuple:
    size = getattr(vision, "image_size", None) or 224
    if isinstance(size, dict):
        edge = size.get("shortest_edge", 224)
        return int(size.get("height", edge)), int(size.get("width", edge))
    if isinstance(size, (list, tuple)):
        return int(size[0]), int(size[-1])
    return int(size), int(size)


def _audio_frames(config, folder: Optional[str]) -> tuple:
    """(step, offset): a raw waveform of ``s * step + offset`` samples gives ``s`` frames. From the convolutional
    feature encoder's kernels and strides (config.json), else from the feature extractor's sampling rate."""
    kernels, strides = getattr(config, "conv_kernel", None), getattr(config, "conv_stride", None)
    if kernels and strides and len(kernels) == len(strides):
        field_, hop = 1, 1
        for k, s in zip(kernels, strides):
            field_ += (int(k) - 1) * hop
            hop *= int(s)
        return hop, field_ - hop
    rate = int(_preprocessor(folder).get("sampling_rate") or getattr(config, "sampling_rate", 0) or 16000)
    step = rate * AUDIO_FRAME_MS // 1000
    return step, rate * AUDIO_WINDOW_MS // 1000 - step


def _preprocessor(folder: Optional[str]) -> dict:
    """preprocessor_config.json of the folder (the feature extractor's settings), or {}."""
    path = Path(folder) / "preprocessor_config.json" if folder else None
    if path is None or not path.is_file():
        return {}
    from workbench.core.loading import limits

    try:
        data = limits.read_json(path, "preprocessor_config.json")
    except WorkbenchError:
        return {}
    return data if isinstance(data, dict) else {}


def _audio_mask(config, folder: Optional[str]) -> bool:
    """Whether the feature extractor feeds an attention mask: its own setting, else what transformers' feature
    extractors do (only for models whose feature encoder normalises per layer, not per group)."""
    value = _preprocessor(folder).get("return_attention_mask")
    if value is not None:
        return bool(value)
    return getattr(config, "feat_extract_norm", "layer") == "layer"


def hf_inputs(model, config, folder: Optional[str] = None) -> tuple[list, str]:
    """[InputInfo] for the parameters of ``model.forward`` the workbench can build, and the model's kind."""
    params = pyinspect.signature(model.forward).parameters
    text = _tower(config, "text_config")
    infos = []
    if "input_ids" in params:
        infos.append(InputInfo("input_ids", "int64", [-1, -2], high=int(getattr(text, "vocab_size", 2) or 2)))
    if "pixel_values" in params:
        vision = _tower(config, "vision_config")
        height, width = _image_hw(vision)
        channels = int(getattr(vision, "num_channels", 3) or 3)
        infos.append(InputInfo("pixel_values", "float", [-1, channels, height, width], role="image"))
    if "input_values" in params:
        audio = _tower(config, "audio_config")
        step, offset = _audio_frames(audio, folder)
        infos.append(InputInfo("input_values", "float", [-1, -2], role="audio", step=step, offset=offset))
    if "attention_mask" in params:
        if "input_ids" in params:
            infos.append(InputInfo("attention_mask", "int64", [-1, -2]))
        elif "input_values" in params and _audio_mask(_tower(config, "audio_config"), folder):
            audio = infos[-1]
            infos.append(InputInfo("attention_mask", "int64", [-1, -2], role="audio", step=audio.step,
                                   offset=audio.offset))
    if "input_ids" in params and "token_type_ids" in params and int(getattr(text, "type_vocab_size", 0) or 0) > 1:
        infos.append(InputInfo("token_type_ids", "int64", [-1, -2], high=int(text.type_vocab_size)))
    built = {i.name for i in infos}
    required = [n for n, p in params.items() if p.default is pyinspect.Parameter.empty and n not in built
                and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    if required or not infos:
        what = (f"needs '{required[0]}', an input the workbench cannot build from config.json" if required else
                f"takes none of {', '.join(KNOWN_INPUTS)}")
        raise WorkbenchError(f"{type(model).__name__}.forward {what}",
                             "export a model class with text, image or audio inputs (--task feature-extraction "
                             "gives the base model), or wrap it in model.py:ClassName and give --shape")
    roles = {i.role for i in infos if i.name != "attention_mask"}
    kind = {frozenset({"text"}): "text", frozenset({"image"}): "vision", frozenset({"audio"}): "audio"}.get(
        frozenset(roles), "multimodal")
    return infos, kind
