"""Export to ONNX: every family through the dynamo exporter, the legacy exporter, fallback, options, errors."""

import onnx
import pytest

from workbench import api
from workbench.core.errors import WorkbenchError
from workbench.core.specs import ModelSource

USER_MODELS = '''
import torch

@torch.library.custom_op("wbtest::weird", mutates_args=())
def weird(x: torch.Tensor) -> torch.Tensor:
    return x * 2

@weird.register_fake
def _(x):
    return torch.empty_like(x)

class Weird(torch.nn.Module):
    example_input_shapes = {"x": [2, 4]}
    def __init__(self):
        super().__init__()
        self.lin = torch.nn.Linear(4, 4)
    def forward(self, x):
        return weird(self.lin(x))

class Branchy(torch.nn.Module):
    example_input_shapes = {"x": [2, 4]}
    def __init__(self):
        super().__init__()
        self.lin = torch.nn.Linear(4, 4)
    def forward(self, x):
        y = self.lin(x)
        if y.sum() > 0:
            return y * 2
        return y - 1

class SmallCNN(torch.nn.Module):
    example_input_shapes = {"image": [2, 3, 16, 16]}
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 8, 3, padding=1)
        self.head = torch.nn.Linear(8, 4)
    def forward(self, image):
        return self.head(torch.relu(self.conv(image)).mean(dim=(2, 3)))
'''


@pytest.fixture(scope="module")
def user_code(tmp_path_factory):
    import importlib.util

    import torch

    root = tmp_path_factory.mktemp("usercode")
    (root / "models.py").write_text(USER_MODELS)
    spec = importlib.util.spec_from_file_location("wb_test_user_models", root / "models.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for name in ("Weird", "Branchy", "SmallCNN"):
        torch.save(getattr(module, name)().state_dict(), root / f"{name}.pt")
    return root


def _dims(path, which="input"):
    model = onnx.load(str(path), load_external_data=False)
    values = model.graph.input if which == "input" else model.graph.output
    return {v.name: [d.dim_param or d.dim_value for d in v.type.tensor_type.shape.dim] for v in values}


@pytest.mark.parametrize("kind", ["llama", "qwen2", "gpt2", "bert", "resnet"])
def test_every_family_exports_and_matches_pytorch(kind, exported, tiny_models):
    result = exported(kind)
    assert result.exporter == "dynamo" and result.fallback_reason is None
    validation = api.validate(result.path, against=str(tiny_models(kind)))
    assert validation.passed, validation
    assert validation.shapes_tried[0] != validation.shapes_tried[1]
    for out in validation.outputs:
        assert out.max_rel_diff <= 1e-4, out


def test_text_model_has_named_dynamic_batch_and_sequence(exported):
    dims = _dims(exported("llama").path)
    assert dims["input_ids"] == ["batch", "sequence"]
    assert dims["attention_mask"] == ["batch", "sequence"]
    assert _dims(exported("llama").path, "output")["logits"][:2] == ["batch", "sequence"]


def test_deepseek_v3_moe_exports_with_family_settings_and_validates(tiny_models, tmp_path):
    folder = tiny_models("deepseek_v3")
    result = api.export(str(folder), str(tmp_path / "model.onnx"))
    assert result.family_settings["load_kwargs"] == {"experts_implementation": "batched_mm"}
    validation = api.validate(result.path, against=str(folder))
    assert validation.passed and validation.outputs[0].max_rel_diff <= 1e-4


def test_legacy_exporter_by_choice(tiny_models, tmp_path):
    result = api.export(str(tiny_models("bert")), str(tmp_path / "m.onnx"), exporter="legacy", opset=17)
    assert result.exporter == "legacy" and result.opset == 17
    assert api.validate(result.path, against=str(tiny_models("bert"))).passed


def test_options_opset_dynamic_names_io_names_no_folding(tiny_models, tmp_path):
    result = api.export(str(tiny_models("bert")), str(tmp_path / "m.onnx"), opset=18, constant_folding=False,
                        dynamic_axes={"input_ids": {0: "b", 1: "s"}, "attention_mask": {0: "b", 1: "s"},
                                      "token_type_ids": {0: "b", 1: "s"}},
                        output_names=("hidden", "pooled"))
    assert result.opset == 18
    dims = _dims(result.path)
    assert dims["input_ids"] == ["b", "s"]
    assert set(_dims(result.path, "output")) == {"hidden", "pooled"}


def test_fixed_shapes_when_no_dynamic_axes(tiny_models, tmp_path):
    result = api.export(str(tiny_models("bert")), str(tmp_path / "m.onnx"), dynamic_axes={})
    assert _dims(result.path)["input_ids"] == [2, 8]


def test_static_batch_is_exactly_the_size_asked(tiny_models, tmp_path):
    """--batch 1 with only the sequence dynamic: the file holds batch 1 (not the 2 used for dynamic axes)."""
    from workbench.core.specs import InputSpec

    result = api.export(str(tiny_models("llama")), str(tmp_path / "m.onnx"), inputs=InputSpec(batch=1),
                        dynamic_axes={"input_ids": {1: "seq"}, "attention_mask": {1: "seq"}})
    assert _dims(result.path)["input_ids"] == [1, "seq"]
    assert result.input_shapes["input_ids"] == [1, "seq"]
    assert api.validate(result.path, against=str(tiny_models("llama"))).passed


def test_external_data_on_request(tiny_models, tmp_path):
    result = api.export(str(tiny_models("gpt2")), str(tmp_path / "m.onnx"), external_data=True)
    assert (tmp_path / "m.onnx.data").exists()
    assert len(result.outputs) == 2
    assert api.validate(result.path, against=str(tiny_models("gpt2"))).passed


def test_fp16_export_is_close_to_fp32_pytorch(tiny_models, tmp_path):
    result = api.export(str(tiny_models("llama")), str(tmp_path / "m.onnx"), dtype="fp16")
    validation = api.validate(result.path, against=str(tiny_models("llama")))
    assert validation.rtol == 1e-2
    assert all(o.cosine >= 0.999 for o in validation.outputs), validation
    assert validation.passed


def test_dynamo_failure_falls_back_to_legacy_and_says_why(user_code, tmp_path):
    src = ModelSource(f"{user_code}/models.py:Branchy", weights=str(user_code / "Branchy.pt"), trust_code=True)
    result = api.export(src, str(tmp_path / "m.onnx"))
    assert result.exporter == "legacy"
    assert "data-dependent" in result.fallback_reason and "models.py:" in result.fallback_reason


def test_failed_export_names_the_operator_and_leaves_nothing(user_code, tmp_path):
    src = ModelSource(f"{user_code}/models.py:Weird", weights=str(user_code / "Weird.pt"), trust_code=True)
    out = tmp_path / "new" / "m.onnx"
    with pytest.raises(WorkbenchError, match="wbtest::weird"):
        api.export(src, str(out))
    assert not out.parent.exists()
    with pytest.raises(WorkbenchError, match="dynamo exporter"):
        api.export(src, str(out), fallback=False)


def test_user_code_cnn_exports_and_validates(user_code, tmp_path):
    src = ModelSource(f"{user_code}/models.py:SmallCNN", weights=str(user_code / "SmallCNN.pt"), trust_code=True)
    result = api.export(src, str(tmp_path / "cnn.onnx"))
    assert _dims(result.path)["image"][0] == "batch"
    assert api.validate(result.path, against=src).passed


def test_torchscript_target(tiny_models, tmp_path):
    from workbench.core.registry import default_registry

    result = api.export(str(tiny_models("bert")), str(tmp_path / "m.pt"), target="torchscript")
    assert result.target == "torchscript"
    with pytest.raises(WorkbenchError, match="is a TorchScript program.*--trust-code"):  # loading it runs it
        default_registry().target("torchscript").validate(
            api.ValidateSpec(model=result.path, against=ModelSource(str(tiny_models("bert")))))
    validation = default_registry().target("torchscript").validate(
        api.ValidateSpec(model=result.path, against=ModelSource(str(tiny_models("bert")), trust_code=True)))
    assert validation.passed


@pytest.mark.parametrize("kwargs, message", [
    ({"dtype": "int3"}, "unknown dtype"),
    ({"exporter": "magic"}, "unknown exporter"),
    ({"opset": 3}, "opset 3"),
    ({"dynamic_axes": {"nope": {0: "b"}}}, "unknown input 'nope'"),
    ({"dynamic_axes": {"input_ids": {5: "b"}}}, "axis 5"),
    ({"target": "tflite"}, "unknown target"),
])
def test_bad_options_are_one_line_errors(kwargs, message, tiny_models, tmp_path):
    with pytest.raises(WorkbenchError, match=message) as info:
        api.export(str(tiny_models("bert")), str(tmp_path / "m.onnx"), **kwargs)
    assert "\n" not in str(info.value)
    assert list(tmp_path.iterdir()) == []


def test_missing_source_and_corrupt_config(tmp_path):
    with pytest.raises(WorkbenchError, match="no such file"):
        api.export(str(tmp_path / "nothing"), str(tmp_path / "m.onnx"))
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "config.json").write_text("{not json")
    with pytest.raises(WorkbenchError):
        api.export(str(bad), str(tmp_path / "out" / "m.onnx"))
    assert not (tmp_path / "out").exists()


def test_minilm_real_model_exports_within_1e_4(minilm_dir, tmp_path):
    result = api.export(str(minilm_dir), str(tmp_path / "minilm.onnx"))
    validation = api.validate(result.path, against=str(minilm_dir))
    assert validation.passed
    assert all(o.max_rel_diff <= 1e-4 for o in validation.outputs), validation


# -- dynamic axes as a contract: what the file has, read back, is what was asked (or the export says why not) --

def test_dynamic_on_input_ids_only_is_dynamic_in_the_file_or_refused_with_the_cause(tiny_models, tmp_path):
    out = tmp_path / "new" / "m.onnx"
    asked = {"input_ids": {0: "batch", 1: "seq"}}
    try:
        result = api.export(str(tiny_models("bert")), str(out), dynamic_axes=asked)
    except WorkbenchError as err:  # torch.export fixed the dims it equated with the static attention_mask
        text = str(err)
        assert "\n" not in text and "input_ids:0=batch" in text
        assert "attention_mask" in text and "token_type_ids" in text and "--dynamic" in text
        assert not out.parent.exists()  # nothing written
        return
    dims = _dims(result.path)
    assert dims["input_ids"] == ["batch", "seq"], dims
    assert result.input_shapes == dims


def test_default_bert_export_is_dynamic_on_every_input(exported):
    result = exported("bert")
    dims = _dims(result.path)
    for name in ("input_ids", "attention_mask", "token_type_ids"):
        assert dims[name] == ["batch", "sequence"], (name, dims)
    assert result.input_shapes == dims  # the result carries what the file says
    assert result.output_shapes == _dims(result.path, "output")


@pytest.mark.parametrize("kind", ["llama", "gpt2", "resnet"])
def test_result_shapes_are_read_back_from_the_file(kind, exported):
    result = exported(kind)
    assert result.input_shapes == _dims(result.path)
    assert result.output_shapes == _dims(result.path, "output")
    for name, dims in result.dynamic_axes.items():
        for axis, dim in dims.items():
            assert result.input_shapes[name][int(axis)] == dim


def test_size_1_example_on_a_dynamic_axis_is_refused_with_the_cause(user_code, tmp_path):
    from workbench.core.specs import InputSpec

    src = ModelSource(f"{user_code}/models.py:SmallCNN", weights=str(user_code / "SmallCNN.pt"), trust_code=True)
    try:
        result = api.export(src, str(tmp_path / "cnn.onnx"), dynamic_axes={"image": {0: "batch", 2: "height"}},
                            inputs=InputSpec(shapes={"image": [2, 3, 1, 16]}))
    except WorkbenchError as err:
        assert "image:2=height" in str(err) and "size 1" in str(err)
        return
    assert result.input_shapes["image"][2] == "height"


def test_engine_default_axes_cover_every_fed_input():
    from workbench.core.dynamic_axes import default_axes
    from workbench.core.loading.model import InputInfo

    infos = [InputInfo("input_ids", "int64", [-1, -2]), InputInfo("attention_mask", "int64", [-1, -2]),
             InputInfo("token_type_ids", "int64", [-1, -2]), InputInfo("pixel_values", "float", [-1, 3, 8, 8])]
    assert default_axes(infos) == {"input_ids": {0: "batch", 1: "sequence"},
                                   "attention_mask": {0: "batch", 1: "sequence"},
                                   "token_type_ids": {0: "batch", 1: "sequence"}, "pixel_values": {0: "batch"}}
    assert set(default_axes()) == {"input_ids", "attention_mask"}  # nothing known yet: a text model


def test_export_of_a_config_that_does_not_fit_the_weights_names_the_tensor(tiny_models, tmp_path):
    import json
    import shutil

    folder = tmp_path / "bert"
    shutil.copytree(tiny_models("bert"), folder)
    config = json.loads((folder / "config.json").read_text())
    config["hidden_size"] = 64
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(WorkbenchError, match="embeddings.word_embeddings.weight") as info:
        api.export(str(folder), str(tmp_path / "out" / "m.onnx"))
    assert "\n" not in str(info.value) and not (tmp_path / "out").exists()
