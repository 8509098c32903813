"""Check an encoder-decoder export (seq2seq.py) against PyTorch, by what it is for: greedy generation.

The two ONNX files generate greedily in ONNX Runtime (the encoder once, then one decoder step per token from a
past of length 0), the PyTorch model does the same with its own forward and EncoderDecoderCache, each on its own
tokens; the tokens must be identical and the logits of every step close. The encoder's outputs (hidden states and
the cross-attention cache) are also compared at two source shapes other than the traced one, padded positions
left out. The export runs this before writing anything; `workbench validate DIR --against FOLDER` reports it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from workbench.core.errors import WorkbenchError

NEW_TOKENS = 8  # greedy steps compared (EOS does not stop them: every step is compared)
GENERATION_SOURCE = (3, 9, 31)  # batch, source length, seed: the last row padded
ENCODER_SOURCES = ((2, 5, 41), (3, 11, 42))  # other batch and source length than the trace (2, 7)
RTOL = {"fp32": 1e-3, "fp16": 3e-2, "bf16": 6e-2}  # max |diff| / max |reference|, as the decoder-only check


def _torch_greedy(model, info, source: dict, steps: int) -> tuple:
    """([batch, steps] tokens, [per step logits of the last position]) from the PyTorch model."""
    import torch
    from transformers import DynamicCache, EncoderDecoderCache

    from workbench.core.loading.seq2seq import cache_kwarg, cache_of, encoder_output

    main = {info.main_input: source[info.main_input]}
    mask = {"attention_mask": source["attention_mask"]} if info.encoder_mask and "attention_mask" in source else {}
    with torch.inference_mode():
        hidden = model.get_encoder()(**main, **mask, return_dict=True).last_hidden_state
        cache = EncoderDecoderCache(DynamicCache(), DynamicCache())
        ids = torch.full((hidden.shape[0], 1), info.start_token, dtype=torch.int64)
        tokens, logits = [], []
        for _ in range(steps):
            out = model(encoder_outputs=encoder_output(hidden), decoder_input_ids=ids, use_cache=True,
                        return_dict=True,
                        **{cache_kwarg(model): cache}, **mask)
            cache = cache_of(out)
            last = out.logits[:, -1].float()
            ids = last.argmax(-1, keepdim=True)
            tokens.append(ids[:, 0].numpy())
            logits.append(last.numpy())
    return np.stack(tokens, 1), logits


def _ort_session(path, provider: str):
    """A session of the registered onnxruntime runtime on ``path`` (Session.feed/run by name)."""
    from workbench.core.runtimes.base import RuntimeOptions
    from workbench.core.runtimes.select import open_artifact

    return open_artifact(path, RuntimeOptions(device=provider), "onnxruntime")[1]


def _ort_encoder(session, info, source: dict) -> dict:
    return session.run(session.feed({k: v for k, v in source.items()}))


def _ort_greedy(enc_session, dec_session, info, source: dict, steps: int) -> tuple:
    enc = _ort_encoder(enc_session, info, source)
    hidden = enc["last_hidden_state"]
    batch = hidden.shape[0]
    dtype = hidden.dtype
    past = {}
    for i, (kh, kd, vh, vd) in enumerate(info.self_layout):
        past[f"past_key_values.{i}.decoder.key"] = np.zeros((batch, kh, 0, kd), dtype)
        past[f"past_key_values.{i}.decoder.value"] = np.zeros((batch, vh, 0, vd), dtype)
        past[f"past_key_values.{i}.encoder.key"] = enc[f"present.{i}.encoder.key"]
        past[f"past_key_values.{i}.encoder.value"] = enc[f"present.{i}.encoder.value"]
    ids = np.full((batch, 1), info.start_token, np.int64)
    tokens, logits = [], []
    for _ in range(steps):
        feeds = {"decoder_input_ids": ids, "encoder_hidden_states": hidden, **past}
        if info.encoder_mask:
            feeds["encoder_attention_mask"] = source["attention_mask"].numpy()
        names = {i.name for i in dec_session.inputs()}
        out = dec_session.run(dec_session.feed({k: v for k, v in feeds.items() if k in names}))
        last = out["logits"][:, -1].astype(np.float32)
        ids = last.argmax(-1)[:, None].astype(np.int64)
        tokens.append(ids[:, 0])
        logits.append(last)
        for i in range(info.layers):
            for k in ("key", "value"):
                past[f"past_key_values.{i}.decoder.{k}"] = out[f"present.{i}.decoder.{k}"]
    return np.stack(tokens, 1), logits


def _torch_encoder(model, info, source: dict) -> dict:
    from workbench.core.export.seq2seq_model import encoder_module
    from workbench.core.runtimes.torch_eager import run_module

    out = run_module(encoder_module(model, info), source)  # the PyTorch reference, through the torch runtime
    names = ["last_hidden_state"] + [f"present.{i}.encoder.{k}" for i in range(info.layers) for k in ("key", "value")]
    return dict(zip(names, out))


def _as(source: dict, dtype) -> dict:
    """The inputs with float tensors in the PyTorch model's dtype (ONNX Runtime gets them cast to the file's)."""
    return {k: v.to(dtype) if v.is_floating_point() else v for k, v in source.items()}


def _masked(name: str, value: np.ndarray, mask):
    """(value, mask) arranged so the mask [batch, source] covers the leading axes (cache: [b, h, s, d])."""
    if mask is None:
        return value, None
    return (np.swapaxes(value, 1, 2), mask) if name.startswith("present.") else (value, mask)


def compare_export(folder, model, info, dtype: str = "fp32", rtol: float | None = None, provider: str = "cpu",
                   steps: int = NEW_TOKENS) -> dict:
    """Greedy generation and encoder outputs, ONNX Runtime vs PyTorch. Returns the report (``passed``,
    ``reason``, ``agreement``, per-step logits diffs, encoder rows, the shapes used); raises only when a file
    cannot be run."""
    from workbench.core.compare import compare
    from workbench.core.loading.seq2seq import DECODER_FILE, ENCODER_FILE, source_inputs

    rtol = rtol if rtol is not None else RTOL.get(dtype, 1e-3)
    folder = Path(folder)
    enc_session = _ort_session(folder / ENCODER_FILE, provider)
    dec_session = _ort_session(folder / DECODER_FILE, provider)
    rows, encoder_shapes = [], []
    for batch, length, seed in ENCODER_SOURCES:
        source = source_inputs(info, batch, length, seed, pad=True)
        expected = _torch_encoder(model, info, _as(source, model.dtype))
        got = _ort_encoder(enc_session, info, source)
        mask = source["attention_mask"].numpy() if "attention_mask" in source else None
        shape = list(source[info.main_input].shape)
        encoder_shapes.append(shape)
        for name, reference in expected.items():
            actual, keep = _masked(name, got[name], mask)
            stats = compare(actual, _masked(name, reference, mask)[0], keep)
            rows.append({"name": name, "shape": list(got[name].shape), "source": shape, **stats,
                         "passed": bool(stats["max_rel_diff"] <= rtol)})
    batch, length, seed = GENERATION_SOURCE
    source = source_inputs(info, batch, length, seed, pad=True)
    want, want_logits = _torch_greedy(model, info, _as(source, model.dtype), steps)
    have, have_logits = _ort_greedy(enc_session, dec_session, info, source, steps)
    agree = want == have
    per_step, same_so_far = [], np.ones(batch, bool)
    for step, (a, r) in enumerate(zip(have_logits, want_logits)):
        if not same_so_far.all():  # a row took another token: its later logits see other inputs
            break
        stats = compare(a, r)
        per_step.append({"step": step, "max_abs_diff": stats["max_abs_diff"], "max_rel_diff": stats["max_rel_diff"],
                         "cosine": stats["cosine"]})
        same_so_far &= agree[:, step]
    worst_rel = max((s["max_rel_diff"] for s in per_step), default=float("inf"))
    report = {"agreement": float(agree.mean()), "tokens": int(agree.size), "new_tokens": steps,
              "generation_source": list(source[info.main_input].shape),
              "first_divergence": _first_divergence(agree),
              "steps": per_step,
              "max_logits_abs_diff": max((s["max_abs_diff"] for s in per_step), default=float("inf")),
              "max_logits_rel_diff": worst_rel, "encoder": rows, "encoder_shapes": encoder_shapes, "rtol": rtol,
              "onnx_tokens": have.tolist(), "torch_tokens": want.tolist()}
    report["reason"] = _reason(report, rtol)
    report["passed"] = report["reason"] is None
    return report


def _first_divergence(agree: np.ndarray):
    bad = np.argwhere(~agree)
    return None if not len(bad) else {"row": int(bad[0][0]), "step": int(bad[0][1])}


def _reason(report: dict, rtol: float):
    bad = next((r for r in report["encoder"] if not r["passed"]), None)
    if bad is not None:
        return (f"encoder output '{bad['name']}' differs from PyTorch at source {'x'.join(map(str, bad['source']))}: "
                f"max rel diff {bad['max_rel_diff']:.3g} (rtol {rtol:g})")
    if report["agreement"] < 1.0:
        d = report["first_divergence"]
        return (f"greedy generation differs from PyTorch: {report['agreement'] * 100:.1f}% identical tokens, first "
                f"different at row {d['row']}, step {d['step']}")
    if not report["max_logits_rel_diff"] <= rtol:
        return (f"decoder logits differ from PyTorch during greedy generation: max rel diff "
                f"{report['max_logits_rel_diff']:.3g} (rtol {rtol:g})")
    return None


def check_export(folder, model, info, dtype: str = "fp32") -> dict:
    """compare_export, refusing the export when it fails (the staged files are then never published)."""
    from workbench.core.loading.seq2seq import model_failure

    try:
        report = compare_export(folder, model, info, dtype)
    except WorkbenchError as err:
        raise WorkbenchError(f"the exported encoder-decoder fails to run in ONNX Runtime: {err.what}",
                             "re-export with the other --exporter (or another --opset) and validate that folder") from err
    except Exception as err:  # noqa: BLE001 - the model's own code, generating in PyTorch
        raise model_failure(err, model, "generating greedily in PyTorch") from err
    if not report["passed"]:
        raise WorkbenchError(f"the exported encoder-decoder {report['reason']}",
                             "re-export with the other --exporter (or another --opset) and validate that folder")
    return {k: v for k, v in report.items() if k not in ("onnx_tokens", "torch_tokens", "encoder")}


def is_export(path) -> bool:
    """True for a folder written by the encoder-decoder export, or one of its two files."""
    from workbench.core.loading.seq2seq import DECODER_FILE, ENCODER_FILE

    path = Path(path).expanduser()
    folder = path if path.is_dir() else path.parent
    if path.is_file() and path.name not in (ENCODER_FILE, DECODER_FILE):
        return False
    return (folder / ENCODER_FILE).is_file() and (folder / DECODER_FILE).is_file()


def validate_seq2seq(spec, progress=None, cancel=None):
    """`workbench validate DIR --against FOLDER` for an encoder-decoder export: greedy generation and the
    encoder's outputs compared with PyTorch, as a ValidateResult (failed: the CLI exits 1)."""
    from workbench.core import ort
    from workbench.core.loading.seq2seq import DECODER_FILE, ENCODER_FILE, load, read_info
    from workbench.core.jobs import Stages
    from workbench.core.results import ValidateResult
    from workbench.core.onnx_io import check_model

    path = Path(spec.model).expanduser()
    folder = path if path.is_dir() else path.parent
    stages = Stages(["checking", "loading PyTorch", "comparing"], progress, cancel)
    stages.next()
    checks = {name: check_model(str(folder / name)) for name in (ENCODER_FILE, DECODER_FILE)}
    bad = next(((n, c) for n, (c, _) in checks.items() if c != "ok"), None)
    if bad:
        raise WorkbenchError(f"{folder / bad[0]} fails the ONNX checker: {bad[1]}", "re-export the model")
    info = read_info(folder / ENCODER_FILE)
    if info is None:
        raise WorkbenchError(f"{folder / ENCODER_FILE} was not written by the workbench's encoder-decoder export "
                             "(no workbench.seq2seq metadata)", "re-export the model with `workbench export`")
    dtype = ort.model_float_dtype(folder / DECODER_FILE)
    stages.next()
    model, _, _ = load(spec.against, "fp32")
    stages.next()
    try:
        report = compare_export(folder, model, info, dtype, spec.rtol, spec.provider)
    except WorkbenchError:
        raise
    except Exception as err:  # noqa: BLE001 - the model's own code, generating in PyTorch
        from workbench.core.loading.seq2seq import model_failure

        raise model_failure(err, model, "generating greedily in PyTorch") from err
    outputs = _rows(report)
    inference = next((i for _, i in checks.values() if i != "ok"), "ok")
    notes = [f"greedy generation: {report['agreement'] * 100:.1f}% identical tokens ({report['tokens']} tokens, "
             f"{report['new_tokens']} new per row, source {'x'.join(map(str, report['generation_source']))}); "
             f"logits max abs diff per step: " + ", ".join(f"{s['max_abs_diff']:.3g}" for s in report["steps"])]
    if not info.source_dynamic:
        notes.append(f"the source length is fixed ({info.main_input} of {info.feature_shape[-1]} frames): the "
                     "encoder was compared at two batch sizes")
    runs = [{"shape": r["source"], "inputs": {info.main_input: r["source"]}, "outputs": [r]} for r in report["encoder"]]
    runs.append({"shape": report["generation_source"], "generation": {k: report[k] for k in (
        "agreement", "tokens", "new_tokens", "first_divergence", "steps", "onnx_tokens", "torch_tokens")}})
    stages.done("validated")
    shapes = [*dict.fromkeys(tuple(s) for s in report["encoder_shapes"]), tuple(report["generation_source"])]
    return ValidateResult(passed=report["passed"], outputs=outputs, shapes_tried=[list(s) for s in shapes],
                          rtol=report["rtol"], atol=0.0, checker="ok", shape_inference=inference, runs=runs,
                          static=False, notes=notes, reason=report["reason"])


def _rows(report: dict) -> list:
    from workbench.core.results import OutputDiff

    rows, worst = [], {}
    for r in report["encoder"]:
        key = "encoder: " + ("last_hidden_state" if r["name"] == "last_hidden_state" else "present.*.encoder")
        prev = worst.get(key)
        if prev is None or (prev["max_rel_diff"], not prev["passed"]) < (r["max_rel_diff"], not r["passed"]):
            worst[key] = r
    for key, r in worst.items():
        rows.append(OutputDiff(name=key, shape=r["shape"], max_abs_diff=r["max_abs_diff"],
                               max_rel_diff=r["max_rel_diff"], cosine=r["cosine"], passed=r["passed"]))
    steps = report["steps"]
    logits_ok = report["agreement"] == 1.0 and report["max_logits_rel_diff"] <= report["rtol"]
    rows.append(OutputDiff(name=f"decoder: logits over {report['new_tokens']} greedy steps "
                                f"({report['agreement'] * 100:.0f}% tokens identical)",
                           shape=[report["generation_source"][0], report["new_tokens"]],
                           max_abs_diff=report["max_logits_abs_diff"], max_rel_diff=report["max_logits_rel_diff"],
                           cosine=min((s["cosine"] for s in steps), default=-1.0), passed=logits_ok))
    return rows
