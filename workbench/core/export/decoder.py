"""Export a causal LM as a decoder for generation (task ``text-generation-with-past``).

The ONNX graph takes ``input_ids``, ``attention_mask`` (past + new tokens), ``position_ids`` and one
``past_key_values.{i}.key`` / ``past_key_values.{i}.value`` pair per layer, and returns ``logits`` and
``present.{i}.key`` / ``present.{i}.value`` (the past with the new tokens appended). Batch, sequence and past
sequence are dynamic; a past of length 0 is the prefill.

Nothing here is written per architecture: the cache layout (layers, heads and head sizes of keys and values) is
read from the cache the model itself returns for a short forward, so grouped-query attention and DeepSeek's MLA
(latent keys and rope values of different sizes) come out right; family settings come from families.toml. The
wrapper rebuilds a ``DynamicCache`` from the flat tensors inside ``forward``.

After the export the decoder is checked against PyTorch on inputs other than the traced ones (other token ids,
other shapes, a decode step): an exporter that froze data-dependent values, e.g. the expert routing of an MoE model,
gives other results there, and the export is refused.
"""

from __future__ import annotations

import dataclasses
import inspect as pyinspect
import json
import shutil
import time
from pathlib import Path

from workbench.core import onnx_io
from workbench.core.errors import WorkbenchError
from workbench.core.export import exporters
from workbench.core.export.decoder_model import (TASK, arg_name, cache_layout, decoder_module, dynamic_axes,
                                                 example_sizes, input_names, is_moe, load_decoder, make_inputs,
                                                 present_names, vocab_size)
from workbench.core.fsutil import check_output, output_rules, staged_output
from workbench.core.jobs import Stages
from workbench.core.results import ExportResult
from workbench.core.specs import ExportSpec

GENERATION_FILES = ("config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json",
                    "special_tokens_map.json", "tokenizer.model", "vocab.json", "merges.txt", "vocab.txt",
                    "added_tokens.json", "chat_template.jinja", "chat_template.json")


def _output_path(spec: ExportSpec) -> Path:
    out = Path(spec.output).expanduser()
    return out if out.suffix.lower() == ".onnx" else out / "model.onnx"


def export_decoder(spec: ExportSpec, progress=None, cancel=None) -> ExportResult:
    """Export ``spec.source`` as a decoder with past key values; the output folder also gets what generation
    needs (config.json, generation_config.json, tokenizer files). Nothing is written unless the decoder matches
    PyTorch on fresh inputs."""
    from workbench.core.export.decoder_check import check_decoder
    from workbench.core.export.readback import check_dynamic

    final = _output_path(spec)
    exporters.check_spec(dataclasses.replace(spec, output=str(final)))
    check_output(final, **output_rules(spec))  # before the work: nothing it may not replace
    if spec.input_names or spec.output_names or spec.dynamic_axes:
        raise WorkbenchError(f"--task {TASK} names its inputs, outputs and dynamic axes itself",
                             "leave out --input-names, --output-names and --dynamic")
    stages = Stages(["loading the model", "reading the cache layout", "exporting", "checking against PyTorch",
                     "copying the tokenizer and configs"], progress, cancel)
    started = time.perf_counter()
    stages.next()
    loaded, model = load_decoder(spec)
    stages.next()
    layout = cache_layout(model)
    positions = "position_ids" in pyinspect.signature(model.forward).parameters
    module = decoder_module(model, len(layout), positions)
    batch, sequence, past = example_sizes(spec.inputs.batch, spec.inputs.sequence)
    inputs = make_inputs(layout, batch, sequence, past, vocab_size(model), spec.dtype, 0, positions)
    names = (input_names(len(layout), positions), ["logits", *present_names(len(layout))])
    axes = dynamic_axes(len(layout), positions)
    exporter = spec.exporter if spec.exporter != "dynamo" else loaded.family.get("exporter", "dynamo")
    stages.next()
    with staged_output(final, **output_rules(spec)) as path:
        exporter, fallback_reason = exporters.run(exporter, module, inputs, path, spec, names, axes, True)
        stages.next()
        exporters.check_onnx(path)
        shapes = check_dynamic(path, {n: axes[arg_name(n)] for n in names[0]},
                               {n: list(inputs[arg_name(n)].shape) for n in names[0]})
        report = check_decoder(path, module, layout, vocab_size(model), spec.dtype, positions, moe=is_moe(model),
                               exporter=exporter)
        _stamp(path, spec, loaded, layout, report)
        stages.next()
        copy_generation_files(Path(loaded.folder), path.parent, model)
        written = sorted(p.name for p in path.parent.iterdir())
    stages.done(f"exported a decoder with {len(layout)} cached layers")
    out_dir = final.resolve().parent
    return ExportResult(outputs=[str(out_dir / n) for n in sorted(written, key=lambda n: n != final.name)],
                        exporter=exporter, fallback_reason=fallback_reason, input_names=names[0],
                        output_names=names[1], dynamic_axes={n: {str(a): d for a, d in axes[arg_name(n)].items()}
                                                              for n in names[0]},
                        example_shapes={n: list(inputs[arg_name(n)].shape) for n in names[0]},
                        input_shapes=shapes[0], output_shapes=shapes[1],
                        opset=onnx_io.opset_of(final.resolve()), dtype=spec.dtype,
                        family_settings=loaded.family, seconds=time.perf_counter() - started)


def _stamp(path: Path, spec: ExportSpec, loaded, layout: list, report: dict) -> None:
    onnx_io.stamp(path, {"workbench.source": str(Path(loaded.folder).resolve()),
                         "workbench.model_type": loaded.model_type or "", "workbench.dtype": spec.dtype,
                         "workbench.kind": "text", "workbench.task": TASK,
                         "workbench.cache_layout": json.dumps([dataclasses.asdict(c) for c in layout]),
                         "workbench.decoder_check": json.dumps(report)})


def copy_generation_files(source: Path, dest: Path, model=None, names=GENERATION_FILES) -> list:
    """Copy config, generation config and tokenizer files (``names``); write generation_config.json from the model
    if the folder has none. Returns the names written."""
    written = []
    for name in names:
        if (source / name).is_file():
            shutil.copy2(source / name, dest / name)
            written.append(name)
    generation = getattr(model, "generation_config", None)
    if "generation_config.json" not in written and generation is not None:
        generation.save_pretrained(str(dest))
        written.append("generation_config.json")
    return written


def generation_files_beside(spec: ExportSpec, onnx_path, stage) -> list:
    """For another target's decoder (``--task text-generation-with-past`` converted to OpenVINO or MNN): the
    generation files of the ONNX step's folder that the final folder lacks, copied into the staging folder ``stage``
    (published with the artifact), so ``workbench generate`` on the artifact finds its tokenizer and settings as on
    the ONNX decoder's folder. Returns the names copied ([] for other tasks)."""
    if spec.source.task != TASK or onnx_path is None:
        return []
    final = Path(str(spec.output)).expanduser().parent
    names = [n for n in GENERATION_FILES if not (final / n).exists()]
    return copy_generation_files(Path(str(onnx_path)).parent, Path(stage), None, names)
