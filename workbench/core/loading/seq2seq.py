"""The encoder-decoder model as loaded and described, below both its export (export/seq2seq*.py) and the runtimes
that run it (runtimes/seq2seq_decoders.py): the Seq2SeqInfo read from the model (what the encoder takes, its start
token, the cache layout from the ``EncoderDecoderCache`` one step returns), the offline loader, the cache helpers
a step needs, random source inputs, and the export's file names with the Seq2SeqInfo stamped in them read back.

Nothing here is written per architecture: the encoder's input comes from ``model.main_input_name``, the encoder's
signature and the feature-extractor config (a length the encoder refuses other than its own is kept static).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from workbench.core.errors import WorkbenchError, first_line

@dataclasses.dataclass(frozen=True)
class Seq2SeqInfo:
    """What the two graphs take, read from the model: main input, its shape, mask, start token, cache layout."""

    main_input: str  # "input_ids" or e.g. "input_features"
    feature_shape: tuple  # () for token ids; (channels, frames) for float features
    source_dynamic: bool  # the source length may vary (False: the encoder accepts its one length only)
    encoder_mask: bool  # the model takes an attention mask over the source
    start_token: int
    vocab: int
    self_layout: tuple  # ((heads, key dim, heads, value dim), ...) per decoder layer, self-attention
    cross_layout: tuple  # the same for cross-attention

    @property
    def layers(self) -> int:
        return len(self.self_layout)


def _config_of(folder: Path):
    import transformers

    transformers.utils.logging.set_verbosity_error()
    try:
        return transformers.AutoConfig.from_pretrained(str(folder), local_files_only=True)
    except Exception:  # noqa: BLE001 - not a readable config: the ordinary loader reports it
        return None


def model_class(config):
    """The generation class of an encoder-decoder config (its architectures, else the seq2seq Auto classes), or
    None when the model has no generating head (e.g. a classifier)."""
    import transformers

    for arch in getattr(config, "architectures", None) or []:
        cls = getattr(transformers, arch, None)
        if cls is not None:
            return cls if _generates(cls) else None
    for auto in ("AutoModelForSeq2SeqLM", "AutoModelForSpeechSeq2Seq"):
        mapping = getattr(transformers, auto)._model_mapping
        try:
            return mapping[type(config)]
        except KeyError:
            continue
    return None


def _generates(cls) -> bool:
    can = getattr(cls, "can_generate", None)
    return bool(can and can()) and hasattr(cls, "get_encoder")


def load(source, dtype: str = "fp32"):
    """(model, config, family settings) of an encoder-decoder folder, built offline; missing weights refused."""
    import torch

    from workbench.core.loading import limits
    from workbench.core.loading.hf_folder import check_loading_info
    from workbench.core.loading.model import family_settings, torch_dtype

    folder = str(Path(source.path).expanduser().resolve())
    raw = limits.read_json(Path(folder) / "config.json", "config.json")
    limits.check_counts(raw if isinstance(raw, dict) else {}, folder)
    config = _config_of(Path(folder))
    cls = model_class(config) if config is not None else None
    if cls is None:
        raise WorkbenchError(f"{folder}: not an encoder-decoder model with a generating head",
                             "give the folder of a sequence-to-sequence model (e.g. T5, BART, Marian, Whisper)")
    family = family_settings(getattr(config, "model_type", None))
    kwargs = family.get("load_kwargs", {})
    limits.check_model_size(folder, config, cls, dtype, kwargs)
    try:
        model, info = cls.from_pretrained(folder, local_files_only=True, dtype=torch_dtype(dtype),
                                          output_loading_info=True, **kwargs)
    except Exception as err:  # noqa: BLE001 - transformers raises many types
        first = first_line(err)
        raise WorkbenchError(f"{folder}: transformers could not build {cls.__name__} ({first})",
                             "run `workbench inspect` on the folder to see what is missing or inconsistent") from err
    check_loading_info(folder, info)
    torch.set_grad_enabled(False)
    return model.eval(), config, family


def _preprocessor(folder) -> dict:
    path = Path(folder) / "preprocessor_config.json"
    if not path.is_file():
        return {}
    from workbench.core.loading import limits

    data = limits.read_json(path, "preprocessor_config.json")
    return data if isinstance(data, dict) else {}


def _encoder_runs(encoder, main: str, shape: tuple) -> bool:
    import torch

    try:
        encoder(**{main: torch.zeros(1, *shape, dtype=encoder.dtype)}, return_dict=True)
        return True
    except Exception:  # noqa: BLE001 - refusing a length is what is probed
        return False


def _features(model, folder) -> tuple:
    """((channels, frames), dynamic) for an encoder taking float features [batch, channels, frames]."""
    pre, config = _preprocessor(folder), model.config
    channels = (pre.get("feature_size") or getattr(config, "num_mel_bins", None)
                or getattr(config, "input_feat_per_channel", None))
    if not channels:
        raise WorkbenchError(f"{type(model).__name__} takes {model.main_input_name} but neither "
                             "preprocessor_config.json (feature_size) nor config.json (num_mel_bins) gives its size",
                             "add the model's preprocessor_config.json to the folder")
    positions = getattr(config, "max_source_positions", None)
    candidates = [pre.get("nb_max_frames"), 2 * positions if positions else None, positions]
    encoder = model.get_encoder()
    for frames in dict.fromkeys(int(f) for f in candidates if f):
        if _encoder_runs(encoder, model.main_input_name, (int(channels), frames)):
            dynamic = _encoder_runs(encoder, model.main_input_name, (int(channels), frames - 2))
            return (int(channels), frames), dynamic
    raise WorkbenchError(f"{type(model).__name__}'s encoder accepts none of the input lengths "
                         f"{[c for c in candidates if c]} (preprocessor_config.json nb_max_frames, "
                         "config.json max_source_positions)", "add the model's preprocessor_config.json")


def encoder_output(hidden):
    """The encoder's hidden states as the ``encoder_outputs`` a seq2seq forward takes (a BaseModelOutput: some
    models, e.g. ProphetNet, read ``.last_hidden_state`` and refuse a plain tuple)."""
    from transformers.modeling_outputs import BaseModelOutput

    return BaseModelOutput(last_hidden_state=hidden)


def cache_of(out):
    """The cache a transformers output carries (``cache`` in transformers 5, ``past_key_values`` before)."""
    cache = getattr(out, "cache", None)
    return cache if cache is not None else getattr(out, "past_key_values", None)


def cache_kwarg(model) -> str:
    """The forward's keyword for the cache: ``cache`` (transformers 5) or ``past_key_values``."""
    import inspect as pyinspect

    return "cache" if "cache" in pyinspect.signature(model.forward).parameters else "past_key_values"


def cache_tensors(cache) -> list:
    """[keys, values, keys, values, ...] of a transformers cache's layers (one part of an EncoderDecoderCache)."""
    flat = []
    for layer in getattr(cache, "layers", []):
        if getattr(layer, "keys", None) is None or getattr(layer, "values", None) is None:
            raise WorkbenchError(f"the model's cache has a {type(layer).__name__} layer without keys and values",
                                 "only key/value caches (attention layers) export as a decoder with past")
        flat += [layer.keys, layer.values]
    return flat


def _layout(cache) -> tuple:
    flat = cache_tensors(cache)
    if not flat or any(t.dim() != 4 for t in flat):
        raise WorkbenchError("the model's cache holds no [batch, heads, sequence, dim] keys and values",
                             "only attention key/value caches export as a decoder with past")
    return tuple((int(k.shape[1]), int(k.shape[3]), int(v.shape[1]), int(v.shape[3]))
                 for k, v in zip(flat[::2], flat[1::2]))


def model_failure(err: BaseException, model, what: str) -> WorkbenchError:
    """One line for an exception the model's own code raised: the module and line that raised it, and what to
    do (never "unexpected ... report it")."""
    import traceback

    if isinstance(err, WorkbenchError):
        return err
    frames = [f for f in traceback.extract_tb(err.__traceback__) if "/torch/" not in f.filename]
    site = frames[-1] if frames else None
    where = f" at {Path(site.filename).name}:{site.lineno} in {site.name}" if site else ""
    return WorkbenchError(f"{type(model).__name__} failed while {what}: {type(err).__name__}{where}: "
                          f"{first_line(err)[:200]}",
                          "this architecture's decoder does not run with an EncoderDecoderCache step by step; "
                          "export it with --task feature-extraction, or wrap it in model.py:ClassName")


def describe(model, folder) -> Seq2SeqInfo:
    """Read the graphs' inputs and the cache layout from the model (one short forward)."""
    try:
        return _describe(model, folder)
    except Exception as err:  # noqa: BLE001 - the model's code raises any type
        raise model_failure(err, model, "running one decoding step with a cache") from err


def _describe(model, folder) -> Seq2SeqInfo:
    import inspect as pyinspect

    import torch
    from transformers import DynamicCache, EncoderDecoderCache

    main = getattr(model, "main_input_name", "input_ids")
    config = model.config
    text = config.get_text_config(decoder=True) if hasattr(config, "get_text_config") else config
    vocab = int(getattr(text, "vocab_size", 0) or getattr(config, "vocab_size", 0) or 0)
    start = getattr(config, "decoder_start_token_id", None)
    if start is None and getattr(model, "generation_config", None) is not None:
        start = model.generation_config.decoder_start_token_id
    if start is None or not vocab:
        raise WorkbenchError(f"{type(model).__name__}'s config gives no decoder_start_token_id or vocab_size",
                             "add decoder_start_token_id and vocab_size to config.json (or generation_config.json)")
    if main == "input_ids":
        shape, dynamic = (), True
        mask = "attention_mask" in pyinspect.signature(model.forward).parameters
    else:
        shape, dynamic = _features(model, folder)
        mask = bool(_preprocessor(folder).get("return_attention_mask", False))
    info = Seq2SeqInfo(main, shape, dynamic, mask, int(start), vocab, (), ())
    source = source_inputs(info, 1, 3, seed=0, dtype=model.dtype)
    hidden = model.get_encoder()(**{k: v for k, v in source.items() if k == main}, return_dict=True)
    cache = EncoderDecoderCache(DynamicCache(), DynamicCache())
    out = model(encoder_outputs=encoder_output(hidden.last_hidden_state),
                decoder_input_ids=torch.full((1, 1), int(start)), use_cache=True, return_dict=True,
                **{cache_kwarg(model): cache},
                **({"attention_mask": source["attention_mask"]} if mask else {}))
    cache = cache_of(out)
    if not hasattr(cache, "self_attention_cache") or not hasattr(cache, "cross_attention_cache"):
        raise WorkbenchError(f"{type(model).__name__} returned a {type(cache).__name__} as its cache, not an "
                             "EncoderDecoderCache", "this model's decoder cannot be exported with past key values")
    return dataclasses.replace(info, self_layout=_layout(cache.self_attention_cache),
                               cross_layout=_layout(cache.cross_attention_cache))


def source_inputs(info: Seq2SeqInfo, batch: int, length: int, seed: int = 0, pad: bool = False,
                  dtype=None) -> dict:
    """Random encoder inputs: token ids (+ mask, the last row padded with ``pad``) or float features (in
    ``dtype``, float32 by default)."""
    import torch

    gen = torch.Generator().manual_seed(seed)
    if info.main_input != "input_ids":
        channels, frames = info.feature_shape
        return {info.main_input: torch.randn(batch, channels, length if info.source_dynamic else frames,
                                             generator=gen).to(dtype or torch.float32)}
    out = {"input_ids": torch.randint(0, info.vocab, (batch, length), generator=gen)}
    if info.encoder_mask:
        mask = torch.ones(batch, length, dtype=torch.int64)
        if pad and batch > 1 and length > 2:
            mask[-1, -max(1, length // 3):] = 0
        out["attention_mask"] = mask
    return out


TASK = "text2text-generation-with-past"
ENCODER_FILE = "encoder_model.onnx"
DECODER_FILE = "decoder_with_past_model.onnx"


def read_info(path) -> Seq2SeqInfo | None:
    """The Seq2SeqInfo stamped in an exported file's metadata, or None for other files."""
    from workbench.core.onnx_io import header

    model = header(path)
    props = {p.key: p.value for p in model.metadata_props}
    if props.get("workbench.task") != TASK or "workbench.seq2seq" not in props:
        return None
    data = json.loads(props["workbench.seq2seq"])
    data = {k: tuple(tuple(x) for x in v) if k in ("self_layout", "cross_layout") else v for k, v in data.items()}
    data["feature_shape"] = tuple(data["feature_shape"])
    return Seq2SeqInfo(**data)
