"""The onnxruntime runtime through the registry: it opens an exported .onnx, describes its inputs, runs it, and
its outputs match the torch runtime's on the same values; validate and bench pick it by the suffix."""

import numpy as np
import pytest

from workbench.core.errors import WorkbenchError
from workbench.core.registry import default_registry
from workbench.core.runtimes.base import RuntimeOptions
from workbench.core.runtimes.select import choose, feed
from workbench.core.specs import ModelSource, ValidateSpec


def test_onnxruntime_runs_an_export_like_pytorch(exported, tiny_models):
    reg = default_registry()
    path = exported("bert").path
    assert [r.name for r in reg.runtimes_for(path)] == ["onnxruntime"]
    session = reg.runtime("onnxruntime").open(path, RuntimeOptions())
    reference = reg.runtime("torch").open(str(tiny_models("bert")), RuntimeOptions())
    try:
        infos = session.inputs()
        assert [i.name for i in infos][:2] == ["input_ids", "attention_mask"]
        assert all(i.dtype == "int64" for i in infos) and all(isinstance(d, str) for d in infos[0].shape)
        assert session.device == "cpu" and session.runtime == "onnxruntime"
        from workbench.core.bench.inputs import runtime_example_inputs

        example = runtime_example_inputs(infos, 2, 5)  # what bench feeds a runtime whose graph it cannot read
        assert {k: (v.shape, v.dtype.name) for k, v in example.items()} == {i.name: ((2, 5), "int64") for i in infos}
        assert (example["attention_mask"] == 1).all()
        inputs = reference.loaded.make_inputs(2, 7, seed=3)
        actual = session.run(feed(infos, inputs, reference.loaded.input_names))
        expected = reference.run(inputs)
        assert list(actual) == [o.name for o in session.outputs()]
        first, ref = next(iter(actual.values())), expected[reference.loaded.output_names[0]]
        assert first.shape == (2, 7, 32) and np.abs(first - np.asarray(ref)).max() < 1e-4
    finally:
        session.close()
        reference.close()


def test_validate_names_the_runtime_and_refuses_one_that_cannot_run(exported, tiny_models, monkeypatch):
    from workbench import api
    from workbench.core.runtimes import onnxruntime as ort_runtime
    from workbench.core.runtimes.base import Availability

    path, src = exported("bert").path, ModelSource(str(tiny_models("bert")))
    result = api.validate(ValidateSpec(model=path, against=src, runtime="onnxruntime", shapes=((2, 8),)))
    assert result.passed and [o.name for o in result.outputs] == ["last_hidden_state", "pooler_output"]
    with pytest.raises(WorkbenchError, match="unknown runtime 'nope'"):
        api.validate(ValidateSpec(model=path, against=src, runtime="nope"))
    import dataclasses

    def crash(path, options):
        raise RuntimeError("native library said no\nsecond line")

    reg = default_registry()
    monkeypatch.setitem(reg.runtimes, "crashing", dataclasses.replace(reg.runtime("onnxruntime"), name="crashing",
                                                                      open=crash))
    with pytest.raises(WorkbenchError, match="runtime 'crashing' cannot open .*native library said no") as err:
        api.validate(ValidateSpec(model=path, against=src, runtime="crashing"))
    assert "second line" not in err.value.one_line()
    rt = default_registry().runtime("onnxruntime")
    monkeypatch.setattr(rt, "availability", lambda: Availability(False, hint="pip install onnxruntime"))
    with pytest.raises(WorkbenchError, match="cannot run here") as err:
        choose(path)
    assert "pip install onnxruntime" in err.value.one_line() and "\n" not in err.value.one_line()
    assert ort_runtime.availability().available  # the module's own answer is untouched


def test_bench_runs_any_runtime_through_session_run(exported, tiny_models, monkeypatch, capsys):
    # a second registered runtime over ONNX Runtime (a plugin would do the same): bench picks it by name, times its
    # session.run(feeds) through the generic sampler, and gets the outputs the onnxruntime runtime's sampler gets
    import dataclasses

    from workbench import api
    from workbench.core.bench.latency import RuntimeSampler, iter_samples
    from workbench.core.bench.ort_sampler import OrtSampler
    from workbench.core.runtimes import onnxruntime as ort_runtime
    from workbench.core.specs import BenchSpec

    reg = default_registry()
    plain = dataclasses.replace(reg.runtime("onnxruntime"), name="plain-ort")
    monkeypatch.setitem(reg.runtimes, "plain-ort", plain)
    path = exported("bert").path
    spec = BenchSpec(model=path, batch=2, sequence=6, iterations=3, warmup=1)
    outputs = {}
    for name, kind in (("plain-ort", RuntimeSampler), (None, OrtSampler)):
        sampler = iter_samples(dataclasses.replace(spec, runtime=name))
        assert type(sampler) is kind
        sampler.keep_outputs = True
        assert len(list(sampler)) == 3 and sampler.provider == "cpu" and sampler.batch == 2
        outputs[name] = sampler.outputs
    assert [o.shape for o in outputs["plain-ort"]] == [(2, 6, 32), (2, 32)]
    assert all(np.array_equal(a, b) for a, b in zip(outputs["plain-ort"], outputs[None]))
    result = api.bench(dataclasses.replace(spec, runtime="plain-ort"))
    assert result.iterations == 3 and result.name == "plain-ort model.onnx" and result.latency_ms["p50"] > 0
    with pytest.raises(WorkbenchError, match="unknown runtime 'nope'"):
        iter_samples(dataclasses.replace(spec, runtime="nope"))
    import json

    from workbench import cli

    capsys.readouterr()
    assert cli.main(["bench", path, "--runtime", "plain-ort", "--iterations", "2", "--warmup", "0", "--seq", "6",
                     "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["name"] == "plain-ort model.onnx"
    assert cli.main(["validate", path, "--against", str(tiny_models("bert")), "--runtime", "plain-ort",
                     "--json"]) == 0
    checked = json.loads(capsys.readouterr().out)
    assert checked["passed"] and len(checked["shapes_tried"]) == 3
    assert ort_runtime.NAME == "onnxruntime"


def test_a_decoder_session_generates_the_tokens_pytorch_does(tiny_models, tmp_path):
    # the runtime contract's optional generate(): an exported decoder with past, stepped on the session's own ORT
    # session, greedy tokens one for one with the PyTorch decoder's; a model without a past is one line
    from workbench import api
    from workbench.core.generate_decoders import folder_settings, torch_decoder
    from workbench.core.runtimes.decoding import Sampling
    from workbench.core.generate import run_steps

    source = tiny_models("llama")
    out = tmp_path / "llama"
    api.export(ModelSource(str(source), task="text-generation-with-past"), str(out))
    runtime = default_registry().runtime("onnxruntime")
    assert runtime.generates
    session = runtime.open(out / "model.onnx", RuntimeOptions())
    prompt = [3, 17, 42, 5]
    steps = list(session.generate(prompt, 6))
    assert len(steps) == 6 and all(s.seconds > 0 and s.text == "" for s in steps)
    want = run_steps(torch_decoder(source), [prompt], 6, Sampling(), folder_settings(source), None, False)["rows"][0]
    assert [s.token_id for s in steps] == want
    sampled = [s.token_id for s in session.generate(prompt, 6, temperature=0.8, top_k=5, seed=7)]
    assert sampled == [s.token_id for s in session.generate(prompt, 6, temperature=0.8, top_k=5, seed=7)]
    session.close()

    plain = tmp_path / "plain" / "model.onnx"
    api.export(ModelSource(str(source), task="text-generation"), str(plain))
    logits_only = runtime.open(plain, RuntimeOptions())
    with pytest.raises(WorkbenchError, match="not a decoder with past key values") as err:
        logits_only.generate(prompt, 3)
    assert "\n" not in str(err.value) and "text-generation-with-past" in err.value.one_line()


def _reshape_model():
    """y = reshape(x, [2, 3]): runs on 6 values, fails at run time on any other count."""
    import onnx
    from onnx import TensorProto, helper

    shape = helper.make_tensor("shape", TensorProto.INT64, [2], [2, 3])
    graph = helper.make_graph([helper.make_node("Reshape", ["x", "shape"], ["y"])], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n"])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], [shape])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)


def test_onnxruntime_opens_a_graph_from_bytes_and_a_quiet_failure_is_still_one_line(tmp_path):
    runtime = default_registry().runtime("onnxruntime")
    named = tmp_path / "in-memory.onnx"  # never written: the path only names the graph in messages
    data = _reshape_model().SerializeToString()
    with pytest.raises(WorkbenchError, match="in-memory.onnx"):  # without data the missing file is refused
        runtime.open(str(named), RuntimeOptions())
    session = runtime.open(str(named), RuntimeOptions(extra={"data": data, "quiet": True}))
    try:
        assert [i.name for i in session.inputs()] == ["x"] and not named.exists()
        out = session.run(session.feed({"x": np.arange(6, dtype=np.float32)}))
        assert out["y"].tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
        with pytest.raises(WorkbenchError) as err:
            session.run(session.feed({"x": np.arange(5, dtype=np.float32)}))
        assert str(err.value).startswith("ONNX Runtime failed to run the model") and "\n" not in str(err.value)
    finally:
        session.close()
