"""Files that point elsewhere or are not what they are named: a shard index reaching outside its folder, ONNX
external data linked outside its folder or a pipe, weights that are a pipe or a device link, operators of an
unknown domain, a program source given to inspect, and a quantizer's error naming its own working copy."""

import os
import shutil

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from workbench import api
from workbench.core.errors import WorkbenchError


def _hf_folder(tiny_models, folder):
    folder.mkdir()
    shutil.copy(tiny_models("bert") / "config.json", folder / "config.json")
    return folder


@pytest.mark.parametrize("shard", ["../elsewhere/model.safetensors", "/tmp/model.safetensors"])
def test_a_shard_index_reaching_outside_its_folder_is_refused(tiny_models, tmp_path, shard):
    import json

    folder = _hf_folder(tiny_models, tmp_path / "m")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shutil.copy(tiny_models("bert") / "model.safetensors", elsewhere / "model.safetensors")
    (folder / "model.safetensors.index.json").write_text(json.dumps({"weight_map": {"w": shard}}))
    result = api.inspect(str(folder))
    assert any("outside its folder" in p for p in result.problems), result.problems


@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_weights_that_are_a_pipe_or_a_device_say_so(tiny_models, tmp_path, kind):
    folder = _hf_folder(tiny_models, tmp_path / "m")
    weights = folder / "model.safetensors"
    os.mkfifo(weights) if kind == "fifo" else weights.symlink_to("/dev/zero")
    result = api.inspect(str(folder))
    what = "named pipe" if kind == "fifo" else "character device"
    assert any(what in p for p in result.problems), result.problems
    assert not any("no weights file" in p for p in result.problems)


def _mlp(path, external: str = "", domain: str = ""):
    weight = numpy_helper.from_array(np.ones((4, 3), np.float32), "W")
    if external:
        weight.data_location = TensorProto.EXTERNAL
        weight.ClearField("raw_data")
        for key, value in (("location", external), ("offset", "0"), ("length", "48")):
            weight.external_data.add(key=key, value=value)
    nodes = [helper.make_node("MatMul", ["x", "W"], ["y" if not domain else "t"])]
    if domain:
        nodes.append(helper.make_node("Zork", ["t"], ["y"], domain=domain))
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 4])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 3])], [weight])
    opsets = [helper.make_opsetid("", 17)] + ([helper.make_opsetid(domain, 1)] if domain else [])
    model = helper.make_model(graph, opset_imports=opsets)
    model.ir_version = 8
    with open(path, "wb") as f:
        f.write(model.SerializeToString())
    return path


def test_external_data_linked_outside_the_folder_is_refused(tmp_path):
    (tmp_path / "outside").mkdir()
    secret = tmp_path / "outside" / "secret"
    secret.write_bytes(b"s" * 64)
    (tmp_path / "m").mkdir()
    model = _mlp(tmp_path / "m" / "model.onnx", external="w.data")
    (tmp_path / "m" / "w.data").symlink_to(secret)
    with pytest.raises(WorkbenchError, match="a link to .*outside its folder"):
        api.inspect(str(model))


def test_external_data_that_is_a_pipe_says_so(tmp_path):
    model = _mlp(tmp_path / "model.onnx", external="w.data")
    os.mkfifo(tmp_path / "w.data")
    with pytest.raises(WorkbenchError, match="named pipe"):
        api.inspect(str(model))


def test_operators_of_an_unknown_domain_are_noted(tmp_path):
    result = api.inspect(str(_mlp(tmp_path / "model.onnx", domain="com.zork")))
    assert any("domain 'com.zork' (Zork) are not standard ONNX" in n for n in result.notes)
    plain = api.inspect(str(_mlp(tmp_path / "plain.onnx")))
    assert not any("not standard ONNX" in n for n in plain.notes)


def test_inspect_of_a_program_source_runs_nothing_and_says_why(tmp_path):
    marker = tmp_path / "ran"
    program = tmp_path / "evil.py"
    program.write_text(f"open({str(marker)!r}, 'w').write('x')\nimport torch\nclass Net(torch.nn.Module):\n  pass\n")
    with pytest.raises(WorkbenchError, match="program source .* never runs code"):
        api.inspect(f"{program}:Net")
    assert not marker.exists()


def test_a_quantizer_error_names_the_users_file_not_its_working_copy(tmp_path):
    model = _mlp(tmp_path / "custom.onnx", domain="com.zork")
    out = tmp_path / "q" / "model.int8.onnx"
    with pytest.raises(WorkbenchError) as err:
        api.quantize(str(model), str(out), mode="int8-dynamic")
    assert str(model) in str(err.value) and ".quantize-work" not in str(err.value)
    assert not (tmp_path / "q").exists()
