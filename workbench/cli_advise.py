"""`workbench advise SRC [--device cpu|cuda] [--memory GB]`: the route and GGUF quant type that fit this model on
this machine, from the workbench's own measurements (workbench/core/gguf/advise.py; registered by workbench.cli,
never imports Qt)."""

from __future__ import annotations


def add_parser(sub) -> None:
    from workbench.cli import _add_common

    p = sub.add_parser("advise", help="which route and quant type fit a model on this machine (measured "
                       "fidelity, speed and size per GGUF type), explained in two lines")
    p.add_argument("model", help="a Hugging Face model folder (config.json + *.safetensors)")
    p.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    p.add_argument("--memory", type=float, metavar="GB", help="the memory budget (default: the available RAM, or "
                   "the free GPU memory with --device cuda)")
    _add_common(p)
    p.set_defaults(func=cmd_advise)


def cmd_advise(args):
    from workbench import api

    return api.advise(args.model, device=args.device, memory_gb=args.memory)
