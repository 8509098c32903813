"""The lean export path (weightless trace + weights streamed from safetensors) against the plain one: same graph,
same initializers, same ONNX Runtime outputs, and the fallback when it cannot apply."""

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import numpy_helper

from workbench import api
from workbench.core.export import lean
from workbench.core.specs import ExportSpec, ModelSource


def _llama(folder, tied: bool, vocab: int = 128, shards: bool = False):
    import torch
    import transformers as tf

    torch.manual_seed(0)
    config = tf.LlamaConfig(vocab_size=vocab, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                            num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=64,
                            tie_word_embeddings=tied)
    model = tf.LlamaForCausalLM(config).eval()
    model.config.architectures = ["LlamaForCausalLM"]
    model.save_pretrained(str(folder), safe_serialization=True, **({"max_shard_size": "20KB"} if shards else {}))
    return folder


@pytest.fixture(scope="module")
def llamas(tmp_path_factory):
    root = tmp_path_factory.mktemp("lean-llamas")
    # vocab 512 x hidden 32 = 16384 elements: above the optimizer's folding limit, so a tied embedding's transpose
    # stays in the graph and an untied head's is folded only because nothing else reads it
    return {"untied": _llama(root / "untied", tied=False),
            "tied": _llama(root / "tied", tied=True),
            "tied-large": _llama(root / "tied-large", tied=True, vocab=512),
            "sharded": _llama(root / "sharded", tied=False, vocab=512, shards=True)}


def _export(folder, out, monkeypatch, lean_on: bool, **fields):
    monkeypatch.setenv(lean.ENV, "1" if lean_on else "0")
    return api.export(str(folder), str(out / "model.onnx"), **fields)


def _initializers(path) -> dict:
    model = onnx.load(str(path))
    return {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}


def _ort(path, feeds) -> list:
    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, feeds)


@pytest.mark.parametrize("kind,dtype", [("untied", "fp32"), ("tied-large", "fp32"), ("sharded", "fp16"),
                                        pytest.param("tied", "bf16", marks=pytest.mark.slow)])
def test_lean_export_is_identical_to_plain(kind, dtype, llamas, tmp_path, monkeypatch):
    plain = _export(llamas[kind], tmp_path / "plain", monkeypatch, False, dtype=dtype)
    slim = _export(llamas[kind], tmp_path / "lean", monkeypatch, True, dtype=dtype)
    assert plain.notes == [] and slim.notes and slim.notes[0].startswith("lean export:"), slim.notes
    assert slim.exporter == plain.exporter == "dynamo" and slim.fallback_reason is None
    assert [p.rsplit("/", 1)[-1] for p in slim.outputs] == ["model.onnx", "model.onnx.data"]
    assert slim.input_names == plain.input_names and slim.dynamic_axes == plain.dynamic_axes

    a, b = onnx.load(slim.path, load_external_data=False), onnx.load(plain.path, load_external_data=False)
    assert [n.op_type for n in a.graph.node] == [n.op_type for n in b.graph.node]
    assert [d.dim_param or d.dim_value for d in a.graph.input[0].type.tensor_type.shape.dim] == ["batch", "sequence"]
    ia, ib = _initializers(slim.path), _initializers(plain.path)
    assert ia.keys() == ib.keys()
    for name in ia:
        assert ia[name].dtype == ib[name].dtype and np.array_equal(ia[name], ib[name]), name

    if dtype != "bf16":  # ONNX Runtime's CPU provider has no bf16 Mul
        from workbench.core.loading.hf_folder import load_hf_model

        feeds = {k: v.numpy() for k, v in load_hf_model(llamas[kind], dtype).make_inputs(3, 13, pad=True).items()}
        for x, y in zip(_ort(slim.path, feeds), _ort(plain.path, feeds)):
            assert np.array_equal(x, y)
    if kind == "untied":
        assert api.validate(slim.path, against=str(llamas[kind])).passed


def test_large_tensors_are_read_once_while_saving(llamas, tmp_path, monkeypatch):
    """Streaming: tracing, attaching and optimizing read no large tensor; saving reads each exactly once."""
    from onnxscript.optimizer._constant_folding import DEFAULT_CONSTANT_FOLD_INPUT_SIZE_LIMIT as LIMIT

    reads: list = []
    original = lean.SafetensorsWeights.read

    def counting(self, name, *args, **kwargs):
        reads.append(name)
        return original(self, name, *args, **kwargs)

    monkeypatch.setattr(lean.SafetensorsWeights, "read", counting)
    saved: list = []  # how many reads had happened when ONNXProgram.save began (earlier reads cost memory early)

    def marking_save(self, *args, **kwargs):
        saved.append(len(reads))
        return original_save(self, *args, **kwargs)

    from torch.onnx._internal.exporter._onnx_program import ONNXProgram

    original_save = ONNXProgram.save
    monkeypatch.setattr(ONNXProgram, "save", marking_save)
    result = _export(llamas["sharded"], tmp_path, monkeypatch, True)
    assert result.notes[0].startswith("lean export:"), result.notes
    weights = lean.SafetensorsWeights.of_folder(llamas["sharded"])
    big = {n for n, e in weights.entries.items() if np.prod(e.shape) > LIMIT}
    assert big == {"model.embed_tokens.weight", "lm_head.weight"}
    assert saved and not big & set(reads[:saved[0]]), reads[:saved[0]]
    assert all(reads.count(n) == 1 for n in big), {n: reads.count(n) for n in big}


def test_sharded_reads_match_safetensors(llamas, monkeypatch):
    import torch
    from safetensors import safe_open

    monkeypatch.setattr(lean, "_BLOCK_BYTES", 1000)  # several blocks per tensor when converting or transposing
    weights = lean.SafetensorsWeights.of_folder(llamas["sharded"])
    files = sorted(llamas["sharded"].glob("*.safetensors"))
    assert len(files) > 1 and len(weights.entries) == 21
    for path in files:
        with safe_open(str(path), "pt") as f:
            for key in f.keys():
                stored = f.get_tensor(key)
                assert torch.equal(weights.read(key), stored)
                assert torch.equal(weights.read(key, torch.float16), stored.half())
                if stored.dim() == 2:
                    assert torch.equal(weights.read(key, transpose=True), stored.t())
                    assert torch.equal(weights.read(key, torch.bfloat16, transpose=True), stored.bfloat16().t())
    assert weights.total_bytes == sum(e.end - e.begin for e in weights.entries.values())


def test_when_the_lean_path_applies(llamas, monkeypatch):
    def spec(**fields):
        return ExportSpec(source=ModelSource(str(llamas["untied"])), output="x/model.onnx", **fields)

    monkeypatch.delenv(lean.ENV, raising=False)
    assert lean.wanted(spec(), "dynamo") == (None, None)  # tiny: below LEAN_ABOVE
    monkeypatch.setattr(lean, "LEAN_ABOVE", 1000)
    assert lean.wanted(spec(), "dynamo")[0] is not None
    assert lean.wanted(spec(), "legacy")[0] is None
    assert lean.wanted(spec(external_data=False), "dynamo")[0] is None  # one file asked for: the plain path
    monkeypatch.setenv(lean.ENV, "0")
    assert lean.wanted(spec(), "dynamo")[0] is None
    monkeypatch.setenv(lean.ENV, "1")
    monkeypatch.setattr(lean, "LEAN_ABOVE", 1 << 40)
    assert lean.wanted(spec(), "dynamo")[0] is not None


def test_a_failing_lean_path_falls_back_to_plain(llamas, tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("simulated failure")

    monkeypatch.setattr(lean, "export", broken)
    result = _export(llamas["untied"], tmp_path, monkeypatch, True)
    assert result.exporter == "dynamo" and any("simulated failure" in n for n in result.notes), result.notes
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != ".workbench-output") == \
        ["model.onnx", "model.onnx.data"]  # nothing half-written
    onnx.checker.check_model(result.path)


def test_unmappable_checkpoint_names_are_refused_before_tracing(llamas, tmp_path, monkeypatch):
    """A parameter the checkpoint lacks under its own name: the lean path refuses before tracing (nothing saved with
    a fake tensor), and the plain path it falls back to refuses the folder in plain words."""
    import shutil

    from safetensors.torch import load_file, save_file

    from workbench.core.errors import WorkbenchError

    folder = tmp_path / "renamed"
    shutil.copytree(llamas["untied"], folder)
    tensors = load_file(str(folder / "model.safetensors"))
    tensors["lm_head.kernel"] = tensors.pop("lm_head.weight")
    save_file(tensors, str(folder / "model.safetensors"), metadata={"format": "pt"})
    weights = lean.SafetensorsWeights.of_folder(folder)
    loaded = lean.load_weightless(ModelSource(str(folder)))
    with pytest.raises(WorkbenchError, match="not in the checkpoint"):
        lean.checkpoint_names(loaded.module.model, weights)
    with pytest.raises(WorkbenchError, match="do not fit config.json"):
        _export(folder, tmp_path / "out", monkeypatch, True)
    assert not (tmp_path / "out").exists()
