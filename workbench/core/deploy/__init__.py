"""The deployment kit: ``deploy(artifact, folder, lang)`` writes a minimal, buildable program for the artifact's
runtime that loads it, feeds inputs of its names, shapes and dtypes and prints its outputs.

ONNX (.onnx): ONNX Runtime's Python, C++ (CMake), Java (Maven) and C# (.csproj) APIs. OpenVINO IR (.xml): OpenVINO's
Python and C++ APIs (OpenVINO has no official Java/C# API). GGUF: llama-cpp-python. An encrypted .enc
(workbench encrypt) is decrypted into memory by the program itself (cryptography, OpenSSL, javax.crypto,
System.Security.Cryptography), key from $WORKBENCH_MODEL_KEY_FILE or $WORKBENCH_MODEL_KEY. Beside the program of
a plain .onnx, ``tensorrt.sh`` holds the trtexec and Polygraphy lines for it (core/tensorrt_profile.py).

Every program fills input element i of input j with the same values (:func:`example_feeds` is the reference):
floats ``((i * 7 + j * 3) % 23) / 10 - 1.1``, integers ``(i + j) % 5``, booleans ``i % 2 == 0``; dynamic
dimensions are 2. Each output prints as one line ``OUTPUT name shape=AxB sum=S first=v0,v1,...`` (8 values at
most), so tests compare them with the workbench's own run on the same feeds.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from workbench.core.errors import WorkbenchError

LANGS = ("python", "cpp", "java", "csharp")
DYNAMIC = 2  # the size every program gives a dynamic dimension
SUPPORTED = ("float32", "int64", "int32", "bool")
MARKER = "workbench-deploy.json"  # what the artifact and language were; --force replaces only such a folder


@dataclass
class Spec:
    """What a program needs to know of the artifact (read without running or decrypting it)."""

    path: str
    kind: str  # "onnx" | "openvino" | "gguf"
    inputs: list  # [{"name", "shape" (ints, DYNAMIC where dynamic), "dtype"}]
    outputs: list
    encrypted: dict | None = None  # {"sizes": [member sizes]} for a .enc


@dataclass
class DeployResult:
    folder: str
    lang: str
    runtime: str
    files: list = field(default_factory=list)
    build: str = ""

    def to_dict(self) -> dict:
        return dict(self.__dict__)

    def __str__(self) -> str:
        return (f"wrote a {self.lang} program for {self.runtime} into {self.folder}: {', '.join(self.files)}\n"
                f"build and run: {self.build}")


def _fixed(shape) -> list:
    return [d if isinstance(d, int) and d > 0 else DYNAMIC for d in shape]


def describe(artifact) -> Spec:
    from workbench.core import crypto

    path = Path(artifact)
    if not path.is_file():
        raise WorkbenchError(f"{path}: no such file", "give an exported .onnx, OpenVINO .xml, .gguf or .enc")
    if crypto.is_encrypted(path):
        header, _, _ = crypto.read_header(path)
        ios = [[{**t, "shape": _fixed(t["shape"])} for t in header[k]] for k in ("inputs", "outputs")]
        return Spec(str(path.resolve()), header["format"], *ios,
                    encrypted={"sizes": [m["size"] for m in header["members"]]})
    suffix = path.suffix.lower()
    if suffix == ".gguf":
        return Spec(str(path.resolve()), "gguf", [], [])
    if suffix not in (".onnx", ".xml"):
        raise WorkbenchError(f"{path}: the deployment kit takes .onnx, .xml, .gguf or .enc, not '{suffix}'",
                             "export the model first (workbench export)")
    from workbench.core.runtimes.base import RuntimeOptions
    from workbench.core.runtimes.select import open_artifact

    _, session = open_artifact(path, RuntimeOptions(), name="onnxruntime" if suffix == ".onnx" else "openvino")
    ios = [[{"name": t.name, "shape": _fixed(t.shape), "dtype": t.dtype} for t in f()]
           for f in (session.inputs, session.outputs)]
    session.close()
    return Spec(str(path.resolve()), "onnx" if suffix == ".onnx" else "openvino", *ios)


def example_feeds(inputs: list) -> dict:
    """The inputs every generated program builds (the reference the tests compare with)."""
    import numpy as np

    feeds = {}
    for j, t in enumerate(inputs):
        n = int(np.prod(t["shape"])) if t["shape"] else 1
        i = np.arange(n)
        if t["dtype"] == "bool":
            values = i % 2 == 0
        elif t["dtype"].startswith(("int", "uint")):
            values = (i + j) % 5
        else:
            values = ((i * 7 + j * 3) % 23) / 10 - 1.1
        feeds[t["name"]] = values.astype(t["dtype"]).reshape(t["shape"])
    return feeds


def parse_output(text: str) -> dict:
    """{name: (shape, sum, first values)} from a program's OUTPUT lines."""
    found = {}
    for line in text.splitlines():
        if not line.startswith("OUTPUT "):
            continue
        _, name, shape, total, first = line.split(" ")
        dims = shape.split("=")[1]
        found[name] = ([int(d) for d in dims.split("x")] if dims else [], float(total.split("=")[1]),
                       [float(v) for v in first.split("=")[1].split(",") if v])
    return found


def deploy(artifact, folder, lang: str = "python", *, force: bool = False) -> DeployResult:
    from workbench.core.deploy import programs
    from workbench.core.fsutil import staged_folder

    if lang not in LANGS:
        raise WorkbenchError(f"unknown language '{lang}'", f"use one of: {', '.join(LANGS)}")
    spec = describe(artifact)
    runtime, files, build = programs.render(spec, lang)
    if spec.kind == "onnx" and spec.encrypted is None:  # TensorRT reads no .enc
        from workbench.core import ort, tensorrt_profile

        info = tensorrt_profile.read(Path(spec.path))
        fp16 = ort.model_float_dtype(spec.path) == "fp16"
        files["tensorrt.sh"] = tensorrt_profile.script(Path(spec.path), info, fp16)
        build += "; TensorRT (on an NVIDIA machine with trtexec): bash tensorrt.sh"
    files[MARKER] = json.dumps({"artifact": spec.path, "lang": lang, "runtime": runtime}, indent=1) + "\n"
    folder = Path(folder)
    old = None
    if folder.exists():
        if not (force and (folder / MARKER).is_file()):
            raise WorkbenchError(f"{folder} already exists",
                                 "choose a new folder (--force replaces a folder an earlier deploy wrote)")
        old = folder.with_name(f".{folder.name}.replaced-{os.getpid()}")
        os.rename(folder, old)
    try:
        with staged_folder(folder) as stage:
            for name, text in files.items():
                (Path(stage) / name).parent.mkdir(parents=True, exist_ok=True)
                (Path(stage) / name).write_text(text)
    except BaseException:
        if old is not None:
            os.rename(old, folder)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    return DeployResult(str(folder), lang, runtime, sorted(files), build)
