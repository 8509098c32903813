"""`workbench sweep SWEEP.toml`: the sweep command (registered by workbench.cli; never imports Qt)."""

from __future__ import annotations


def add_parser(sub) -> None:
    p = sub.add_parser("sweep", help="run a sweep file: models x variants x batch / sequence / threads / "
                       "providers, locally or on Ray; one report with curves, Pareto front and a recommendation")
    p.add_argument("sweep", help="the sweep file (.toml or .yaml)")
    p.add_argument("-o", "--output", help="output folder (default: the sweep file's output_dir); run again into "
                   "the same folder to reuse every artifact and finished cell")
    p.add_argument("--cluster", default="local", metavar="local|ray[:ADDRESS]",
                   help="local (default: child processes), ray:local (starts a local Ray), ray:auto (joins the "
                        "running cluster) or ray:HOST:PORT")
    p.add_argument("--cache", metavar="DIR", help="the artifact cache (default: OUTPUT/artifacts); on a Ray "
                   "cluster, a folder every node mounts")
    p.add_argument("--artifacts", choices=["shared", "object-store"], default="shared",
                   help="on Ray: artifacts in the --cache folder every node mounts (shared, default), or through "
                        "Ray's object store for nodes that share no folder (small and medium models)")
    p.add_argument("--jobs", type=int, metavar="N", help="builds at a time (default: CPUs, at most 4)")
    p.add_argument("--max-latency-ms", type=float, metavar="MS", help="the recommendation's budget: p50 at most "
                   "this (default: the sweep file's [budget])")
    p.add_argument("--min-cosine", type=float, metavar="C", help="the recommendation's budget: cosine vs "
                   "PyTorch at least this")
    p.add_argument("--force", action="store_true", help="use an output folder that holds other files")
    p.add_argument("--json", action="store_true", help="print the result as JSON on stdout")
    p.add_argument("--debug", action="store_true", help="show the traceback on failure")
    p.set_defaults(func=cmd_sweep)


def cmd_sweep(args):
    from workbench import api
    from workbench.cli import _progress_printer
    from workbench.core.errors import WorkbenchError

    if args.jobs is not None and args.jobs < 1:
        raise WorkbenchError(f"--jobs {args.jobs}", "give 1 or more")
    return api.sweep(args.sweep, args.output, cluster=args.cluster, cache=args.cache, jobs=args.jobs,
                     max_latency_ms=args.max_latency_ms, min_cosine=args.min_cosine, force=args.force,
                     artifacts=args.artifacts, progress=_progress_printer(args.json))
