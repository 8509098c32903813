"""Pre-flight: do config.json and the weights describe the same model? The model is built from the config on the
meta device (no memory, no weights read) and each parameter's shape is compared with the checkpoint header's.

Tied parameters (lm_head tied to the input embeddings, BART's encoder/decoder embeddings tied to ``shared``) are
one tensor under several names: a checkpoint holds it once, so only a parameter none of whose names is stored is
missing. Checkpoints whose names transformers converts on load (fused experts, renamed keys) are checked for
shapes only where the names agree.
"""

from __future__ import annotations

import logging
import re
import warnings
from pathlib import Path
from typing import Optional

from workbench.core.errors import first_line

LAYER_LIMIT = 4096  # more layers/experts/heads than this: left to the size limits (building it would take long)
COUNT_KEYS = ("layers", "expert", "heads", "blocks")


def _build_meta(folder: Path):
    """(model on the meta device, transformers config) or raises what transformers raised."""
    import torch
    import transformers

    from workbench.core.loading.hf_inputs import hf_class
    from workbench.core.loading.model import family_settings

    transformers.utils.logging.set_verbosity_error()
    config = transformers.AutoConfig.from_pretrained(str(folder), local_files_only=True)
    load_kwargs = family_settings(getattr(config, "model_type", None)).get("load_kwargs", {})
    cls = hf_class(config, None)
    build = getattr(cls, "from_config", None) or cls._from_config
    logging.getLogger("transformers").setLevel(logging.ERROR)
    with warnings.catch_warnings(), torch.device("meta"):
        warnings.simplefilter("ignore")
        return build(config, **load_kwargs), config


def _too_big(config: dict) -> bool:
    values = [config] + [v for v in config.values() if isinstance(v, dict)]
    return any(isinstance(v, (int, float)) and any(c in k for c in COUNT_KEYS) and v > LAYER_LIMIT
               for d in values for k, v in d.items())


def _stored_layers(names) -> int:
    """How many layers the checkpoint holds: 1 + the largest index after a 'layers'/'layer'/'h'/'blocks' segment."""
    top = -1
    for name in names:
        parts = name.split(".")
        for before, index in zip(parts, parts[1:]):
            if index.isdigit() and before in ("layers", "layer", "h", "blocks", "block"):
                top = max(top, int(index))
    return top + 1


def _too_big_problem(config: dict, names) -> Optional[str]:
    """For a config too large to build: its layer count against the checkpoint's, in words (or None)."""
    asked = next((config[k] for k in ("num_hidden_layers", "n_layer", "num_layers") if k in config), None)
    held = _stored_layers(names)
    if isinstance(asked, (int, float)) and held and asked != held:
        return (f"config.json does not fit the weights: it asks for {int(asked) if float(asked).is_integer() else asked} layers but the checkpoint holds "
                f"{held}; use the config.json that came with these weights")
    return None


def _candidates(name: str, prefix: str) -> list:
    names = [name]
    if prefix:
        names.append(name[len(prefix) + 1:] if name.startswith(prefix + ".") else f"{prefix}.{name}")
    legacy = []  # old LayerNorm names transformers still maps (gamma/beta)
    for n in names:
        if n.endswith(".weight"):
            legacy.append(n[: -len("weight")] + "gamma")
        elif n.endswith(".bias"):
            legacy.append(n[: -len("bias")] + "beta")
    return names + legacy


def _converts_names(model) -> bool:
    """True when transformers renames or fuses checkpoint tensors for this model on load."""
    try:
        from transformers.conversion_mapping import get_model_conversion_mapping

        return bool(get_model_conversion_mapping(model, add_legacy=False))
    except Exception:  # noqa: BLE001 - older/newer transformers: assume names are the model's own
        return False


def _declared(model, attr: str) -> set:
    """Names (or patterns) a transformers class lists in ``attr``, over the model and its submodules (the
    encoder and decoder of a seq2seq model declare their own, relative to themselves)."""
    keys: set = set()
    for name, module in model.named_modules():
        for key in getattr(module, attr, None) or ():
            keys.add(f"{name}.{key}" if name and re.escape(key) == key.replace(".", "\\.") else key)
    return keys


def _param_name(model, module) -> Optional[str]:
    return next((f"{n}.weight" for n, m in model.named_modules() if m is module and n), None)


def _tied_pairs(model, config) -> dict:
    """{parameter name or pattern: [names it is tied to]}: a checkpoint stores a tied pair once, under either
    name (``_tied_weights_keys`` both ways; with ``tie_word_embeddings`` the output embedding is the input one)."""
    tied = getattr(model, "_tied_weights_keys", None) or {}
    pairs: dict = {}
    if isinstance(tied, dict):
        for target, source in tied.items():
            pairs.setdefault(target, []).append(source)
            pairs.setdefault(source, []).append(target)
    text = getattr(config, "get_text_config", lambda **_: config)(decoder=True)
    if getattr(config, "tie_word_embeddings", False) or getattr(text, "tie_word_embeddings", False):
        get_in, get_out = getattr(model, "get_input_embeddings", None), getattr(model, "get_output_embeddings", None)
        inp = _param_name(model, get_in()) if get_in else None
        out = _param_name(model, get_out()) if get_out else None
        for name in {"lm_head.weight", out} - {None}:
            pairs.setdefault(name, []).extend([inp] if inp else [])
        if isinstance(tied, (list, tuple, set)):  # older transformers: the tied names alone
            for name in tied:
                pairs.setdefault(name, []).extend([inp] if inp else [])
    return pairs


def _computed(model) -> set:
    """Names a checkpoint leaves out because the model computes them (``_keys_to_ignore_on_load_missing``,
    ``_keys_to_ignore_on_save``: e.g. Marian's sinusoidal position embeddings)."""
    return _declared(model, "_keys_to_ignore_on_load_missing") | _declared(model, "_keys_to_ignore_on_save")


def _covered(names: list, pairs: dict, computed: set, stored: dict, prefix: str) -> bool:
    """True when a parameter none of whose names is stored is legitimately absent: computed, or tied to a
    parameter the checkpoint holds (both sides of a tie absent is a missing tensor)."""
    if any(_is_tied(n, computed) for n in names):
        return True
    for name in names:
        for key, partners in pairs.items():
            if _is_tied(name, {key}) and any(c in stored for p in partners for c in _candidates(p, prefix)):
                return True
    return False


def _is_tied(name: str, tied: set) -> bool:
    for key in tied:  # transformers writes some as patterns
        try:
            if name == key or re.fullmatch(key, name):
                return True
        except re.error:
            continue
    return False


def compare(model, config, stored: dict) -> tuple[list, list]:
    """([(name, stored shape, model shape)], [missing parameter names]) for ``stored`` = {name: shape}."""
    prefix = getattr(model, "base_model_prefix", "") or ""
    groups: dict = {}
    for name, param in model.named_parameters(remove_duplicate=False):
        groups.setdefault(id(param), (param, []))[1].append(name)
    pairs, computed = _tied_pairs(model, config), _computed(model)
    wrong, missing = [], []
    for param, names in groups.values():
        key = next((c for n in names for c in _candidates(n, prefix) if c in stored), None)
        if key is None:
            if not _covered(names, pairs, computed, stored, prefix):
                missing.append(names[0])
            continue
        if list(stored[key]) != list(param.shape):
            wrong.append((key, list(stored[key]), list(param.shape)))
    return wrong, missing


def check(folder: Path, config: dict, tensors: list, problems: list, notes: list) -> Optional[object]:
    """Compare config.json's implied shapes with the checkpoint's; adds problems (blocking) or notes. Returns the
    meta model (for the caller to read its inputs) or None when it was not built."""
    if problems or not tensors:
        return None  # a broken config or unreadable weights are reported already
    if config.get("quantization_config"):
        notes.append("the weights are quantized (quantization_config): their shapes were not compared with "
                     "config.json")
        return None
    if _too_big(config):
        problem = _too_big_problem(config, [t["name"] if isinstance(t, dict) else t.name for t in tensors])
        problems.extend([problem] if problem else [])
        return None
    try:
        model, hf_config = _build_meta(folder)
    except Exception as err:  # noqa: BLE001 - transformers raises many types for an inconsistent config
        first = first_line(err, 200)
        problems.append(f"transformers cannot build the model from config.json ({first}); check config.json "
                        f"against the model's original one")
        return None
    stored = {(t["name"] if isinstance(t, dict) else t.name): (t["shape"] if isinstance(t, dict) else t.shape)
              for t in tensors}
    wrong, missing = compare(model, hf_config, stored)
    if wrong:
        key, have, want = wrong[0]
        more = f" (and {len(wrong) - 1} more)" if len(wrong) > 1 else ""
        problems.append(f"config.json does not fit the weights: tensor '{key}' is {have} in the checkpoint but "
                        f"config.json implies {want}{more}; use the config.json that came with these weights")
    if missing:
        text = (f"{len(missing)} tensor{'s' if len(missing) > 1 else ''} that config.json implies "
                f"{'are' if len(missing) > 1 else 'is'} not in the checkpoint (e.g. '{missing[0]}')")
        if _converts_names(model):
            notes.append(f"{text}; transformers renames this model's checkpoint tensors on load, so this may be "
                         f"only a naming difference")
        else:
            problems.append(f"{text}; transformers would fill them with random values: use the config.json that "
                            f"came with these weights")
    return model
