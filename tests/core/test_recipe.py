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


# -- the schema is the spec dataclasses ----------------------------------------------------------------------------

def test_pipeline_defaults_are_the_specs_defaults(tmp_path):
    """A section that leaves every key out builds the spec its command builds with no options (e.g. [bench]:
    sequence 128, 100 iterations, as `workbench bench`)."""
    from workbench.core.pipeline import _export_spec, _source
    from workbench.core.specs import BenchSpec, ExportSpec, ModelSource, OptimizeSpec, QuantSpec, ValidateSpec

    path = tmp_path / "r.toml"
    path.write_text("[source]\npath = 'm'\n[validate]\n[optimize]\n[[quantize]]\nmode = 'int8-dynamic'\n[bench]\n")
    recipe = load_recipe(str(path))
    source = _source(recipe)
    assert source == ModelSource(path=str((tmp_path / "m").resolve()))
    assert _export_spec(recipe, source, tmp_path) == ExportSpec(source=source, output=str(tmp_path / "export" /
                                                                                          "model.onnx"))
    assert recipe.spec("validate", model="x", against=source) == ValidateSpec(model="x", against=source)
    assert recipe.spec("optimize", model="x", output="y") == OptimizeSpec(model="x", output="y")
    assert recipe.spec("quantize", recipe.quantize[0], model="x", output="y") == QuantSpec(model="x", output="y")
    bench = recipe.spec("bench", model="x")
    assert bench == BenchSpec(model="x") and (bench.sequence, bench.iterations) == (128, 100)


def test_a_field_added_to_a_spec_is_a_recipe_key_with_no_other_change(tmp_path, monkeypatch):
    from dataclasses import dataclass

    from workbench.core import recipe_schema
    from workbench.core.specs import BenchSpec

    @dataclass(frozen=True)
    class WiderBench(BenchSpec):
        pinned_cores: int = 3

    monkeypatch.setitem(recipe_schema.SECTION_SPECS, "bench", WiderBench)  # the one change: the spec's field
    monkeypatch.setattr(recipe_schema, "SCHEMA", recipe_schema._schema())  # what importing the module derives
    monkeypatch.setattr(recipe_schema, "DEFAULTS", recipe_schema._defaults())
    assert recipe_schema.SCHEMA["bench"]["pinned_cores"] is int
    assert recipe_schema.DEFAULTS["bench"]["pinned_cores"] == 3
    assert recipe_schema.with_defaults("bench", {})["pinned_cores"] == 3
    path = tmp_path / "r.toml"
    path.write_text("[source]\npath = 'm'\n[bench]\npinned_cores = 5\n")
    assert load_recipe(str(path)).spec("bench", model="x").pinned_cores == 5
    path.write_text("[source]\npath = 'm'\n[bench]\n")
    assert load_recipe(str(path)).spec("bench", model="x").pinned_cores == 3
    path.write_text("[source]\npath = 'm'\n[bench]\npinned_cores = 'all'\n")
    with pytest.raises(WorkbenchError, match=r"\[bench\] 'pinned_cores' should be int, got str") as info:
        load_recipe(str(path))
    assert "\n" not in str(info.value) and "left out, it is 3" in str(info.value)


@pytest.mark.parametrize("section, line, message", [
    ("bench", "iterations = 'many'", r"r.toml: \[bench\] 'iterations' should be int, got str; .*it is 100\)"),
    ("bench", "iteration = 5", r"r.toml: unknown key \[bench\] 'iteration'; use one of: .*iterations"),
    ("optimize", "fusion = 1", r"\[optimize\] 'fusion' should be bool, got int"),
    ("validate", "rtol = 'tight'", r"\[validate\] 'rtol' should be float, got str"),
    ("quantize", "mode = 'int4'\nexclude = [1]", r"\[quantize\] 'exclude' should be a list of strings"),
    ("quantize", "mode = 'int4'\nblock = 32", r"unknown key \[quantize\] 'block'; use one of: .*block_size"),
    ("export", "batch = true", r"\[export\] 'batch' should be int, got bool; .*it is 2\)"),
])
def test_a_wrong_key_or_type_is_one_line_naming_the_key(section, line, message, tmp_path):
    header = "[[quantize]]" if section == "quantize" else f"[{section}]"
    path = tmp_path / "r.toml"
    path.write_text(f"[source]\npath = 'm'\n{header}\n{line}\n")
    with pytest.raises(WorkbenchError, match=message) as info:
        load_recipe(str(path))
    assert "\n" not in str(info.value)
