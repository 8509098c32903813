"""Decoders that generation runs on: an exported ONNX decoder in ONNX Runtime, or the PyTorch model; plus the
tokenizer and generation settings of a model folder.

Both decoders have the same two calls: ``prefill(ids, mask)`` for the (left-padded) prompts and ``step(tokens)``
for one new token per row; each returns the last position's logits as float32 numpy ``[batch, vocab]``. They keep
the attention mask and positions, and the key/value cache:

* ONNX Runtime: ``present.*`` of one run are bound as ``past_key_values.*`` of the next through IOBinding, as
  OrtValues on the session's device, so on CUDA the cache never leaves the GPU (only the ids, the mask and the
  positions go up, and the logits come down). The prefill starts from an empty past (length 0).
* PyTorch: the model's own cache (what ``generate`` uses), fed back as ``past_key_values``.

The ONNX path never imports torch or transformers when the folder has a ``tokenizer.json``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import numpy as np

from workbench.core.errors import WorkbenchError, first_line

_ORT_FLOATS = {"tensor(float)": np.float32, "tensor(float16)": np.float16, "tensor(double)": np.float64}


class Decoder:
    """Mask and position bookkeeping shared by both runtimes; subclasses implement ``_run``."""

    runtime = ""
    provider = "cpu"
    name = ""

    def prefill(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        self.mask = np.ascontiguousarray(mask, dtype=np.int64)
        positions = np.maximum(np.cumsum(self.mask, axis=1) - 1, 0)
        self.next_position = positions[:, -1] + 1
        self.reset()
        return self._run(ids, self.mask, np.ascontiguousarray(positions))

    def step(self, tokens: np.ndarray) -> np.ndarray:
        batch = self.mask.shape[0]
        self.mask = np.concatenate([self.mask, np.ones((batch, 1), dtype=np.int64)], axis=1)
        positions = self.next_position[:, None].copy()
        self.next_position = self.next_position + 1
        ids = np.asarray(tokens, dtype=np.int64).reshape(batch, 1)
        return self._run(ids, self.mask, positions)

    def reset(self) -> None:
        raise NotImplementedError

    def _run(self, ids, mask, positions) -> np.ndarray:
        raise NotImplementedError


class OrtDecoder(Decoder):
    """An ONNX decoder exported with ``--task text-generation-with-past``."""

    runtime = "onnxruntime"

    def __init__(self, path, provider: str = "cpu", threads: Optional[int] = None):
        from workbench.core.ort import make_session

        self.path = Path(path)
        self.name = f"ORT {self.path.name}"
        self.session = make_session(self.path, provider, threads)
        self.provider = "cuda" if "CUDAExecutionProvider" in self.session.get_providers() else "cpu"
        inputs = {i.name: i for i in self.session.get_inputs()}
        self.past_names = [n for n in inputs if n.startswith("past_key_values.")]
        if "input_ids" not in inputs or not self.past_names:
            raise WorkbenchError(f"{self.path} is not a decoder with past key values (inputs: "
                                 f"{', '.join(list(inputs)[:4])}...)",
                                 "export it with --task text-generation-with-past")
        self.positions = "position_ids" in inputs
        self.present_names = ["present." + n[len("past_key_values."):] for n in self.past_names]
        outputs = {o.name for o in self.session.get_outputs()}
        missing = [n for n in ["logits", *self.present_names] if n not in outputs]
        if missing:
            raise WorkbenchError(f"{self.path} lacks the outputs {', '.join(missing[:3])}",
                                 "export it with --task text-generation-with-past")
        self.past_specs = []
        for name in self.past_names:
            info = inputs[name]
            heads, dim = info.shape[1], info.shape[3]
            if not isinstance(heads, int) or not isinstance(dim, int):
                raise WorkbenchError(f"{name} has no fixed heads and head size ({info.shape})",
                                     "re-export with --task text-generation-with-past")
            self.past_specs.append((heads, dim, _ORT_FLOATS.get(info.type, np.float32)))
        self.past: list = []

    def reset(self) -> None:
        import onnxruntime as ort

        batch = self.mask.shape[0]
        self.past = [ort.OrtValue.ortvalue_from_shape_and_type([batch, heads, 0, dim], dtype, self.provider, 0)
                     for heads, dim, dtype in self.past_specs]

    def _run(self, ids, mask, positions) -> np.ndarray:
        binding = self.session.io_binding()
        binding.bind_cpu_input("input_ids", ids)
        binding.bind_cpu_input("attention_mask", mask)
        if self.positions:
            binding.bind_cpu_input("position_ids", positions)
        for name, value in zip(self.past_names, self.past):
            binding.bind_ortvalue_input(name, value)
        binding.bind_output("logits", "cpu")
        for name in self.present_names:
            binding.bind_output(name, self.provider, 0)
        try:
            self.session.run_with_iobinding(binding)
        except WorkbenchError:
            raise  # the run-time guard's one line (core/loading/limits.py)
        except Exception as err:  # noqa: BLE001 - ORT raises its own types
            raise WorkbenchError(f"ONNX Runtime failed to run the decoder: {first_line(err)}",
                                 "check the prompt's token ids against the model's vocabulary") from err
        outputs = binding.get_outputs()
        self.past = list(outputs[1:])
        return np.asarray(outputs[0].numpy()[:, -1, :], dtype=np.float32)


class TorchDecoder(Decoder):
    """The PyTorch model of a Hugging Face folder, with its own cache (the semantics of ``generate``)."""

    runtime = "pytorch"

    def __init__(self, folder, provider: str = "cpu", dtype: str = "fp32", family_options: Optional[dict] = None,
                 threads: Optional[int] = None):
        import inspect

        import torch

        from workbench.core.loading.hf_folder import load_hf_model

        loaded = load_hf_model(folder, dtype, "text-generation", family_options)
        self.model = loaded.module.model
        self.name = "PyTorch eager" + ("" if dtype == "fp32" else f" {dtype}")
        self.provider = "cuda" if provider == "cuda" and torch.cuda.is_available() else "cpu"
        self.model.to(self.provider)
        self.positions = "position_ids" in inspect.signature(self.model.forward).parameters
        self.threads = threads  # torch's intra-op threads while this decoder runs (restored after each step)
        self.cache = None

    def reset(self) -> None:
        self.cache = None

    def _run(self, ids, mask, positions) -> np.ndarray:
        import torch

        def t(a):
            return torch.from_numpy(a).to(self.provider)

        extra = {"position_ids": t(positions)} if self.positions else {}
        before = torch.get_num_threads()
        try:
            if self.threads:
                torch.set_num_threads(int(self.threads))
            with torch.inference_mode():
                out = self.model(input_ids=t(ids), attention_mask=t(mask), past_key_values=self.cache,
                                 use_cache=True, return_dict=True, **extra)
        except Exception as err:  # noqa: BLE001
            raise WorkbenchError(f"PyTorch failed to run the model: {first_line(err)}",
                                 "check the prompt's token ids against the model's vocabulary") from err
        finally:
            torch.set_num_threads(before)
        self.cache = out.past_key_values
        return out.logits[:, -1, :].float().cpu().numpy()


# ------------------------------------------------------------------------------------------ tokenizer and settings

class TextCodec:
    """Encode and decode text with a model folder's tokenizer (``tokenizers`` alone when tokenizer.json exists)."""

    def __init__(self, encode, decode):
        self.encode, self.decode = encode, decode

    @classmethod
    def load(cls, folder) -> Optional["TextCodec"]:
        folder = Path(folder)
        if (folder / "tokenizer.json").exists():
            from tokenizers import Tokenizer

            from workbench.core.loading.limits import regular_file

            path = regular_file(folder / "tokenizer.json", "tokenizer file")
            try:
                tok = Tokenizer.from_file(str(path))
            except Exception as err:  # noqa: BLE001 - tokenizers raises a bare Exception for a malformed file
                raise WorkbenchError(f"{path}: not a readable tokenizer ({first_line(err)[:160]})",
                                     "re-copy tokenizer.json from the original model folder, or give --prompt-ids"
                                     ) from None
            return cls(lambda text: tok.encode(text).ids,
                       lambda ids: tok.decode(list(ids), skip_special_tokens=True))
        if any((folder / n).is_file() for n in ("tokenizer.model", "vocab.json", "vocab.txt")):
            from transformers import AutoTokenizer

            tok = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
            return cls(lambda text: list(tok(text)["input_ids"]),
                       lambda ids: tok.decode(list(ids), skip_special_tokens=True))
        return None


def read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    except (OSError, ValueError, RecursionError):
        return {}


def folder_settings(folder) -> dict:
    """{'eos': [ids], 'pad': id, 'vocab': size or None} from generation_config.json and config.json."""
    folder = Path(folder)
    config = read_json(folder / "config.json")
    text = config.get("text_config") or config
    gen = read_json(folder / "generation_config.json")
    eos = gen.get("eos_token_id", text.get("eos_token_id"))
    eos = [int(e) for e in (eos if isinstance(eos, list) else [eos]) if e is not None]
    pad = gen.get("pad_token_id", text.get("pad_token_id"))
    pad = pad if isinstance(pad, int) else (eos[0] if eos else 0)
    vocab = text.get("vocab_size")
    return {"eos": eos, "pad": pad, "vocab": int(vocab) if vocab else None}


def resolve(model) -> tuple:
    """('onnx', onnx file, folder), ('gguf', .gguf file, folder) or ('torch', folder, folder) for an .onnx file, an
    exported folder holding model.onnx, a .gguf file, or a Hugging Face model folder."""
    path = Path(str(model)).expanduser()
    from workbench.core.export.seq2seq_check import is_export

    if is_export(path):  # an encoder-decoder export: its folder (seq2seq_generate.py runs it)
        folder = path if path.is_dir() else path.parent
        return "seq2seq", folder, folder
    if path.suffix.lower() == ".gguf":  # llama.cpp (runtimes/llama_decoder.py); its folder may hold the tokenizer
        from workbench.core.loading.limits import regular_file

        return "gguf", regular_file(path, "GGUF file", "check the path, or export it with --target gguf"), path.parent
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


def open_decoder(model, provider: str = "cpu", threads: Optional[int] = None, dtype: str = "fp32"):
    """(decoder, folder) for ``model`` (see :func:`resolve`)."""
    kind, path, folder = resolve(model)
    if kind == "onnx":
        return onnx_decoder(path, provider, threads), folder
    if kind == "gguf":
        return runtime_decoder(path, provider, threads), folder
    return TorchDecoder(path, provider, dtype, threads=threads), folder


def onnx_decoder(path, provider: str = "cpu", threads: Optional[int] = None):
    """OrtDecoder for an exported decoder, or the GroupQueryAttention decoder's (``optimize --target cuda``)."""
    from workbench.core.generate_gqa import GQAGenerate, is_gqa

    return GQAGenerate(path, provider, threads) if is_gqa(path) else OrtDecoder(path, provider, threads)


def runtime_decoder(path, provider: str = "cpu", threads: Optional[int] = None) -> Decoder:
    """The Decoder of the registered runtime that opens ``path`` and offers one (llama.cpp for a .gguf), found
    through the registry so the generation loop never imports a runtime module itself."""
    from workbench.core.registry import default_registry

    for runtime in default_registry().runtimes_for(path):
        factory = getattr(runtime, "decoder", None)
        if isinstance(factory, str):  # "module:name", imported when asked for (as the registry's modules)
            import importlib

            module, _, name = factory.partition(":")
            factory = getattr(importlib.import_module(module), name)
        if factory is not None:
            return factory(path, provider, threads)
    raise WorkbenchError(f"no registered runtime generates from {Path(str(path)).name}",
                         "`workbench runtimes` lists them; llama.cpp runs a .gguf (pip install '.[llama]')")
