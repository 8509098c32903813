"""The runtime contract: ``Runtime.open(artifact, RuntimeOptions) -> Session``.

A Session holds one loaded artifact. ``inputs()``/``outputs()`` describe its tensors (fixed sizes as ints, dynamic
ones as names), ``run(feeds)`` maps input names to numpy arrays and returns every output by name, in the file's
order. Runtimes that generate text (llama.cpp, an ONNX decoder with past) also offer ``generate``. A session says
what really ran (``device``), and anything the user should know (a fallback, an ignored option) goes to ``notes``:
a CPU result is never reported as a GPU one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Optional, Protocol, Sequence, Union

Dim = Union[int, str, None]


@dataclass
class TensorInfo:
    name: str
    shape: list  # [Dim]: int where the artifact fixes the size, a name (or None) where it is dynamic
    dtype: str  # numpy dtype name: "float32", "float16", "int64", ...


@dataclass
class RuntimeOptions:
    """What every runtime understands; ``extra`` carries a runtime's own settings (ORT's CUDA graphs, OpenVINO's
    streams and performance hint, MNN's precision mode, llama.cpp's context size), each documented by it."""

    device: str = "cpu"  # "cpu", "cuda", or a device name the runtime passes through (OpenVINO "GPU.0")
    threads: Optional[int] = None  # None: the runtime's default
    strict: bool = False  # raise instead of falling back when ``device`` cannot be used
    extra: dict = field(default_factory=dict)


@dataclass
class GenerateStep:
    """One generated token: its id, its text piece, and the seconds that step took (the first includes prefill)."""

    token_id: int
    text: str
    seconds: float


class Session(Protocol):
    runtime: str  # the registered runtime's name
    device: str  # the device that really runs it
    notes: list  # one-line notes for the user

    def inputs(self) -> list[TensorInfo]: ...

    def outputs(self) -> list[TensorInfo]: ...

    def run(self, feeds: dict) -> dict: ...  # {input name: np.ndarray} -> {output name: np.ndarray}

    def close(self) -> None: ...

    # Optional, read with getattr: ``precision`` ("fp32", "fp16", "bf16", "int8", "int4"), what the artifact's weights
    # hold where the workbench cannot read it from the file (validate picks its tolerances by it; an .onnx file's
    # come from its header). Feeding: workbench.core.runtimes.select.feed maps example inputs onto ``inputs()``.


class GeneratingSession(Session, Protocol):
    def generate(self, prompt_ids: Sequence[int], max_new_tokens: int, *, temperature: float = 0.0,
                 top_k: int = 0, seed: int = 0) -> Iterator[GenerateStep]: ...


@dataclass
class Availability:
    available: bool
    version: str = ""  # the library's version where it imports
    devices: tuple = ()  # devices usable here
    hint: str = ""  # how to install or enable it, where it is not available


@dataclass
class Runtime:
    """A registered runtime. ``suffixes`` are the artifacts it opens (".onnx", ".gguf", ".xml", ".mnn"); ``open``
    is ``(path, RuntimeOptions) -> Session``; ``availability`` is ``() -> Availability`` and never raises (a
    missing library is an answer, not an error)."""

    name: str
    description: str
    suffixes: tuple
    open: Callable
    availability: Callable[[], Availability]
    generates: bool = False  # offers ``generate`` (text models)
    # (path, provider, threads, **options) -> a runtimes.decoder_base.Decoder (prefill/step logits), or "module:name"
    # of one, as the registry names its modules: `generate`, `bench --generate` and Chat run the artifact through the
    # loop every decoder shares (runtimes/decoding.py): ONNX Runtime's decoders, PyTorch's, llama.cpp's .gguf
    decoder: Union[Callable, str, None] = None
    origin: str = "builtin"

    def decoder_factory(self) -> Optional[Callable]:
        """``decoder`` as a callable (a "module:name" imported now), or None where the runtime offers none."""
        factory = self.decoder
        if isinstance(factory, str):
            import importlib

            module, _, name = factory.partition(":")
            factory = getattr(importlib.import_module(module), name)
        return factory

    def opens(self, path) -> bool:
        p = Path(str(path))
        return p.suffix.lower() in self.suffixes or (p.is_dir() and "/" in self.suffixes)
