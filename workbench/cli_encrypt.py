"""`workbench encrypt MODEL -o MODEL.enc [--key-file PATH | --new-key PATH | --key-env NAME]`: AES-256-GCM at
rest (workbench/core/crypto.py). The key is never an argument: a file, or an environment variable's hex."""

from __future__ import annotations


def add_parser(sub) -> None:
    from workbench.cli import _add_common

    p = sub.add_parser("encrypt", help="encrypt an .onnx (external data included) or OpenVINO .xml with AES-256-GCM; "
                       "the workbench's runtimes and deploy programs decrypt it into memory only")
    p.add_argument("model", help="an exported .onnx or OpenVINO model.xml")
    p.add_argument("-o", "--output", required=True, help="the encrypted file (MODEL.enc)")
    key = p.add_mutually_exclusive_group()
    key.add_argument("--key-file", metavar="PATH", help="the key: 32 raw bytes or 64 hex characters")
    key.add_argument("--new-key", metavar="PATH", help="make a new random key file (mode 0600) and use it")
    p.add_argument("--key-env", default="WORKBENCH_MODEL_KEY", metavar="NAME",
                   help="environment variable with the key's hex when no key file is given")
    p.add_argument("--force", action="store_true", help="replace an existing output")
    _add_common(p)
    p.set_defaults(func=cmd_encrypt)


class EncryptResult(dict):
    def to_dict(self):
        return dict(self)

    def __str__(self):
        names = ", ".join(m["name"] for m in self["members"])
        return f"encrypted {names} ({self['format']}) into {self['output']} ({self['bytes']} bytes, AES-256-GCM)"


def cmd_encrypt(args):
    from pathlib import Path

    from workbench.core import crypto
    from workbench.core.fsutil import check_output

    check_output(args.output, force=args.force, inputs=[Path(args.model)])
    if args.new_key:
        key = crypto.load_key(crypto.new_key(args.new_key))
    else:
        key = crypto.load_key(args.key_file, env=args.key_env)
    from workbench.core.encrypt import encrypt

    return EncryptResult(encrypt(args.model, args.output, key, force=args.force))
