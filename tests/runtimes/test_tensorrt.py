"""TensorRT is not installable here (its PyPI packages fetch from NVIDIA's index): the runtime says so in one line,
never a crash and never a fake session."""

import sys

import pytest

from workbench.core.errors import WorkbenchError
from workbench.core.registry import default_registry


def test_tensorrt_without_its_package_is_listed_unavailable_and_refuses_in_one_line(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "tensorrt", None)  # import tensorrt -> ImportError, as on these machines
    runtime = default_registry().runtime("tensorrt")
    engine = tmp_path / "model.engine"
    engine.write_bytes(b"\0" * 16)
    assert runtime.opens(engine) and [r.name for r in default_registry().runtimes_for(engine)] == ["tensorrt"]
    state = runtime.availability()
    assert not state.available and "pypi.nvidia.com" in state.hint and "trtexec" in state.hint
    with pytest.raises(WorkbenchError) as err:
        runtime.open(engine, None)
    assert "cannot be run here" in str(err.value) and "\n" not in str(err.value) and "trtexec" in err.value.hint
    from workbench.cli import main

    assert main(["bench", str(engine)]) != 0
