"""Stream a Hugging Face folder (safetensors, sharded or not) into one .gguf: tensor infos first (gguf.plan), then
each tensor written in row chunks, each chunk read, converted and quantized (gguf.quants) on its own, so memory
stays near one chunk, not one tensor."""

from __future__ import annotations

import json
from pathlib import Path

import gguf
import numpy as np

from workbench.core.errors import WorkbenchError
from workbench.core.gguf import metadata, plan, tensor_map, tokenizer

T = gguf.GGMLQuantizationType
QUANTS = {"f32": T.F32, "f16": T.F16, "bf16": T.BF16, "q8_0": T.Q8_0, "q4_0": T.Q4_0, "q4_1": T.Q4_1,
          "q5_0": T.Q5_0, "q5_1": T.Q5_1}
FILE_TYPES = {"f32": gguf.LlamaFileType.ALL_F32, "f16": gguf.LlamaFileType.MOSTLY_F16,
              "bf16": gguf.LlamaFileType.MOSTLY_BF16, "q8_0": gguf.LlamaFileType.MOSTLY_Q8_0,
              "q4_0": gguf.LlamaFileType.MOSTLY_Q4_0, "q4_1": gguf.LlamaFileType.MOSTLY_Q4_1,
              "q5_0": gguf.LlamaFileType.MOSTLY_Q5_0, "q5_1": gguf.LlamaFileType.MOSTLY_Q5_1}
# kept in F32 whatever the file type, as convert_hf_to_gguf.py and llama-quantize do
F32_NAMES = ("ffn_gate_inp.weight", "ffn_gate_inp_shexp.weight", "position_embd.weight", "token_types.weight")


def target_type(name: str, shape: tuple, quant) -> "gguf.GGMLQuantizationType":
    """1-D tensors, norms and routers stay F32; a row not divisible by the quant block falls back to F16."""
    if len(shape) < 2 or name.endswith(("_norm.weight", ".bias") + F32_NAMES) or not name.endswith(".weight"):
        return T.F32
    block = gguf.GGML_QUANT_SIZES[quant][0]
    if shape[-1] % block:
        return T.F16
    return quant


class _Chunked:
    """What GGUFWriter.write_tensor_data needs of an array (nbytes, tofile), written chunk by chunk. Written by hand:
    gguf-py 0.19.0 has no chunked tensor (llama.cpp's unreleased gguf-py adds LazyChunkedTensor for the same)."""

    def __init__(self, item: plan.Item, qtype, nbytes: int, cancel):
        self.item, self.qtype, self.nbytes, self.cancel = item, qtype, nbytes, cancel

    def tofile(self, fout) -> None:
        written = 0
        for load in self.item.chunks:
            if self.cancel is not None and (self.cancel() if callable(self.cancel) else self.cancel.cancelled):
                raise WorkbenchError("GGUF conversion cancelled", "run it again")
            data = _encode(load(), self.qtype)
            data.tofile(fout)
            written += data.nbytes
            del data
        if written != self.nbytes:
            raise WorkbenchError(f"{self.item.name}: wrote {written} bytes of {self.nbytes}",
                                 "the checkpoint changed while converting: run it again")


def _encode(data: np.ndarray, qtype) -> np.ndarray:
    if qtype == T.F32:
        return data.astype(np.float32)
    if qtype == T.F16:
        return data.astype(np.float16)
    return gguf.quants.quantize(data.astype(np.float32, copy=False), qtype)


def _nbytes(shape: tuple, qtype) -> tuple:
    if qtype in (T.F32, T.F16):
        return shape, np.dtype(np.float32 if qtype == T.F32 else np.float16)
    return gguf.quant_shape_to_byte_shape(shape, qtype), np.dtype(np.uint8)


def convert(folder: Path, out: Path, quant: str = "f16", cancel=None, require_vocab: bool = False) -> dict:
    """Write ``out``; returns {"arch", "tensors", "notes"}. ``require_vocab`` (the gguf target's): refuse, before
    writing, a folder whose GGUF would have no vocab (llama.cpp cannot load one); otherwise it is only noted."""
    folder = Path(folder)
    if quant not in QUANTS:
        raise WorkbenchError(f"quant type '{quant}' is not written by this converter",
                             f"use one of: {', '.join(QUANTS)}")
    config = json.loads((folder / "config.json").read_text())
    opts = tensor_map.architecture(config)
    arch = opts["arch"]
    blocks = int(config.get("num_hidden_layers") or config["n_layer"])
    tmap = tensor_map.name_map(arch, blocks)
    items = plan.plan(plan.weight_files(folder), config, opts, tmap, blocks)
    problem = tokenizer.vocab_problem(folder) if require_vocab else None
    if problem:
        raise WorkbenchError(f"{folder}: {problem}, so the GGUF would hold no vocab, and llama.cpp loads no model "
                             "without one", "put the model's tokenizer files (tokenizer.json, tokenizer_config.json) "
                             "in the folder and export again")
    tokenizer.check_named_tokens(folder, folder.name)  # general.name is the folder's name (metadata.write_hparams)

    writer = gguf.GGUFWriter(str(out), gguf.MODEL_ARCH_NAMES[arch])
    try:
        metadata.write_hparams(writer, config, folder.name, folder)
        writer.add_file_type(FILE_TYPES[quant])
        writer.add_quantization_version(gguf.GGML_QUANT_VERSION)
        notes = [n for n in [tokenizer.write_vocab(writer, folder, int(config["vocab_size"]), opts)] if n]
        if config.get("model_type") == "gpt2":
            notes.append("GPT-2: Conv1D weights transposed to (out, in)")
        bodies = []
        for item in items:
            qtype = target_type(item.name, item.shape, QUANTS[quant])
            byte_shape, dtype = _nbytes(item.shape, qtype)
            nbytes = int(np.prod(byte_shape)) * dtype.itemsize
            writer.add_tensor_info(item.name, byte_shape, dtype, nbytes, raw_dtype=qtype)
            bodies.append(_Chunked(item, qtype, nbytes, cancel))
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_ti_data_to_file()
        for body in bodies:
            writer.write_tensor_data(body)
    finally:
        writer.close()
    return {"arch": gguf.MODEL_ARCH_NAMES[arch], "tensors": len(items), "notes": notes}
