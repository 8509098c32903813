"""Families beyond one text input: CLIP (two towers, and a tower alone) and wav2vec2 (raw audio) export with every
input of their forward signature, sized from their config, and validate at shapes that differ in every dynamic
dimension; a model's own code failing is one line naming the file and line."""

import json

import numpy as np
import onnx
import pytest
from onnx import numpy_helper

from workbench import api
from workbench.cli import main
from workbench.core.errors import code_site, model_error

CLIP_TEXT = dict(vocab_size=99, hidden_size=32, intermediate_size=37, num_hidden_layers=2, num_attention_heads=4,
                 max_position_embeddings=64)
CLIP_VISION = dict(hidden_size=32, intermediate_size=37, num_hidden_layers=2, num_attention_heads=4, image_size=30,
                   patch_size=3, num_channels=3)
AUDIO = dict(vocab_size=32, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=37,
             conv_dim=(16, 16, 16), conv_stride=(4, 4, 4), conv_kernel=(8, 8, 8), num_conv_pos_embeddings=16,
             num_conv_pos_embedding_groups=2)


def _save(model, folder):
    model.config.architectures = [type(model).__name__]
    model.eval().save_pretrained(str(folder))
    return folder


@pytest.fixture(scope="module")
def families(tmp_path_factory):
    import torch
    import transformers as tf

    torch.manual_seed(0)
    root = tmp_path_factory.mktemp("families")
    clip = tf.CLIPConfig(text_config=CLIP_TEXT, vision_config=CLIP_VISION, projection_dim=16)
    return {
        "clip": _save(tf.CLIPModel(clip), root / "clip"),
        "clip_vision": _save(tf.CLIPVisionModelWithProjection(tf.CLIPVisionConfig(**CLIP_VISION,
                                                                                  projection_dim=16)),
                             root / "clip_vision"),
        "wav2vec2": _save(tf.Wav2Vec2Model(tf.Wav2Vec2Config(**AUDIO)), root / "wav2vec2"),
        # layer-normalised feature encoder: its feature extractor feeds an attention mask (over samples)
        "wav2vec2_mask": _save(tf.Wav2Vec2Model(tf.Wav2Vec2Config(**AUDIO, feat_extract_norm="layer")),
                               root / "wav2vec2_mask"),
    }


@pytest.fixture(scope="module")
def w2v_export(families, tmp_path_factory):
    return api.export(str(families["wav2vec2"]), str(tmp_path_factory.mktemp("w2v") / "w2v.onnx"))


def _file_dims(path) -> dict:
    model = onnx.load(str(path), load_external_data=False)
    return {v.name: [d.dim_param or d.dim_value for d in v.type.tensor_type.shape.dim] for v in model.graph.input}


def _differ_in_every_dynamic_dim(validation, dims: dict):
    runs = validation.runs
    assert len(runs) >= 3
    for name, shape in dims.items():
        for axis, dim in enumerate(shape):
            sizes = [r["inputs"][name][axis] for r in runs]
            if isinstance(dim, str):
                assert len(set(sizes)) == len(sizes), (name, axis, sizes)
            else:
                assert set(sizes) == {dim}, (name, axis, sizes)


def test_clip_exports_both_towers_inputs_and_validates(families, tmp_path):
    res = api.export(str(families["clip"]), str(tmp_path / "clip.onnx"))
    assert set(res.input_names) == {"input_ids", "attention_mask", "pixel_values"}
    assert res.output_names == ["logits_per_image", "logits_per_text", "text_embeds", "image_embeds"]
    dims = _file_dims(res.path)
    assert dims["input_ids"] == ["batch", "sequence"] == dims["attention_mask"]
    assert dims["pixel_values"] == ["batch", 3, 30, 30]  # image size from the vision config, H/W static
    assert res.output_shapes["logits_per_image"] == ["batch", "batch"]
    validation = api.validate(res.path, against=str(families["clip"]))
    assert validation.passed, validation.reason
    _differ_in_every_dynamic_dim(validation, dims)


def test_clip_tower_alone(families, tmp_path):
    res = api.export(str(families["clip_vision"]), str(tmp_path / "vision.onnx"))
    assert res.input_names == ["pixel_values"] and "image_embeds" in res.output_names
    validation = api.validate(res.path, against=str(families["clip_vision"]))
    assert validation.passed and sorted(s[0] for s in validation.shapes_tried) == [1, 2, 3]


def test_wav2vec2_raw_audio_length_from_the_conv_encoder(families, w2v_export):
    res = w2v_export
    assert res.input_names == ["input_values"]  # group-normalised encoder: no attention mask
    assert _file_dims(res.path)["input_values"] == ["batch", "length"]
    validation = api.validate(res.path, against=str(families["wav2vec2"]))
    assert validation.passed, validation.reason
    _differ_in_every_dynamic_dim(validation, _file_dims(res.path))
    # strides 4*4*4 = 64 samples a frame over a receptive field of 8 + 7*4 + 7*16 = 148: s frames = 64 s + 84
    frames = [r["outputs"][0]["shape"][1] for r in validation.runs]
    assert [r["inputs"]["input_values"][1] for r in validation.runs] == [64 * f + 84 for f in frames]
    assert frames == [8, 13, 21]


def test_wav2vec2_with_attention_mask(families, tmp_path, capsys):
    out = tmp_path / "w2v_mask.onnx"
    assert main(["export", str(families["wav2vec2_mask"]), "-o", str(out), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["input_names"] == ["input_values", "attention_mask"]
    assert data["input_shapes"]["attention_mask"] == ["batch", "length"] == data["input_shapes"]["input_values"]
    assert main(["validate", str(out), "--against", str(families["wav2vec2_mask"])]) == 0


def test_a_perturbed_audio_model_fails(families, w2v_export, tmp_path, capsys):
    model = onnx.load(w2v_export.path)
    t = max((t for t in model.graph.initializer if len(t.dims) == 2 and t.data_type == onnx.TensorProto.FLOAT),
            key=lambda t: int(np.prod(t.dims)))
    t.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(t) * np.float32(1.05), t.name))
    onnx.save(model, str(tmp_path / "bad.onnx"))
    assert main(["validate", str(tmp_path / "bad.onnx"), "--against", str(families["wav2vec2"])]) == 1
    assert "differs from PyTorch" in capsys.readouterr().err


def test_a_failure_in_the_models_code_names_its_file_and_line():
    namespace: dict = {}
    code = compile("def forward(x):\n    raise ValueError('You have to specify decoder_input_ids')\n",
                   "/somewhere/modeling_fake.py", "exec")
    exec(code, namespace)  # noqa: S102 - a stand-in for a transformers modeling file
    with pytest.raises(ValueError) as info:
        namespace["forward"](1)
    assert code_site(info.value) == "modeling_fake.py:2 in forward"
    line = str(model_error(info.value, "FakeModel.forward on example input_ids"))
    assert line.startswith("FakeModel.forward on example input_ids failed: ValueError at modeling_fake.py:2 in "
                           "forward: You have to specify decoder_input_ids; ")
    assert "\n" not in line
