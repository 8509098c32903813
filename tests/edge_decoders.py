"""A tiny Llama with a tokenizer (the demo's byte-level BPE, so a text prompt encodes) exported as a KV-cache decoder
(--task text-generation-with-past) and converted by the openvino and mnn targets from that one ONNX export (their
ONNX step answered by it, so the model is traced once): what the generation tests of OpenVINO and MNN share."""

from pathlib import Path

TASK = "text-generation-with-past"


def build_chat_llama(folder: Path, seed: int = 0) -> Path:
    import torch
    import transformers as tf

    from workbench.core.demo import build_tokenizer

    torch.manual_seed(seed)
    config = tf.LlamaConfig(vocab_size=320, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                            num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=128,
                            bos_token_id=0, eos_token_id=1, pad_token_id=2)
    config.architectures = ["LlamaForCausalLM"]
    tf.LlamaForCausalLM(config).eval().save_pretrained(str(folder), safe_serialization=True)
    build_tokenizer(folder)
    return folder


def export_decoders(source: Path, root: Path) -> dict:
    """{'onnx': the ONNX decoder's folder, 'openvino': its model.xml, 'mnn': its model.mnn}."""
    import pytest

    from workbench import api
    from workbench.core.export import torch_onnx
    from workbench.core.specs import ExportSpec, ModelSource

    onnx = api.export(ExportSpec(source=ModelSource(str(source), task=TASK), output=str(root / "onnx" / "model.onnx")))
    out = {"onnx": str(root / "onnx")}
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(torch_onnx, "export_onnx", lambda spec, **kw: onnx)
        for target, name in (("openvino", "model.xml"), ("mnn", "model.mnn")):
            result = api.export(ExportSpec(source=ModelSource(str(source), task=TASK),
                                           output=str(root / target / name), target=target))
            out[target] = result.outputs[0]
    return out


PROMPT = "The workbench exports"


def built_pair(tmp_path_factory, tag: str) -> tuple:
    """(the tiny chat Llama's folder, export_decoders' paths) under fresh temp folders named by ``tag``: the
    module-scoped fixture of every test that runs the OpenVINO and MNN decoders."""
    source = build_chat_llama(tmp_path_factory.mktemp(tag) / "llama")
    return source, export_decoders(source, tmp_path_factory.mktemp(f"{tag}-out"))
