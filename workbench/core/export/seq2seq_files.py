"""The files of an encoder-decoder export (seq2seq.py writes them): their names, the task stamped in them, and the
Seq2SeqInfo (cache layout, main input) read back from the encoder's metadata. The export, its check against
PyTorch (seq2seq_check.py) and generation read them here."""

from __future__ import annotations

import json

from workbench.core.export.seq2seq_model import Seq2SeqInfo

TASK = "text2text-generation-with-past"
ENCODER_FILE = "encoder_model.onnx"
DECODER_FILE = "decoder_with_past_model.onnx"


def read_info(path) -> Seq2SeqInfo | None:
    """The Seq2SeqInfo stamped in an exported file's metadata, or None for other files."""
    from workbench.core.onnx_io import header

    model = header(path)
    props = {p.key: p.value for p in model.metadata_props}
    if props.get("workbench.task") != TASK or "workbench.seq2seq" not in props:
        return None
    data = json.loads(props["workbench.seq2seq"])
    data = {k: tuple(tuple(x) for x in v) if k in ("self_layout", "cross_layout") else v for k, v in data.items()}
    data["feature_shape"] = tuple(data["feature_shape"])
    return Seq2SeqInfo(**data)
