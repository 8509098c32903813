"""TensorRT as a deployment target without TensorRT (not installable here): `optimize --target cuda` records an
optimization profile and what to build from in the file's metadata, and `workbench deploy` writes tensorrt.sh with
trtexec and Polygraphy lines whose shapes are the model's own (checked against its inputs, not run)."""

import json
import shlex
import subprocess

import pytest

from workbench import api
from workbench.core import tensorrt_profile
from workbench.core.deploy import deploy


def _args(script: str, tool: str) -> list:
    line = next(ln for ln in script.splitlines() if ln.startswith(tool + " "))
    return shlex.split(line)


def test_deploy_writes_trtexec_and_polygraphy_lines_with_the_models_shapes(artifacts, tmp_path):
    result = deploy(artifacts["onnx"], tmp_path / "kit", "python")
    assert "tensorrt.sh" in result.files and "bash tensorrt.sh" in result.build
    script = (tmp_path / "kit" / "tensorrt.sh").read_text()
    assert subprocess.run(["bash", "-n", str(tmp_path / "kit" / "tensorrt.sh")]).returncode == 0
    trt = _args(script, "trtexec")
    assert f"--onnx={artifacts['onnx'].resolve()}" in trt and "--saveEngine=model.engine" in trt
    # inputs x [batch, 16] float32 and ids [batch, 3] int64: batch over 1..32, the static sizes kept
    assert "--minShapes=x:1x16,ids:1x3" in trt and "--optShapes=x:1x16,ids:1x3" in trt
    assert "--maxShapes=x:32x16,ids:32x3" in trt
    assert "--fp16" not in trt  # an fp32 file: TensorRT would otherwise pick fp16 kernels and change the numbers
    poly = _args(script, "polygraphy")
    assert poly[:3] == ["polygraphy", "run", str(artifacts["onnx"].resolve())] and "--trt" in poly
    i = poly.index("--trt-max-shapes")
    assert poly[i + 1:i + 3] == ["x:[32,16]", "ids:[32,3]"]
    assert "contrib" not in script


def test_a_file_with_contrib_operators_points_trtexec_at_the_plain_export(tmp_path):
    import onnx
    from onnx import TensorProto, helper

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", "sequence", 8])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", "sequence", 8])
    graph = helper.make_graph([helper.make_node("FastGelu", ["x"], ["y"], domain="com.microsoft")], "g", [x], [y])
    opsets = [helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)]
    model = helper.make_model(graph, opset_imports=opsets)
    path = tmp_path / "fused.onnx"
    onnx.save(model, str(path))
    plain = tmp_path / "plain.onnx"
    info = tensorrt_profile.record(path, {"max_position_embeddings": 64}, plain)
    assert info == tensorrt_profile.read(path)  # kept in the file
    assert info["contrib_ops"] == ["FastGelu"] and info["build_from"] == str(plain.resolve())
    assert info["profile"] == {"x": {"min": [1, 1, 8], "opt": [1, 64, 8], "max": [32, 64, 8]}}
    script = tensorrt_profile.script(path, info, fp16=True)
    trt = _args(script, "trtexec")
    assert f"--onnx={plain.resolve()}" in trt and "--fp16" in trt and "--maxShapes=x:32x64x8" in trt
    assert "FastGelu" in script and "plain export" in script
    tensorrt_profile.record(path, None, None)  # recorded again: one entry, replaced
    keys = [p.key for p in onnx.load(str(path)).metadata_props]
    assert keys.count(tensorrt_profile.KEY) == 1


def test_optimize_for_cuda_records_the_profile_and_the_plain_source(exported, tiny_models, tmp_path):
    import onnx

    src = exported("bert").path
    res = api.optimize(src, str(tmp_path / "cuda.onnx"), target="cuda", fusion=True)
    meta = {p.key: p.value for p in onnx.load(res.output, load_external_data=False).metadata_props}
    info = json.loads(meta[tensorrt_profile.KEY])
    ids = info["profile"]["input_ids"]
    assert ids["min"] == [1, 1] and ids["opt"][0] == 1 and ids["max"][0] == 32
    config = json.loads((tiny_models("bert") / "config.json").read_text())
    assert ids["max"][1] == min(config["max_position_embeddings"], 4096)
    assert "SkipLayerNormalization" in info["contrib_ops"]
    assert info["build_from"] == str(__import__("pathlib").Path(src).resolve())
    kit = deploy(res.output, tmp_path / "kit", "python")
    script = (tmp_path / "kit" / "tensorrt.sh").read_text()
    assert f"--onnx={info['build_from']}" in _args(script, "trtexec") and "--fp16" in script
    assert kit.files.count("tensorrt.sh") == 1


def test_an_encrypted_model_gets_no_tensorrt_script(encrypted, tmp_path):
    result = deploy(encrypted["onnx"], tmp_path / "enc", "python")
    assert "tensorrt.sh" not in result.files


@pytest.fixture
def encrypted(artifacts, key, tmp_path, monkeypatch):
    from workbench.core import crypto
    from workbench.core.encrypt import encrypt

    out = tmp_path / "m.enc"
    encrypt(artifacts["onnx"], out, key)
    monkeypatch.setenv(crypto.KEY_ENV, key.hex())
    return {"onnx": out}
