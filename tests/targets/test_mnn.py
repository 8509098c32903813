"""The mnn target: a tiny BERT and a tiny ResNet (random weights) exported through the ONNX export and MNN's own
converter, dynamic axes kept, validated through the mnn runtime against PyTorch; fp16 and int8/int4 weights are
smaller and judged by their own floors; `inspect X.mnn` reads the header; bad input (a wrong name or option, an
operator the converter lacks, a corrupt .mnn) is one line and leaves nothing behind."""

import pytest

from workbench import api
from workbench.core.errors import WorkbenchError
from workbench.core.specs import ModelSource, ValidateSpec

pytest.importorskip("MNN")


@pytest.fixture(scope="module")
def mnn_bert(tiny_models, tmp_path_factory):
    out = tmp_path_factory.mktemp("mnn-target") / "bert" / "model.mnn"
    return out, api.export(str(tiny_models("bert")), str(out), target="mnn")


def test_export_validate_and_inspect_a_tiny_bert(tiny_models, mnn_bert):
    src = str(tiny_models("bert"))
    out, result = mnn_bert
    assert result.target == "mnn" and result.outputs == [str(out)] and out.stat().st_size > 50_000
    assert result.output_names == ["last_hidden_state", "pooler_output"] and result.dtype == "fp32"
    check = api.validate(ValidateSpec(model=str(out), against=ModelSource(src)))
    assert check.passed and check.rtol == pytest.approx(5e-3) and not check.static
    assert [o.name for o in check.outputs] == ["last_hidden_state", "pooler_output"]
    assert [s[:2] for s in check.shapes_tried] == [[2, 8], [3, 13], [1, 21]]  # batch and sequence stay dynamic
    assert min(o.cosine for o in check.outputs) > 0.99999

    info = api.inspect(str(out))
    assert info.format == "mnn" and [i.name for i in info.inputs] == ["input_ids", "attention_mask",
                                                                       "token_type_ids"]
    assert info.inputs[0].shape == ["dim0", "dim1"] and [o.name for o in info.outputs] == [
        "last_hidden_state", "pooler_output"]
    assert info.op_counts["LayerNorm"] == 5 and info.metadata["workbench.model_type"] == "bert"


@pytest.fixture
def shared_resnet_export(exported, monkeypatch):
    """The target's ONNX step answered by the suite's shared ResNet export (one export, not one per option)."""
    from workbench.core.export import torch_onnx

    result = exported("resnet")
    monkeypatch.setattr(torch_onnx, "export_onnx", lambda spec, **kw: result)
    return result


@pytest.mark.parametrize("kind, floor", [("fp16", 0.999), ("int8", 0.99), ("int4", 0.95)])
def test_cnn_fp16_and_weight_quant_are_smaller_and_within_their_floors(tiny_models, tmp_path_factory, kind, floor,
                                                                         shared_resnet_export):
    src = str(tiny_models("resnet"))
    root = tmp_path_factory.getbasetemp() / "mnn-resnet"
    full = root / "fp32.mnn"
    if not full.exists():
        api.export(src, str(full), target="mnn")
        assert api.validate(ValidateSpec(model=str(full), against=ModelSource(src), shapes=((2, 0),))).passed
    out = root / f"{kind}.mnn"
    options = {"dtype": "fp16"} if kind == "fp16" else {"quant": kind}
    result = api.export(src, str(out), target="mnn", **options)
    assert result.dtype == kind and out.stat().st_size < 0.65 * full.stat().st_size
    check = api.validate(ValidateSpec(model=str(out), against=ModelSource(src), shapes=((2, 0), (3, 0))))
    assert check.passed and check.outputs[0].cosine >= floor and check.shapes_tried[1][0] == 3
    assert check.rtol > 1e-4  # judged as fp16 / quantized, not as fp32
    if kind != "fp16":
        assert any(f"{kind} weights" in n for n in check.notes)


def test_bad_names_and_options_are_one_line_and_write_nothing(tiny_models, tmp_path, capsys):
    from workbench.cli import main

    src = str(tiny_models("bert"))
    out = tmp_path / "out" / "model.mnn"
    for kwargs, message in (({"dtype": "bf16"}, "--dtype bf16 is not offered for MNN"),
                            ({"quant": "q4_0"}, "--quant q4_0 is not offered for MNN"),
                            ({"quant": "int8", "dtype": "fp16"}, "cannot be combined")):
        with pytest.raises(WorkbenchError, match=message):
            api.export(src, str(out), target="mnn", **kwargs)
    with pytest.raises(WorkbenchError, match="not an MNN file name"):
        api.export(src, str(tmp_path / "out" / "model.onnx"), target="mnn")
    with pytest.raises(WorkbenchError, match="optimization level 7"):
        from workbench.core.specs import ExportSpec
        from workbench.core.targets.mnn import export_mnn

        export_mnn(ExportSpec(source=ModelSource(src), output=str(out), target="mnn"), optimize_level=7)
    with pytest.raises(WorkbenchError, match="optimization level 5"):  # the spec's field, as a recipe sets it
        api.export(src, str(out), target="mnn", optimize_level=5)
    with pytest.raises(WorkbenchError) as err:
        api.export(str(tmp_path / "missing"), str(out), target="mnn")
    assert "\n" not in str(err.value) and "missing" in str(err.value)
    assert not (tmp_path / "out").exists()
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "model.mnn").write_bytes(b"the user's own file")
    assert main(["export", src, "-o", str(mine / "model.mnn"), "--target", "mnn"]) != 0
    assert "model.mnn" in capsys.readouterr().err and (mine / "model.mnn").read_bytes() == b"the user's own file"


def test_an_operator_the_converter_lacks_is_named_in_one_line(tiny_models, tmp_path, monkeypatch):
    import onnx
    from onnx import TensorProto, helper

    from workbench.core.export import torch_onnx
    from workbench.core.results import ExportResult

    nodes = [helper.make_node("Relu", ["x"], ["r"]), helper.make_node("IsInf", ["r"], ["y"])]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
                              [helper.make_tensor_value_info("y", TensorProto.BOOL, [1])])
    odd = tmp_path / "odd.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(odd))
    # the ONNX step stands in for an export whose graph holds an operator MNN's converter has no rule for
    monkeypatch.setattr(torch_onnx, "export_onnx", lambda spec, **kw: ExportResult(outputs=[str(odd)],
                                                                                   exporter="dynamo"))
    out = tmp_path / "out" / "model.mnn"
    with pytest.raises(WorkbenchError) as err:
        api.export(str(tiny_models("bert")), str(out), target="mnn")
    assert str(err.value).startswith("MNN cannot convert the model: its converter does not support IsInf")
    assert "\n" not in str(err.value) and not out.parent.exists()


def test_a_corrupt_mnn_is_one_line_for_inspect_and_validate(mnn_bert, tiny_models, tmp_path):
    good = mnn_bert[0].read_bytes()
    for name, data in (("truncated.mnn", good[: len(good) // 3]), ("noise.mnn", bytes(range(256)) * 8)):
        bad = tmp_path / name
        bad.write_bytes(data)
        for call in (lambda: api.inspect(str(bad)),
                     lambda: api.validate(ValidateSpec(model=str(bad), against=ModelSource(
                         str(tiny_models("bert")))))):
            with pytest.raises(WorkbenchError) as err:
                call()
            assert "not a valid MNN model" in str(err.value) and "\n" not in str(err.value)
            assert "convert it again" in err.value.hint


def test_the_form_declares_weights_and_quantization_and_none_is_plain(tiny_models, tmp_path,
                                                                        shared_resnet_export):
    from workbench.core.registry import default_registry

    dtype, quant, level = default_registry().target("mnn").form.options
    assert (dtype.field, dtype.values(), quant.field, quant.values(), quant.flag) == (
        "dtype", ("fp32", "fp16"), "quant", ("none", "int8", "int4"), "--quant")
    assert (level.field, level.values(), level.default, level.flag, level.cast("2")) == (
        "optimize_level", ("0", "1", "2"), "1", "--optimize-level", 2)
    result = api.export(str(tiny_models("resnet")), str(tmp_path / "plain.mnn"), target="mnn", quant="none",
                        optimize_level=0)
    assert result.dtype == "fp32" and not any("weights stored" in n for n in result.notes)
    assert any("(optimize level 0)" in n for n in result.notes)  # the spec's level reached the converter


def test_without_mnn_each_entry_point_says_how_to_install_it(tiny_models, tmp_path, monkeypatch):
    import importlib.util
    import sys

    from workbench.core.registry import default_registry

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a, **k: None if name in ("_tools", "MNN") else real(name, *a, **k))
    monkeypatch.setitem(sys.modules, "MNN", None)  # `import MNN` now fails as it does where it is not installed
    with pytest.raises(WorkbenchError, match="MNN is not installed: pip install -c constraints.txt mnn"):
        api.export(str(tiny_models("bert")), str(tmp_path / "out" / "model.mnn"), target="mnn")
    assert not (tmp_path / "out").exists()
    (tmp_path / "x.mnn").write_bytes(b"not checked: MNN is missing")
    with pytest.raises(WorkbenchError, match="MNN is not installed"):
        api.inspect(str(tmp_path / "x.mnn"))
    state = default_registry().runtime("mnn").availability()
    assert not state.available and "pip install -c constraints.txt mnn" in state.hint
    with pytest.raises(WorkbenchError, match="runtime 'mnn' cannot run here"):
        api.validate(ValidateSpec(model=str(tmp_path / "x.mnn"), against=ModelSource(str(tiny_models("bert")))))


def test_negative_gather_nd_indices_are_made_non_negative_for_mnn(tmp_path):
    """MNN's GatherND reads index -2 as out of range and gives zeros (Falcon's fused-QKV split exports as
    GatherND([[-2]]); its keys and values were 0 in MNN): prepare_onnx rewrites the constant indices where the
    indexed dimension is known, and the converted file then computes what ONNX Runtime does."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    from workbench.core.registry import default_registry
    from workbench.core.runtimes.base import RuntimeOptions
    from workbench.core.targets.mnn import convert_onnx, prepare_onnx
    from workbench.core.targets.mnn_graph import non_negative_gather_nd

    graph = helper.make_graph(
        [helper.make_node("GatherND", ["x", "idx"], ["y"])], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [6, "b", 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, "b", 8])],
        [numpy_helper.from_array(np.array([[-2]], np.int64), "idx")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onnx.save(model, str(tmp_path / "g.onnx"))
    x = np.random.default_rng(0).standard_normal((6, 3, 8)).astype(np.float32)
    runtime = default_registry().runtime("mnn")
    outputs = {}
    for name, fix in (("plain", False), ("fixed", True)):
        if fix:
            prepare_onnx(str(tmp_path / "g.onnx"), str(tmp_path / "p.onnx"), {"x": [1]})
        else:
            onnx.save(model, str(tmp_path / "p.onnx"))
        convert_onnx(str(tmp_path / "p.onnx"), str(tmp_path / f"{name}.mnn"))
        session = runtime.open(tmp_path / f"{name}.mnn", RuntimeOptions())
        outputs[name] = session.run({"x": x})["y"]
        session.close()
    assert np.array_equal(outputs["fixed"], x[[4]])  # index -2 of 6 is 4
    assert not np.array_equal(outputs["plain"], x[[4]])  # what MNN does with the index as exported
    rewritten = onnx.load(str(tmp_path / "p.onnx"))
    assert non_negative_gather_nd(rewritten) == 0  # nothing negative is left
    unknown = helper.make_model(helper.make_graph(
        [helper.make_node("GatherND", ["x", "idx"], ["y"])], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", "b", 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        [numpy_helper.from_array(np.array([[-2]], np.int64), "idx")]), opset_imports=[helper.make_opsetid("", 17)])
    assert non_negative_gather_nd(unknown) == 0  # the size is not known: left as it is


def _mnn_outputs(tmp_path, model, feeds_list, fix: bool):
    """``model`` converted to MNN as it is (``fix`` False) or through prepare_onnx, run on each feed in turn in one
    session (a shape-mutable module, as validate and generate use it)."""
    import onnx

    from workbench.core.registry import default_registry
    from workbench.core.runtimes.base import RuntimeOptions
    from workbench.core.targets.mnn import convert_onnx, prepare_onnx

    tag = "fixed" if fix else "plain"
    onnx.save(model, str(tmp_path / "g.onnx"))
    if fix:
        prepare_onnx(str(tmp_path / "g.onnx"), str(tmp_path / "p.onnx"), {})
    convert_onnx(str(tmp_path / ("p.onnx" if fix else "g.onnx")), str(tmp_path / f"{tag}.mnn"))
    session = default_registry().runtime("mnn").open(tmp_path / f"{tag}.mnn", RuntimeOptions())
    try:
        return [session.run(f)["y"] for f in feeds_list]
    finally:
        session.close()


def test_a_broadcast_batched_matmul_stays_right_after_a_batch_of_one(tmp_path):
    """MNN's MatMul broadcasting a head axis of 1 (multi-query attention: Falcon's one key head) gives garbage at
    batch 2 once batch 1 has run in the same module; prepare_onnx expands that side explicitly, and the results
    then match numpy at every batch in turn. MatMuls that broadcast nothing are left alone."""
    import numpy as np
    from onnx import TensorProto, helper

    from workbench.core.targets.mnn_graph import expand_broadcast_matmul

    def graph(k_heads):
        return helper.make_model(helper.make_graph(
            [helper.make_node("MatMul", ["a", "k"], ["y"])], "g",
            [helper.make_tensor_value_info("a", TensorProto.FLOAT, ["b", 4, 8, 8]),
             helper.make_tensor_value_info("k", TensorProto.FLOAT, ["b", k_heads, 8, 16])],
            [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)]), opset_imports=[helper.make_opsetid("", 17)])

    rng = np.random.default_rng(0)
    feeds = [{"a": rng.standard_normal((b, 4, 8, 8)).astype(np.float32),
              "k": rng.standard_normal((b, 1, 8, 16)).astype(np.float32)} for b in (1, 2, 1, 3)]
    expected = [f["a"] @ f["k"] for f in feeds]
    fixed = _mnn_outputs(tmp_path, graph(1), feeds, fix=True)
    assert all(np.allclose(g, e, atol=1e-4) for g, e in zip(fixed, expected))
    plain = _mnn_outputs(tmp_path, graph(1), feeds, fix=False)
    assert not np.allclose(plain[1], expected[1], atol=1e-4)  # what MNN does with the graph as exported
    assert expand_broadcast_matmul(graph(1)) == 1 and expand_broadcast_matmul(graph(4)) == 0


def test_scatter_elements_keeps_its_axis_and_an_unconvertible_one_is_one_line(tmp_path):
    """MNN's converter reads only the first of ScatterElements' axis and reduction attributes: the exporter's
    reduction="none" before axis=1 (DeepSeek-V3's router) scattered along axis 0. prepare_onnx drops the default
    and the result is ONNX's; a reduction along axis 1 cannot reach MNN and is refused in one line, before any
    file is written."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper

    from workbench.core.targets.mnn import prepare_onnx

    def graph(reduction):
        node = helper.make_node("ScatterElements", ["d", "i", "u"], ["y"])
        node.attribute.extend([helper.make_attribute("reduction", reduction), helper.make_attribute("axis", 1)])
        return helper.make_model(helper.make_graph([node], "g", [
            helper.make_tensor_value_info("d", TensorProto.FLOAT, ["n", 4]),
            helper.make_tensor_value_info("i", TensorProto.INT64, ["n", 2]),
            helper.make_tensor_value_info("u", TensorProto.FLOAT, ["n", 2])],
            [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)]), opset_imports=[helper.make_opsetid("", 18)])

    rng = np.random.default_rng(0)
    feed = {"d": rng.standard_normal((8, 4)).astype(np.float32),
            "i": np.stack([rng.permutation(4)[:2] for _ in range(8)]).astype(np.int64),
            "u": rng.standard_normal((8, 2)).astype(np.float32)}
    expected = feed["d"].copy()
    np.put_along_axis(expected, feed["i"], feed["u"], axis=1)
    assert np.array_equal(_mnn_outputs(tmp_path, graph("none"), [feed], fix=True)[0], expected)
    assert not np.array_equal(_mnn_outputs(tmp_path, graph("none"), [feed], fix=False)[0], expected)
    onnx.save(graph("add"), str(tmp_path / "add.onnx"))
    with pytest.raises(WorkbenchError, match="ScatterElements .*axis 1, reduction add") as err:
        prepare_onnx(str(tmp_path / "add.onnx"), str(tmp_path / "out.onnx"), {})
    assert "\n" not in str(err.value) and not (tmp_path / "out.onnx").exists()
