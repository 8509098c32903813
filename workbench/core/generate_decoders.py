"""Which decoder a model generates on: :func:`resolve` tells an exported ONNX decoder, an encoder-decoder export, a
.gguf and a Hugging Face folder apart, and :func:`open_decoder` asks the registered runtime that runs it for its
decoder (``Runtime.decoder``: ONNX Runtime's in runtimes/ort_decoder.py, PyTorch's in runtimes/torch_decoder.py,
llama.cpp's in runtimes/llama_decoder.py), so the generation loop never opens a runtime library itself.

The decoders, the tokenizer and the folder settings live under runtimes/ (decoder_base.py); their names stay
importable from here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from workbench.core.errors import WorkbenchError
from workbench.core.runtimes.decoder_base import Decoder, TextCodec, folder_settings, read_json  # noqa: F401
from workbench.core.runtimes.ort_decoder import OrtDecoder  # noqa: F401 - importable from here as before
from workbench.core.runtimes.torch_decoder import TorchDecoder  # noqa: F401 - importable from here as before


def resolve(model) -> tuple:
    """('onnx', onnx file, folder), ('gguf', .gguf file, folder), ('runtime', file, folder) or ('torch', folder,
    folder) for an .onnx file, an exported folder holding model.onnx, a .gguf file, another runtime's decoder file
    (.xml, .mnn), or a Hugging Face model folder."""
    path = Path(str(model)).expanduser()
    from workbench.core.export.seq2seq_check import is_export

    if is_export(path):  # an encoder-decoder export: its folder (seq2seq_generate.py runs it)
        folder = path if path.is_dir() else path.parent
        return "seq2seq", folder, folder
    if path.suffix.lower() == ".gguf":  # llama.cpp (runtimes/llama_decoder.py); its folder may hold the tokenizer
        from workbench.core.loading.limits import regular_file

        return "gguf", regular_file(path, "GGUF file", "check the path, or export it with --target gguf"), path.parent
    if runtime_artifact(path):  # an OpenVINO IR, an .mnn: their runtime's decoder (runtimes/session_decoder.py)
        return "runtime", path, path.parent
    if path.suffix.lower() == ".onnx":
        from workbench.core.loading.limits import regular_file

        return "onnx", regular_file(path, "ONNX file", "check the path, or export the model first"), path.parent
    if path.is_dir() and (path / "model.onnx").is_file():
        return "onnx", path / "model.onnx", path
    if path.is_dir() and (path / "config.json").is_file():
        return "torch", path, path
    if not path.exists():
        raise WorkbenchError(f"{model}: no such file or folder", "give an exported decoder folder, an .onnx file "
                             "or a Hugging Face model folder")
    raise WorkbenchError(f"{model}: neither an ONNX decoder nor a Hugging Face model folder",
                         "export it with `workbench export SRC -o OUT --task text-generation-with-past`")


def runtime_artifact(path: Path) -> bool:
    """A file, neither .onnx nor .gguf, that a registered runtime other than PyTorch opens and offers a decoder for
    (OpenVINO's .xml, MNN's .mnn)."""
    from workbench.core.registry import default_registry

    if not path.is_file() or path.suffix.lower() in (".onnx", ".gguf"):
        return False
    return any(r.name != "torch" and r.decoder is not None for r in default_registry().runtimes_for(path))


def open_decoder(model, provider: str = "cpu", threads: Optional[int] = None, dtype: str = "fp32"):
    """(decoder, folder) for ``model`` (see :func:`resolve`), from the runtime that runs it."""
    kind, path, folder = resolve(model)
    if kind == "onnx":
        return onnx_decoder(path, provider, threads), folder
    if kind in ("gguf", "runtime"):
        return runtime_decoder(path, provider, threads), folder
    return runtime_decoder(path, provider, threads, runtime="torch", dtype=dtype), folder


def onnx_decoder(path, provider: str = "cpu", threads: Optional[int] = None):
    """ONNX Runtime's decoder for an exported decoder, or the GroupQueryAttention decoder's (``optimize --target
    cuda``)."""
    return runtime_decoder(path, provider, threads, runtime="onnxruntime")


def torch_decoder(folder, provider: str = "cpu", threads: Optional[int] = None, dtype: str = "fp32",
                  family_options: Optional[dict] = None):
    """PyTorch eager's decoder for a Hugging Face folder (the reference of every comparison)."""
    return runtime_decoder(folder, provider, threads, runtime="torch", dtype=dtype, family_options=family_options)


def runtime_decoder(path, provider: str = "cpu", threads: Optional[int] = None, runtime: Optional[str] = None,
                    **options) -> Decoder:
    """The Decoder of the registered runtime named ``runtime``, or of the first one that opens ``path`` and offers
    one (llama.cpp for a .gguf), found through the registry so the generation loop never imports a runtime library.
    ``options`` go to that runtime's decoder (PyTorch's ``dtype`` and ``family_options``)."""
    from workbench.core.registry import default_registry

    reg = default_registry()
    candidates = [reg.runtime(runtime)] if runtime else reg.runtimes_for(path)
    for candidate in candidates:
        factory = candidate.decoder_factory()  # "module:name" imported now
        if factory is not None:
            return factory(path, provider, threads, **options)
    if runtime:
        raise WorkbenchError(f"the {runtime} runtime offers no decoder for {Path(str(path)).name}",
                             "`workbench runtimes` lists them; generate with an ONNX decoder folder or a GGUF")
    raise WorkbenchError(f"no registered runtime generates from {Path(str(path)).name}",
                         "`workbench runtimes` lists them; llama.cpp runs a .gguf (pip install '.[llama]')")
