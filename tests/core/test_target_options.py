"""Targets declare their options as data (workbench.core.target_options): every declared field is an ExportSpec field
and a recipe [export] key, every flag is a `workbench export` flag that parses back to the value, and a choice that
needs a runtime names a registered one."""

import dataclasses
import shlex

import pytest

from workbench.core.recipe import SCHEMA
from workbench.core.registry import build_registry
from workbench.core.specs import ExportSpec, InputSpec, ModelSource
from workbench.core.target_options import Choice, TargetOption, available_runtime


@pytest.fixture(scope="module")
def registry():
    return build_registry(include_plugins=False)


def test_declared_fields_flags_and_runtimes_are_real(registry):
    cli = pytest.importorskip("workbench.cli")
    spec_fields = {f.name for f in dataclasses.fields(ExportSpec)}
    parser = cli.build_parser()
    declared = 0
    for name, target in registry.targets.items():
        assert set(target.form.unused) <= spec_fields, name
        for option in target.form.options:
            declared += 1
            assert option.field in spec_fields and option.field in SCHEMA["export"], (name, option.field)
            if option.kind == "path":  # a file the user names: no choices, the flag takes the path
                assert not option.choices and option.flag and option.cast("") is None, (name, option.field)
                args = parser.parse_args(["export", "m", "-o", "o", "--target", name, option.flag, "data/cal.txt"])
                assert getattr(args, option.field) == option.cast("data/cal.txt") == "data/cal.txt"
                continue
            assert option.default in option.values(), (name, option.field)
            assert len(set(option.values())) == len(option.values())
            assert all(c.summary for c in option.choices), (name, option.field)  # each explained in words
            for choice in option.choices:
                assert not choice.needs or choice.needs in registry.runtimes, (name, choice.value, choice.needs)
                if option.flag:
                    args = parser.parse_args(["export", "m", "-o", "o", "--target", name, option.flag, choice.value])
                    assert getattr(args, option.field) == option.cast(choice.value)
    assert declared >= 2  # gguf's quant and openvino's dtype at least


def test_gguf_declares_the_quant_types_and_k_quants_need_llama_cpp(registry):
    [quant] = registry.target("gguf").form.options
    assert quant.values() == ("auto", "f32", "f16", "bf16", "q8_0", "q4_0", "q4_1", "q5_0", "q5_1", "q4_k_m", "q5_k_m",
                              "q6_k")
    assert {c.value for c in quant.choices if c.needs == "llama.cpp"} == {"q4_k_m", "q5_k_m", "q6_k"}
    assert "30% of f16" in quant.choice("q4_k_m").summary
    # the default follows --dtype exactly as the target's own rule does
    from workbench.core.targets.gguf import _quant

    for dtype, want in (("fp32", "auto"), ("fp16", "f16"), ("bf16", "bf16")):
        spec = ExportSpec(source=ModelSource("m"), output="m.gguf", target="gguf", dtype=dtype)
        assert quant.implied({"dtype": dtype}) == _quant(spec) == want


def test_an_option_without_follows_implies_its_default():
    option = TargetOption("quant", "Q", (Choice("a", "x"), Choice("b", "y")), "b")
    assert option.implied({"dtype": "fp16"}) == "b" and option.choice("zz") is None


def test_runtime_availability_is_an_answer_never_an_error(registry):
    ok, hint = available_runtime("no-such-runtime", registry)
    assert not ok and "no-such-runtime" in hint
    ok, hint = available_runtime("onnxruntime", registry)
    assert ok
    try:
        import llama_cpp  # noqa: F401
    except ImportError:
        ok, hint = available_runtime("llama.cpp", registry)
        assert not ok and "pip install" in hint


def test_gui_command_line_writes_the_declared_flags(registry):
    cli = pytest.importorskip("workbench.cli")
    from workbench.gui import commands

    spec = ExportSpec(source=ModelSource("model"), output="out.gguf", target="gguf", quant="q8_0",
                      inputs=InputSpec())
    args = cli.build_parser().parse_args(shlex.split(commands.export_command(spec))[1:])
    assert (args.target, args.quant) == ("gguf", "q8_0")
    unset = dataclasses.replace(spec, quant=None)
    assert "--quant" not in commands.export_command(unset)
