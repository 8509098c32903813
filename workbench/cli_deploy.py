"""`workbench deploy ARTIFACT -o DIR --lang python|cpp|java|csharp`: a minimal buildable program for the artifact's
runtime that loads it, feeds inputs of its names, shapes and dtypes and prints the outputs
(workbench/core/deploy/)."""

from __future__ import annotations

LANGS = ("python", "cpp", "java", "csharp")


def add_parser(sub) -> None:
    from workbench.cli import _add_common

    p = sub.add_parser("deploy", help="write a minimal program (Python, C++, Java or C#) that loads the artifact "
                       "with its runtime, feeds its inputs and prints its outputs")
    p.add_argument("artifact", help="an .onnx, OpenVINO .xml, .gguf, or an encrypted .enc")
    p.add_argument("-o", "--output", required=True, help="the folder the program is written into")
    p.add_argument("--lang", choices=LANGS, default="python")
    p.add_argument("--force", action="store_true", help="replace the files of an existing program there")
    _add_common(p)
    p.set_defaults(func=cmd_deploy)


def cmd_deploy(args):
    from workbench.core.deploy import deploy

    return deploy(args.artifact, args.output, args.lang, force=args.force)
