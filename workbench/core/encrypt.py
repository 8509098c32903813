"""`workbench encrypt`: an artifact sealed into workbench.core.crypto's AES-256-GCM container, with its inputs and
outputs (read through its runtime) in the authenticated header. Apart from crypto.py so that the runtimes, which
decrypt through crypto, and this module, which reads tensors through the runtimes, form no import cycle."""

from __future__ import annotations

import json
import os
import struct
from pathlib import Path

from workbench.core.errors import WorkbenchError


def _tensors(values) -> list:
    return [{"name": v.name, "shape": list(v.shape), "dtype": v.dtype} for v in values]


def _onnx_members(path: Path) -> tuple[list, bytes]:
    """The model with its external data folded in, serialized (read from the files, kept in memory)."""
    import onnx

    model = onnx.load(str(path), load_external_data=True)
    for init in model.graph.initializer:
        if init.data_location == onnx.TensorProto.EXTERNAL:  # onnx.load folded it already; belt and braces
            raise WorkbenchError(f"{path}: initializer {init.name} still points at external data",
                                 "keep the model's .data file beside it")
    data = model.SerializeToString()
    return [{"name": path.name, "size": len(data)}], data


def _openvino_members(path: Path) -> tuple[list, bytes]:
    weights = path.with_suffix(".bin")
    if not weights.is_file():
        raise WorkbenchError(f"{path}: its weights file {weights.name} is missing",
                             "keep the .xml and .bin an export wrote side by side")
    xml, bin_ = path.read_bytes(), weights.read_bytes()
    return [{"name": path.name, "size": len(xml)}, {"name": weights.name, "size": len(bin_)}], xml + bin_


def encrypt(model: str | os.PathLike, out: str | os.PathLike, key: bytes, *, force: bool = False) -> dict:
    """Encrypt an .onnx (with its external data) or an OpenVINO .xml (with its .bin) into ``out``."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    from workbench.core.crypto import LIMIT, MAGIC
    from workbench.core.fsutil import staged_output
    from workbench.core.runtimes.base import RuntimeOptions
    from workbench.core.runtimes.select import open_artifact

    model = Path(model)
    if not model.is_file():
        raise WorkbenchError(f"{model}: no such file", "give an exported .onnx or OpenVINO .xml")
    suffix = model.suffix.lower()
    if suffix == ".onnx":
        fmt, (members, plain) = "onnx", _onnx_members(model)
    elif suffix == ".xml":
        fmt, (members, plain) = "openvino", _openvino_members(model)
    elif suffix == ".gguf":
        raise WorkbenchError(f"{model}: llama.cpp loads a GGUF only from a file path, so an encrypted one could "
                             "not run without a plaintext copy on disk", "encrypt an .onnx or OpenVINO .xml")
    else:
        raise WorkbenchError(f"{model}: cannot encrypt a '{suffix}' file", "give an .onnx or OpenVINO .xml")
    if len(plain) > LIMIT - 16:
        raise WorkbenchError(f"{model} is {len(plain) / 2**30:.1f} GiB; encrypted models are limited to 2 GiB",
                             "quantize it (int8/int4) first")
    _, session = open_artifact(model, RuntimeOptions(), name="onnxruntime" if fmt == "onnx" else "openvino")
    header = {"format": fmt, "cipher": "AES-256-GCM", "members": members,
              "inputs": _tensors(session.inputs()), "outputs": _tensors(session.outputs())}
    session.close()
    head = json.dumps(header).encode()
    prefix = MAGIC + struct.pack("<I", len(head)) + head
    nonce = os.urandom(12)
    sealed = AESGCM(key).encrypt(nonce, plain, prefix)
    with staged_output(out, force=force, inputs=[model]) as staged:
        staged.write_bytes(prefix + nonce + sealed)
    return {"output": str(out), "format": fmt, "members": members, "bytes": len(prefix) + 12 + len(sealed)}
