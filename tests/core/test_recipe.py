"""Recipe files: strict parsing (TOML and YAML), path resolution, and the property that no input crashes the
parser with anything but a WorkbenchError."""

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.core.errors import WorkbenchError
from workbench.core.dynamic_axes import parse_dynamic
from workbench.core.recipe import load_recipe, parse_recipe

GOOD = """
name = "tiny"
output_dir = "out"
[source]
path = "model"
[export]
opset = 18
dynamic = ["input_ids:0=batch", "input_ids:1=seq"]
[validate]
rtol = 1e-3
[optimize]
level = "basic"
[[quantize]]
mode = "int8-dynamic"
[[quantize]]
mode = "int4"
block_size = 32
calibration = "calib"
[bench]
iterations = 5
"""


def test_good_toml_recipe(tmp_path):
    path = tmp_path / "r.toml"
    path.write_text(GOOD)
    recipe = load_recipe(str(path))
    assert recipe.name == "tiny"
    assert recipe.output_dir == (tmp_path / "out").resolve()
    assert recipe.source["path"] == str((tmp_path / "model").resolve())
    assert recipe.export["opset"] == 18 and recipe.validate == {"rtol": 1e-3}
    assert [q["mode"] for q in recipe.quantize] == ["int8-dynamic", "int4"]
    assert recipe.quantize[1]["calibration"] == str((tmp_path / "calib").resolve())
    assert recipe.bench == {"iterations": 5}


def test_yaml_recipe_equivalent(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text("name: y\nsource: {path: m}\nexport: {opset: 17}\nquantize:\n  - {mode: fp16}\n"
                    "optimize: {enabled: false}\n")
    recipe = load_recipe(str(path))
    assert recipe.export == {"opset": 17} and recipe.quantize == [{"mode": "fp16"}] and recipe.optimize is None


@pytest.mark.parametrize("text, message", [
    ("[source]\npath='m'\n[export]\nopst = 3\n", "unknown key \\[export\\] 'opst'"),
    ("[source]\npath='m'\n[export]\nopset = 'x'\n", "'opset' should be int"),
    ("[export]\nopset = 1\n", "no \\[source\\] path"),
    ("[source]\npath='m'\n[[quantize]]\nper_channel = true\n", "no mode"),
    ("[source\npath='m'\n", "not a valid recipe"),
    ("colour = 'red'\n[source]\npath='m'\n", "unknown key 'colour'"),
])
def test_bad_recipes_name_the_problem(text, message, tmp_path):
    path = tmp_path / "r.toml"
    path.write_text(text)
    with pytest.raises(WorkbenchError, match=message) as info:
        load_recipe(str(path))
    assert "\n" not in str(info.value)


def test_missing_recipe_file(tmp_path):
    with pytest.raises(WorkbenchError, match="no such recipe"):
        load_recipe(str(tmp_path / "nope.toml"))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_fuzz_toml_text_only_raises_workbench_errors(text):
    try:
        parse_recipe(text, Path("/tmp/fuzz.toml"), ".toml")
    except WorkbenchError:
        pass


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_fuzz_yaml_text_only_raises_workbench_errors(text):
    try:
        parse_recipe(text, Path("/tmp/fuzz.yaml"), ".yaml")
    except WorkbenchError:
        pass


_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
                       lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=8), c, max_size=3),
                       max_leaves=10)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(["name", "source", "export", "validate", "optimize", "quantize", "bench",
                                        "x"]), _values, max_size=6))
def test_fuzz_structured_recipes_only_raise_workbench_errors(data):
    import yaml

    try:
        parse_recipe(yaml.safe_dump(data), Path("/tmp/fuzz.yaml"), ".yaml")
    except WorkbenchError:
        pass


def test_dynamic_axes_parser():
    assert parse_dynamic(["input_ids:0=batch", "input_ids:1=seq", "mask:-1=seq"]) == {
        "input_ids": {0: "batch", 1: "seq"}, "mask": {-1: "seq"}}
    for bad in ["input_ids", "input_ids:x=b", "input_ids:0=", ":0=b", "a:0=1b"]:
        with pytest.raises(WorkbenchError, match="INPUT:AXIS=NAME"):
            parse_dynamic([bad])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(max_size=30), max_size=4))
def test_fuzz_dynamic_axes_parser(specs):
    try:
        out = parse_dynamic(specs)
    except WorkbenchError:
        return
    assert all(isinstance(a, int) for dims in out.values() for a in dims)
