"""cuBLAS's workspace for CUDA sessions (core/cuda_workspace.py): set once, before cuBLAS loads, never over the
user's own setting, and said so when it came too late."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from workbench.core import cuda_workspace as cw
from workbench.core import ort as wort
from workbench.core.errors import WorkbenchError


@pytest.fixture
def fresh(monkeypatch):
    """A process state where nothing was decided yet and no cuBLAS is loaded; the environment restored after."""
    monkeypatch.setattr(cw, "_state", None)
    monkeypatch.setattr(cw, "_cublas_loaded", lambda: False)
    monkeypatch.delenv(cw.ENV, raising=False)
    monkeypatch.delenv(cw.OVERRIDE, raising=False)
    return monkeypatch


def test_the_default_is_set_before_cublas_loads(fresh):
    assert cw.apply() == "workbench"
    assert os.environ[cw.ENV] == cw.DEFAULT
    assert cw.late_note() is None


def test_the_users_setting_is_kept(fresh):
    fresh.setenv(cw.ENV, ":4096:8")
    assert cw.apply() == "user"
    assert os.environ[cw.ENV] == ":4096:8"


def test_an_override_is_used_instead_of_the_default(fresh):
    fresh.setenv(cw.OVERRIDE, ":0:0")
    assert cw.apply() == "workbench"
    assert os.environ[cw.ENV] == ":0:0"


def test_default_leaves_cublas_its_own(fresh):
    fresh.setenv(cw.OVERRIDE, "default")
    assert cw.apply() == "cublas"
    assert cw.ENV not in os.environ


@pytest.mark.parametrize("bad", ["4096:1", ":4096", "big", ":4096:1;rm"])
def test_a_malformed_override_is_one_line_with_the_fix(fresh, bad):
    fresh.setenv(cw.OVERRIDE, bad)
    with pytest.raises(WorkbenchError) as err:
        cw.apply()
    assert "\n" not in err.value.what and bad in err.value.what
    assert "unset" in err.value.hint
    assert cw.ENV not in os.environ


def test_too_late_is_said_not_hidden(fresh):
    fresh.setattr(cw, "_cublas_loaded", lambda: True)
    assert cw.apply() == "late"
    assert cw.ENV not in os.environ  # setting it now would only mislead the next reader of the environment
    note = cw.late_note()
    assert note and cw.DEFAULT in note and cw.ENV in note


def test_decided_once_per_process(fresh):
    assert cw.apply() == "workbench"
    fresh.setattr(cw, "_cublas_loaded", lambda: True)
    fresh.setenv(cw.OVERRIDE, "default")
    assert cw.apply() == "workbench"  # the first decision stands: cuBLAS read the setting then


def test_asking_for_cuda_applies_it_first(fresh):
    calls = []
    fresh.setattr(cw, "apply", lambda: calls.append("apply") or "workbench")
    wort.providers_for("cuda")  # on a machine without CUDA: the CPU fallback, but the setting came first
    assert calls == ["apply"]
    wort.providers_for("cpu")
    assert calls == ["apply"]


def test_the_cublas_check_reads_this_process():
    """A fresh interpreter without torch has no cuBLAS mapped; the check must not claim one."""
    code = "from workbench.core import cuda_workspace as c; print(c._cublas_loaded())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"
