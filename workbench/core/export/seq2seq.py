"""Export an encoder-decoder model (T5, BART, Marian, Whisper, ...) for generation: two ONNX files in a folder.

``encoder_model.onnx``
    the encoder's main input (``input_ids`` + ``attention_mask`` for text, ``input_features`` for speech) ->
    ``last_hidden_state`` and, per decoder layer, the cross-attention keys and values computed from it
    (``present.{i}.encoder.key`` / ``.value``): they depend on the source only, so they are computed once.
``decoder_with_past_model.onnx``
    ``decoder_input_ids``, ``encoder_hidden_states``, ``encoder_attention_mask`` (where the model takes a mask),
    ``past_key_values.{i}.decoder.key/value`` (self-attention, past length 0 on the first step) and
    ``past_key_values.{i}.encoder.key/value`` (cross-attention, from the encoder file) -> ``logits`` and
    ``present.{i}.decoder.key/value`` (the self-attention past with the new tokens appended).

The names are optimum's; the layout differs from optimum's encoder / decoder / decoder-with-past trio in that the
encoder file also returns the cross-attention cache, so one decoder file serves every step (no If-merged graph).

Nothing is written per architecture: what the encoder takes comes from ``model.main_input_name``, the encoder's
signature and the feature-extractor config (mel bins, frames; a length the encoder refuses other than its own is
exported static), the cache layout from the ``EncoderDecoderCache`` the model itself returns (seq2seq_model.py).
The export is checked against PyTorch (greedy generation and encoder outputs on fresh inputs) before anything is
written (seq2seq_check.py).
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import time
from pathlib import Path

from workbench.core import onnx_io
from workbench.core.errors import WorkbenchError
from workbench.core.export.decoder import copy_generation_files
from workbench.core.export.exporters import check_options
from workbench.core.export.seq2seq_model import (_arg, decoder_axes, decoder_inputs, decoder_module, decoder_names,
                                                 encoder_axes, encoder_module, encoder_names)
from workbench.core.loading.seq2seq import (DECODER_FILE, ENCODER_FILE, TASK, Seq2SeqInfo, _config_of,  # noqa: F401
                                            describe, load, model_class, model_failure, read_info, source_inputs)
from workbench.core.fsutil import check_output, output_rules, staged_output
from workbench.core.jobs import Stages
from workbench.core.results import ExportResult
from workbench.core.specs import ExportSpec

TASKS = (None, "text-generation-with-past", TASK)
SEQ2SEQ_FILES = ("config.json", "generation_config.json", "preprocessor_config.json", "tokenizer.json",
                 "tokenizer_config.json", "special_tokens_map.json", "spiece.model", "source.spm", "target.spm",
                 "vocab.json", "merges.txt", "vocab.txt", "added_tokens.json")


def wanted(spec: ExportSpec) -> bool:
    """True when ``spec`` exports an encoder-decoder generation model folder (this module's export)."""
    folder = Path(spec.source.path).expanduser()
    if spec.source.task not in TASKS or not (folder / "config.json").is_file():
        return False
    config = _config_of(folder)
    return bool(config is not None and getattr(config, "is_encoder_decoder", False) and model_class(config))


def refuse_for(spec: ExportSpec, target: str) -> None:
    """One line where ``target`` (a one-graph target: openvino, mnn) is asked to convert an encoder-decoder model,
    which exports as two graphs (before any work; its ONNX step would otherwise name its own scratch folder)."""
    if wanted(spec):
        kind = getattr(_config_of(Path(spec.source.path).expanduser()), "model_type", "") or "this model"
        raise WorkbenchError(f"{kind} is an encoder-decoder model: it exports as two graphs ({ENCODER_FILE}, "
                             f"{DECODER_FILE}), and the {target} target converts one",
                             "export it to ONNX into a folder (workbench export SRC -o FOLDER) and generate with "
                             "ONNX Runtime")


def _check_spec(spec: ExportSpec) -> Path:
    check_options(spec)
    if spec.input_names or spec.output_names or spec.dynamic_axes:
        raise WorkbenchError("an encoder-decoder export names its inputs, outputs and dynamic axes itself",
                             "leave out --input-names, --output-names and --dynamic")
    if not spec.export_params:
        raise WorkbenchError("an encoder-decoder export needs its weights (it is checked against PyTorch)",
                             "leave out --no-params")
    out = Path(spec.output).expanduser()
    if out.suffix.lower() == ".onnx":
        raise WorkbenchError(f"an encoder-decoder model exports as two files ({ENCODER_FILE}, {DECODER_FILE}), "
                             f"not one '{out.name}'", f"give -o a folder, e.g. -o {out.with_suffix('')}")
    return out / ENCODER_FILE


def export_seq2seq(spec: ExportSpec, progress=None, cancel=None) -> ExportResult:
    """Export ``spec.source`` (an encoder-decoder folder) as encoder_model.onnx + decoder_with_past_model.onnx in
    the folder ``spec.output``, with the configs and tokenizer files; written only when the check passes."""
    from workbench.core.export.readback import check_dynamic
    from workbench.core.export.seq2seq_check import check_export

    final = _check_spec(spec)
    check_output(final, **output_rules(spec))
    stages = Stages(["loading the model", "reading the cache layout", "exporting the encoder",
                     "exporting the decoder", "checking against PyTorch", "copying the tokenizer and configs"],
                    progress, cancel)
    started = time.perf_counter()
    stages.next()
    model, config, family = load(spec.source, spec.dtype)
    folder = Path(spec.source.path).expanduser().resolve()
    stages.next()
    info = describe(model, folder)
    exporter = spec.exporter if spec.exporter != "dynamo" else family.get("exporter", "dynamo")
    batch, length, steps, past = 2, 7, 3, 5  # all different, none 1 (a size of 1 is specialised)
    enc_module, dec_module = encoder_module(model, info), decoder_module(model, info)
    enc_inputs = source_inputs(info, batch, length, dtype=model.dtype)
    try:
        with __import__("torch").inference_mode():  # a tool use, not a comparison: tracing needs the tensors
            enc_out = enc_module(**enc_inputs)
    except Exception as err:  # noqa: BLE001 - the model's code raises any type
        raise model_failure(err, model, "encoding a source and filling the cross-attention cache") from err
    dec_inputs = decoder_inputs(info, enc_out[0], enc_inputs.get("attention_mask"), list(enc_out[1:]), steps, past)
    graphs = [(ENCODER_FILE, enc_module, enc_inputs, encoder_names(info), encoder_axes(info)),
              (DECODER_FILE, dec_module, dec_inputs, decoder_names(info), decoder_axes(info))]
    shapes, used, reasons = ({}, {}), [], []
    with staged_output(final, **output_rules(spec)) as path:
        for name, module, inputs, names, axes in graphs:
            stages.next()
            which, reason = _export_one(exporter, module, inputs, path.parent / name, spec, names, axes, name)
            used.append(which)
            reasons += [f"{name}: {reason}"] if reason else []
            asked = {n: axes[_arg(n)] for n in names[0] if _arg(n) in axes}
            got = check_dynamic(path.parent / name, asked, {n: list(inputs[_arg(n)].shape) for n in names[0]})
            shapes[0].update(got[0])
            shapes[1].update(got[1])
        stages.next()
        report = check_export(path.parent, model, info, spec.dtype)
        for name in (ENCODER_FILE, DECODER_FILE):
            _stamp(path.parent / name, folder, config, spec.dtype, info, report)
        stages.next()
        copy_generation_files(folder, path.parent, model, SEQ2SEQ_FILES)
        written = sorted(p.name for p in path.parent.iterdir())
    stages.done(f"exported an encoder and a decoder with {info.layers} cached layers")
    out_dir = final.resolve().parent
    order = {ENCODER_FILE: 0, DECODER_FILE: 1}
    all_axes = {**encoder_axes(info), **{n: decoder_axes(info)[_arg(n)] for n in decoder_names(info)[0]}}
    return ExportResult(outputs=[str(out_dir / n) for n in sorted(written, key=lambda n: (order.get(n, 2), n))],
                        exporter=used[-1] if len(set(used)) == 1 else "+".join(used),
                        fallback_reason="; ".join(reasons) or None,
                        input_names=encoder_names(info)[0] + decoder_names(info)[0],
                        output_names=encoder_names(info)[1] + decoder_names(info)[1],
                        dynamic_axes={n: {str(a): d for a, d in ax.items()} for n, ax in all_axes.items()},
                        example_shapes={**{n: list(v.shape) for n, v in enc_inputs.items()},
                                        **{n: list(dec_inputs[_arg(n)].shape) for n in decoder_names(info)[0]}},
                        input_shapes=shapes[0], output_shapes=shapes[1], opset=onnx_io.opset_of(final.resolve()),
                        dtype=spec.dtype, family_settings=family, seconds=time.perf_counter() - started,
                        notes=_notes(info, report))


def _notes(info: Seq2SeqInfo, report: dict) -> list:
    notes = [f"checked against PyTorch: greedy generation {report['agreement'] * 100:.0f}% identical tokens over "
             f"{report['tokens']} tokens, logits max abs diff {report['max_logits_abs_diff']:.3g}; encoder at "
             f"{len(report['encoder_shapes'])} source shapes"]
    if not info.source_dynamic:
        notes.append(f"the encoder accepts only {info.main_input} of {info.feature_shape[-1]} frames: the source "
                     "length is static in both files (batch, decoder and past lengths are dynamic)")
    return notes


def _export_one(exporter: str, module, inputs: dict, target: Path, spec: ExportSpec, names: tuple, axes: dict,
                what: str) -> tuple:
    """Export one graph into its own scratch folder (a fallback clears that folder only), then move it next to
    ``target``. Returns (exporter used, why dynamo fell back or None)."""
    import tempfile

    from workbench.core.export import exporters

    scratch = Path(tempfile.mkdtemp(prefix=".part-", dir=target.parent))
    try:
        try:
            used, reason = exporters.run(exporter, module, inputs, scratch / target.name, spec, names, axes)
        except WorkbenchError as err:
            raise WorkbenchError(f"{what}: {err.what}", err.hint) from err
        exporters.check_onnx(scratch / target.name)
        for item in scratch.iterdir():
            shutil.move(str(item), str(target.parent / item.name))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return used, reason


def _stamp(path: Path, folder: Path, config, dtype: str, info: Seq2SeqInfo, report: dict) -> None:
    kind = "text" if info.main_input == "input_ids" else "audio"
    onnx_io.stamp(path, {"workbench.source": str(folder),
                         "workbench.model_type": getattr(config, "model_type", "") or "", "workbench.dtype": dtype,
                         "workbench.kind": kind, "workbench.task": TASK,
                         "workbench.seq2seq": json.dumps(dataclasses.asdict(info)),
                         "workbench.seq2seq_check": json.dumps(report)})
