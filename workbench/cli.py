"""The `workbench` command line: a thin layer over workbench.api (never imports Qt). This module is the parser,
``main`` and the one line every failure ends as; what each command does is cli_commands.py's (and the cli_*.py
modules' of the later commands).

Size: just over 300 lines because build_parser is the one table of every command's flags (~180 lines), kept in one
place so that `--help` and the CLI contract test read one definition.

Exit codes: 0 ok; 1 failed, with one line on stderr saying what and what to do (the traceback with --debug);
2 usage.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback

from workbench import __version__
from workbench.cli_commands import (  # noqa: F401 - _progress_printer, _shapes, _source: importable from here
    _QUIET, _progress_printer, _shapes, _source, cmd_bench, cmd_demo, cmd_export, cmd_generate, cmd_inspect,
    cmd_optimize, cmd_plugins, cmd_quantize, cmd_run, cmd_runtimes, cmd_validate)


def cmd_gui(args):
    from workbench.gui.app import main as gui_main

    argv = ([args.path] if args.path else []) + (["--demo"] if args.demo else [])
    raise SystemExit(gui_main(argv))


def _add_force(p):
    p.add_argument("--force", action="store_true", help="replace existing files of yours at the output (never "
                   "folders, devices, the input, or what a link points to; the workbench's own earlier outputs "
                   "are replaced without it)")


def _add_runtime(p):
    p.add_argument("--runtime", metavar="NAME", help="the runtime that runs the model (default: the one that opens "
                   "its suffix; `workbench runtimes` lists them)")


def _add_kv_cache(p):
    p.add_argument("--kv-cache", choices=("f16", "f32"), help="llama.cpp (a .gguf): the KV cache type; f16 is "
                   "llama.cpp's default, f32 adds no rounding of its own (generate --compare-torch uses it unless "
                   "told: it measures the file)")


def _add_common(p, source_flags: bool = False):
    p.add_argument("--json", action="store_true", help="print the result as JSON on stdout")
    p.add_argument("--quiet", action="store_true", help="no progress display (errors and the result still print)")
    p.add_argument("--debug", action="store_true", help="show the traceback on failure")
    if source_flags:
        p.add_argument("--weights", help="weights file for a model.py:ClassName source")
        p.add_argument("--trust-code", action="store_true",
                       help="allow running the user's code: a model.py:ClassName source, or a TorchScript / "
                            "torch.export (.pt2) file, is a program that runs")
        p.add_argument("--task", help="feature-extraction, text-generation, text-generation-with-past (a decoder "
                                      "with a KV cache, for `workbench generate`; an encoder-decoder model exports "
                                      "encoder_model.onnx + decoder_with_past_model.onnx to -o DIR, also by "
                                      "default), fill-mask, text-classification, image-classification (default: "
                                      "from config.json)")


def build_parser() -> argparse.ArgumentParser:
    from workbench.core.specs import CALIBRATION_METHODS, DTYPES, EXPORTERS, OPT_LEVELS, QUANT_MODES

    parser = argparse.ArgumentParser(prog="workbench", description="Take a trained model to deployment: "
                                     "export to ONNX, validate against PyTorch, optimize, quantize, benchmark.")
    parser.add_argument("--version", action="version", version=f"workbench {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("inspect", help="show what a checkpoint, model folder or ONNX file holds")
    p.add_argument("path")
    _add_common(p)
    p.set_defaults(func=cmd_inspect)

    p = sub.add_parser("export", help="export a model to ONNX (or another target)")
    p.add_argument("src", help="model folder, checkpoint, .pt2/TorchScript file, or model.py:ClassName")
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--target", default="onnx")
    p.add_argument("--exporter", choices=EXPORTERS + ("openvino",), default="dynamo",
                   help="openvino: --target openvino straight from PyTorch (ov.convert_model), no ONNX")
    p.add_argument("--no-fallback", action="store_true", help="fail instead of falling back to the legacy exporter")
    p.add_argument("--opset", type=int)
    p.add_argument("--dtype", choices=DTYPES, default="fp32")
    p.add_argument("--dynamic", nargs="+", metavar="INPUT:AXIS=NAME", help="dynamic axes, e.g. input_ids:1=seq")
    p.add_argument("--no-constant-folding", action="store_true")
    p.add_argument("--no-params", action="store_true", help="export without the weights (export_params=False)")
    p.add_argument("--input-names", nargs="+")
    p.add_argument("--output-names", nargs="+")
    p.add_argument("--batch", type=int, default=2, help="example batch size (at least 2 on dynamic axes)")
    p.add_argument("--seq", type=int, default=8, help="example sequence length")
    p.add_argument("--shape", nargs="+", metavar="NAME=DIMS", help="example input shapes, e.g. x=2x3x32x32")
    p.add_argument("--external-data", action="store_true", help="always write weights to model.onnx.data")
    p.add_argument("--quant", help="--target gguf: auto (default, as llama.cpp's converter: f16, or bf16 for a "
                                   "bf16 checkpoint; --dtype fp16|bf16 picks that), f32, f16, bf16, q8_0, q4_0, "
                                   "q4_1, q5_0, q5_1, q4_k_m, q5_k_m, q6_k; "
                                   "--target openvino: int8, int4 (NNCF weight compression)")
    p.add_argument("--calibration", help="--target openvino --quant: calibration samples (as quantize's), data-aware")
    p.add_argument("--optimize-level", type=int, choices=(0, 1, 2),
                   help="--target mnn: MNNConvert's --optimizeLevel (0 none, 1 always-right rewrites: default, 2 more)")
    _add_force(p)
    _add_common(p, source_flags=True)
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("validate", help="check an exported model and compare it with PyTorch")
    p.add_argument("model")
    p.add_argument("--against", required=True, help="the PyTorch source the model was exported from")
    p.add_argument("--rtol", type=float)
    p.add_argument("--atol", type=float)
    p.add_argument("--locate", action="store_true",
                   help="also find the first node whose output diverges from PyTorch (module by module)")
    p.add_argument("--shape", nargs="+", metavar="NAME=DIMS",
                   help="input shapes for sources without stored ones (.pt2, TorchScript, model.py), e.g. "
                        "x=2x3x32x32; also compared at batch + 1 where the file's batch is dynamic")
    _add_runtime(p)
    p.add_argument("--provider", default="cpu", help="the device the runtime runs on: cpu, cuda, or a device "
                   "name the runtime knows (`workbench runtimes` lists them)")
    _add_common(p, source_flags=True)
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("optimize", help="onnxslim + ONNX Runtime graph optimization + transformer fusion")
    p.add_argument("model")
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--level", choices=OPT_LEVELS, default="extended")
    p.add_argument("--simplify", action="store_true", help="run onnxslim first")
    p.add_argument("--no-fusion", action="store_true", help="skip ONNX Runtime transformer fusion")
    p.add_argument("--target", choices=("cpu", "cuda"), default="cpu",
                   help="cuda: attention/LayerNorm/GELU fusion for the CUDA provider and fp16 (fp32 inputs/outputs)")
    p.add_argument("--fp16-outputs", action="store_true",
                   help="--target cuda: float16 outputs, no Cast to float32 at the end (e.g. logits read on the GPU)")
    p.add_argument("--against", help="re-validate against this PyTorch source")
    _add_force(p)
    _add_common(p, source_flags=True)
    p.set_defaults(func=cmd_optimize)

    p = sub.add_parser("quantize", help="int8 dynamic/static, fp16, int4/int8 weight-only")
    p.add_argument("model")
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--mode", choices=QUANT_MODES, required=True)
    p.add_argument("--calibration", help="folder of .npy/.npz samples or a .txt file of lines")
    p.add_argument("--tokenizer", help="folder with the tokenizer (for .txt calibration)")
    p.add_argument("--method", choices=CALIBRATION_METHODS, default="minmax")
    p.add_argument("--op-types", nargs="+")
    p.add_argument("--per-channel", action=argparse.BooleanOptionalAction, default=True,
                   help="per-channel int8 weights (default; --no-per-channel for per-tensor)")
    p.add_argument("--exclude", nargs="+", default=[], metavar="NODE")
    p.add_argument("--min-cosine", type=float, metavar="C",
                   help="int8-dynamic: keep the most sensitive nodes in float32 until the fidelity cosine is at "
                        "least C (default 0.99, best effort; given: required; 0: off)")
    p.add_argument("--max-excluded", type=int, metavar="N", help="with --min-cosine: at most N nodes in float32")
    p.add_argument("--block-size", type=int, default=128)
    p.add_argument("--algorithm", choices=("rtn", "hqq", "gptq"), default="rtn")
    p.add_argument("--symmetric", action="store_true")
    _add_force(p)
    _add_common(p)
    p.set_defaults(func=cmd_quantize)

    p = sub.add_parser("bench", help="latency, throughput and memory on ONNX Runtime (and PyTorch)")
    p.add_argument("model", nargs="+", help="an .onnx file (several decoders, or their folders, with --generate); "
                   "a decoder .gguf benches its generation in llama.cpp (--generate implied; --runtime llama.cpp "
                   "times one forward pass instead)")
    p.add_argument("--provider", choices=("cpu", "cuda"), default="cpu")
    p.add_argument("--batch", type=int, default=1, help="batch size (a .gguf: llama.cpp runs the batch's sequences "
                   "one after another and says so, with per-sequence numbers)")
    p.add_argument("--seq", type=int, default=128)
    p.add_argument("--iterations", type=int, default=100)
    p.add_argument("--warmup", type=int, default=10)
    p.add_argument("--time-budget", type=float, help="stop after this many seconds")
    p.add_argument("--threads", type=int)
    p.add_argument("--cuda-graph", action="store_true")
    p.add_argument("--hint", choices=("latency", "throughput"), help="openvino: benchmark_app's -hint (throughput: "
                   "OpenVINO's optimal number of requests in flight)")
    p.add_argument("--streams", help="openvino: benchmark_app's -nstreams (a number or auto)")
    p.add_argument("--compare-torch", metavar="SRC", help="also run PyTorch eager on the same inputs")
    _add_runtime(p)
    p.add_argument("--generate", action="store_true", help="benchmark generation: time to first token, decode "
                   "latency, tokens/s at batch 1 and --batch (4 when 1), peak memory; --seq is the prompt length")
    p.add_argument("--max-new-tokens", type=int, default=32, help="tokens generated per run with --generate")
    _add_kv_cache(p)
    _add_common(p, source_flags=True)
    p.set_defaults(func=cmd_bench)

    p = sub.add_parser("generate", help="generate text with an exported decoder (or the PyTorch model)")
    p.add_argument("model", help="a folder written by export --task text-generation-with-past, its .onnx file, "
                                 "a .gguf (llama.cpp), a decoder .xml (OpenVINO) or .mnn (MNN), "
                                 "an encoder-decoder export folder (the prompt is its source text), "
                                 "or a Hugging Face model folder (PyTorch)")
    prompt = p.add_mutually_exclusive_group(required=True)
    prompt.add_argument("--prompt", help="the prompt text (encoded with the folder's tokenizer)")
    prompt.add_argument("--prompt-ids", metavar="IDS", help="the prompt as token ids, e.g. 1,2,3")
    p.add_argument("--max-new-tokens", type=int, default=32)
    p.add_argument("--temperature", type=float, default=0.0, help="0: greedy (default); above 0: sampling")
    p.add_argument("--top-k", type=int, default=0)
    p.add_argument("--top-p", type=float, default=1.0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--provider", choices=("cpu", "cuda"), default="cpu")
    p.add_argument("--threads", type=int, help="intra-op threads (ONNX Runtime, PyTorch, llama.cpp)")
    p.add_argument("--compare-torch", metavar="SRC", help="also generate with PyTorch from SRC and report the "
                                                          "token-for-token agreement")
    _add_kv_cache(p)
    _add_common(p)
    p.set_defaults(func=cmd_generate)

    p = sub.add_parser("run", help="run a recipe file (TOML or YAML)")
    p.add_argument("recipe")
    p.add_argument("-o", "--output", help="output folder (default: the recipe's output_dir)")
    p.add_argument("--trust-code", action="store_true",
                   help="honour the recipe's trust_code = true (its source's code runs: model.py, .pt2, TorchScript)")
    _add_force(p)
    _add_common(p)
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("demo", help="build the built-in demo model and run the whole pipeline on it")
    p.add_argument("-o", "--output", default="workbench-demo")
    p.add_argument("--quick", action="store_true", help="fewer benchmark iterations")
    _add_force(p)
    _add_common(p)
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("gui", help="open the desktop workbench")
    p.add_argument("path", nargs="?")
    p.add_argument("--demo", action="store_true", help="walk the whole pipeline on the demo model")
    _add_common(p)
    p.set_defaults(func=cmd_gui)

    p = sub.add_parser("plugins", help="list loaders, targets and broken plugins")
    _add_common(p)
    p.set_defaults(func=cmd_plugins)

    p = sub.add_parser("runtimes", help="list the runtimes: what each opens, version, availability, devices")
    _add_common(p)
    p.set_defaults(func=cmd_runtimes)

    from workbench import cli_advise, cli_sweep

    cli_sweep.add_parser(sub)
    cli_advise.add_parser(sub)
    from workbench import cli_deploy, cli_encrypt

    cli_deploy.add_parser(sub)
    cli_encrypt.add_parser(sub)
    return parser


def _print_result(result, as_json: bool) -> None:
    from workbench.core.render import render_text

    data = result.to_dict() if hasattr(result, "to_dict") else result
    if as_json:
        print(json.dumps(data, indent=2, default=str))
    else:
        print(render_text(result))


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from workbench.core.errors import WorkbenchError
    from workbench.core.quiet import keep_local, quiet_onnxruntime, quiet_warnings

    keep_local(offline=True)
    quiet_warnings(args.debug)  # third-party warnings go to the log (shown with --debug)
    if args.command not in ("inspect", "plugins", "runtimes", "gui"):
        quiet_onnxruntime(args.debug)  # ORT's own log lines at ERROR before any session

    from workbench.core.fsutil import Terminated, terminate_on_sigterm

    if args.command != "gui":
        terminate_on_sigterm()  # SIGTERM unwinds like Ctrl-C: staging and work folders are removed
    from workbench import cli_progress

    _QUIET[0] = bool(getattr(args, "quiet", False))
    try:
        try:
            result = args.func(args)
        finally:
            cli_progress.close()  # the live bar ends before the result or the error line prints
    except Terminated:
        print(f"workbench {args.command}: terminated (SIGTERM); nothing was written", file=sys.stderr)
        return 143
    except KeyboardInterrupt:
        print("workbench: interrupted; nothing was written", file=sys.stderr)
        return 1
    except WorkbenchError as err:
        if args.debug:
            traceback.print_exc()
        print(f"workbench {args.command}: {err.one_line()}", file=sys.stderr)
        return 1
    except MemoryError:
        print(f"workbench {args.command}: out of memory; close other programs or use a smaller model/batch",
              file=sys.stderr)
        return 1
    except Exception as err:  # noqa: BLE001 - the last line of defence: still one line, no traceback
        if args.debug:
            traceback.print_exc()
        print(f"workbench {args.command}: {_unclassified(err)}", file=sys.stderr)
        return 1
    _print_result(result, args.json)
    ok, reason = result.outcome() if hasattr(result, "outcome") else (True, None)
    if not ok:  # the result is printed (and any report written); the exit code says it failed
        print(f"workbench {args.command}: {reason}", file=sys.stderr)
        return 1
    return 0


UNCLASSIFIED = "--debug prints the full traceback"  # ends the line of an exception no engine step classified


def _unclassified(err: BaseException) -> str:
    """One line for an exception no engine step turned into a WorkbenchError: the exporter's classification
    (operator, data-dependent control flow, the model's code line) when it came from an exporter, else the
    exception with where it was raised, and what to do."""
    from workbench.core.errors import first_line
    from workbench.core.errors import code_site
    from workbench.core.export.errors import explain, failing_operator

    text = str(err)
    if failing_operator(err) or "torch.export" in text or "torch.onnx" in text or "dynamo" in text.lower():
        what, hint = explain(err, "the")
        return f"{what}; {hint}; {UNCLASSIFIED}"
    first = first_line(err) if text.strip() else ""
    site = code_site(err)
    where = f" at {site}" if site else ""
    return (f"{type(err).__name__}{where}: {first}; check the input it names (`workbench inspect` shows what "
            f"the workbench reads from it); {UNCLASSIFIED}")


if __name__ == "__main__":
    raise SystemExit(main())
