"""What each `workbench` command does with its parsed arguments: one ``cmd_NAME(args)`` per command, a thin call
into workbench.api returning the result the CLI prints (cli.py holds the parser, ``main`` and the one-line errors;
``workbench gui`` stays there, the CLI's one import of the GUI). Never imports Qt.
"""

from __future__ import annotations


_QUIET = [False]  # --quiet of the command being run (set by main)


def _progress_printer(json_mode: bool):
    """Progress on stderr (stdout is kept for --json): rich bars with rate and ETA, workbench/cli_progress.py."""
    from workbench.cli_progress import printer

    return printer(quiet=_QUIET[0], json_mode=json_mode)


def _source(args, path: str):
    from workbench.core.specs import ModelSource

    return ModelSource(path=path, weights=getattr(args, "weights", None),
                       trust_code=getattr(args, "trust_code", False), task=getattr(args, "task", None))


def _shapes(items) -> dict:
    from workbench.core.errors import WorkbenchError
    from workbench.core.loading.model import parse_shape

    shapes = {}
    for item in items or []:
        name, sep, dims = item.partition("=")
        if not sep or not name:
            raise WorkbenchError(f"bad --shape '{item}'", "write NAME=DIMS, e.g. pixel_values=2x3x32x32")
        shapes[name] = parse_shape(dims)
    return shapes


def cmd_inspect(args):
    from workbench import api

    return api.inspect(args.path)


def cmd_export(args):
    from workbench import api
    from workbench.core.dynamic_axes import parse_dynamic
    from workbench.core.specs import ExportSpec, InputSpec

    spec = ExportSpec(
        source=_source(args, args.src), output=args.output, target=args.target, exporter=args.exporter,
        fallback=not args.no_fallback, opset=args.opset, dtype=args.dtype,
        constant_folding=not args.no_constant_folding, export_params=not args.no_params,
        input_names=tuple(args.input_names) if args.input_names else None,
        output_names=tuple(args.output_names) if args.output_names else None,
        dynamic_axes=parse_dynamic(args.dynamic) if args.dynamic else None,
        inputs=InputSpec(batch=args.batch, sequence=args.seq, shapes=_shapes(args.shape)), quant=args.quant,
        calibration=args.calibration, optimize_level=args.optimize_level,
        external_data=True if args.external_data else None, force=args.force)
    return api.export(spec, progress=_progress_printer(args.json))


def cmd_validate(args):
    from workbench import api

    if str(args.model).lower().endswith(".gguf"):  # GGUF: llama.cpp vs PyTorch on prompts (core/gguf_validate.py)
        from workbench.core.gguf_validate import validate_gguf
        return validate_gguf(args.model, args.against)
    return api.validate(args.model, against=_source(args, args.against), rtol=args.rtol, atol=args.atol,
                        locate=args.locate, input_shapes=_shapes(args.shape) or None,
                        runtime=args.runtime, provider=args.provider, progress=_progress_printer(args.json))


def cmd_optimize(args):
    from workbench import api

    return api.optimize(args.model, args.output, level=args.level, simplify=args.simplify,
                        fusion=not args.no_fusion, against=_source(args, args.against) if args.against else None,
                        target=args.target, force=args.force, fp16_outputs=args.fp16_outputs,
                        progress=_progress_printer(args.json))


def cmd_quantize(args):
    from workbench import api

    return api.quantize(args.model, args.output, mode=args.mode, per_channel=args.per_channel,
                        calibration=args.calibration, tokenizer=args.tokenizer, method=args.method,
                        op_types=tuple(args.op_types) if args.op_types else None, exclude=tuple(args.exclude),
                        block_size=args.block_size, algorithm=args.algorithm, symmetric=args.symmetric,
                        min_cosine=args.min_cosine, max_excluded=args.max_excluded,
                        force=args.force, progress=_progress_printer(args.json))


def cmd_bench(args):
    from workbench import api

    gguf = len(args.model) == 1 and not args.runtime and _decoder_gguf(args.model[0])
    if args.generate or gguf:
        return api.bench_generate(args.model, _source(args, args.compare_torch) if args.compare_torch else None,
                                  prompt_tokens=args.seq, max_new_tokens=args.max_new_tokens,
                                  batch=args.batch if args.batch > 1 or gguf else 4, provider=args.provider,
                                  threads=args.threads, kv_cache=args.kv_cache, progress=_progress_printer(args.json))
    if len(args.model) > 1 or args.compare_torch:  # one process per variant: its own peak RSS (cli_bench.py)
        return _bench_isolated(args)
    return api.bench(args.model[0], provider=args.provider, batch=args.batch, sequence=args.seq,
                     iterations=args.iterations, warmup=args.warmup, time_budget_s=args.time_budget,
                     threads=args.threads, cuda_graph=args.cuda_graph, trust_code=args.trust_code,
                     runtime=args.runtime, runtime_options=_runtime_options(args),
                     progress=_progress_printer(args.json))


def _decoder_gguf(path: str) -> bool:
    """A decoder .gguf benches its generation (prompt processing, decode, TTFT, memory): --generate implied."""
    from workbench.core.runtimes.llama_decoder import is_decoder_gguf

    return is_decoder_gguf(path)


def _bench_isolated(args):
    from workbench.cli_bench import compare
    from workbench.core.specs import BenchSpec

    spec = BenchSpec(model=args.model[0], provider=args.provider, batch=args.batch, sequence=args.seq,
                     iterations=args.iterations, warmup=args.warmup, time_budget_s=args.time_budget,
                     threads=args.threads, cuda_graph=args.cuda_graph, trust_code=args.trust_code,
                     runtime=args.runtime, runtime_options=_runtime_options(args))
    return compare(args.model, spec, _source(args, args.compare_torch) if args.compare_torch else None,
                   progress=_progress_printer(args.json))


def _runtime_options(args) -> dict:
    """bench's runtime settings: OpenVINO's, as benchmark_app names them (--hint, --streams), llama.cpp's
    --kv-cache."""
    options = {"hint": args.hint.upper()} if args.hint else {}
    if args.streams is not None:
        options["streams"] = args.streams.upper()
    if args.kv_cache is not None:
        if not all(str(m).lower().endswith(".gguf") for m in args.model):
            from workbench.core.errors import WorkbenchError

            raise WorkbenchError("--kv-cache is llama.cpp's setting: every model benched with it must be a .gguf",
                                 "leave --kv-cache out, or bench the .gguf files on their own")
        options["kv_cache"] = args.kv_cache
    return options


def cmd_generate(args):
    from workbench import api
    from workbench.core.errors import WorkbenchError

    prompt = args.prompt
    if args.prompt_ids is not None:
        try:
            prompt = [int(t) for t in args.prompt_ids.replace(",", " ").split()]
        except ValueError:
            raise WorkbenchError(f"bad --prompt-ids '{args.prompt_ids}'", "give token ids like 1,2,3") from None
    return api.generate(args.model, prompt, args.max_new_tokens, temperature=args.temperature, top_k=args.top_k,
                        top_p=args.top_p, seed=args.seed, provider=args.provider, threads=args.threads,
                        compare_torch=_source(args, args.compare_torch) if args.compare_torch else None,
                        kv_cache=args.kv_cache, progress=_progress_printer(args.json))


def cmd_run(args):
    from workbench import api

    return api.run(args.recipe, args.output, progress=_progress_printer(args.json), overwrite=args.force,
                   trust_code=args.trust_code)


def cmd_demo(args):
    from workbench import api

    return api.demo(args.output, progress=_progress_printer(args.json), quick=args.quick, force=args.force)


def cmd_plugins(args):
    from workbench.core.registry import default_registry

    reg = default_registry()
    return {"loaders": {n: l.origin for n, l in reg.loaders.items()},
            "targets": {n: {"description": t.description, "origin": t.origin} for n, t in reg.targets.items()},
            "broken": [{"origin": o, "error": e} for o, e in reg.broken]}


class _Listing:
    """A command's rows: JSON through to_dict, a table as text."""

    def __init__(self, data, text: str):
        self.data, self.text = data, text

    def to_dict(self):
        return self.data

    def __str__(self) -> str:
        return self.text


def cmd_runtimes(args):
    from workbench import api
    from workbench.core.render import table

    rows = api.runtimes()
    text = table(["runtime", "opens", "available", "version", "devices", "description"],
                 [[r["name"], " ".join(r["opens"]), "yes" if r["available"] else "no", r["version"],
                   ", ".join(r["devices"]), r["description"]] for r in rows])
    missing = [f"{r['name']}: {r['hint']}" for r in rows if not r["available"]]
    return _Listing({"runtimes": rows}, text + "".join(f"\ninstall {m}" for m in missing))
