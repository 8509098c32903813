"""Hostile input through every command that takes it, each in a child process with its address space limited to
3 GB and a wall-clock limit: exit code 1, peak RSS under 1 GB, exactly one line on stderr that names the file, no
traceback, no warning, no ANSI colour; never a hang, never out of memory. ONNX Runtime runs are limited to 2 s
(WORKBENCH_RUN_TIMEOUT_S)."""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from make_corpus import make_hostile  # noqa: E402
from workbench.cli import UNCLASSIFIED  # noqa: E402

ADDRESS_SPACE = 3 * 1024 ** 3
HANG_S = 180  # far above any refusal (they take seconds); only a hang or a runaway reaches it

PEAK_RSS = 1024 ** 3
CHILD = """
import atexit, os, resource, sys
resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit}))

def peak():  # VmHWM: this process's own peak resident memory
    line = next(ln for ln in open("/proc/self/status") if ln.startswith("VmHWM"))
    open(os.environ["WORKBENCH_TEST_PEAK"], "w").write(line.split()[1])

atexit.register(peak)
from workbench.cli import main
raise SystemExit(main(sys.argv[1:]))
"""


def _argv(command: str, path: Path, out: Path) -> list:
    return {
        "inspect": ["inspect", str(path)],
        "export": ["export", str(path), "-o", str(out / "model.onnx")],
        "validate": ["validate", str(path), "--against", str(path)],
        "optimize": ["optimize", str(path), "-o", str(out / "opt.onnx")],
        "optimize-against": ["optimize", str(path.parent / "tiny.onnx"), "-o", str(out / "opt.onnx"),
                             "--against", str(path)],
        "quantize": ["quantize", str(path), "-o", str(out / "q.onnx"), "--mode", "int8-dynamic"],
        "quantize-static": ["quantize", str(path), "-o", str(out / "q.onnx"), "--mode", "int8-static",
                            "--calibration", str(path.parent / "calibration")],
        "bench": ["bench", str(path), "--iterations", "2", "--warmup", "0"],
        "generate": ["generate", str(path), "--prompt", "hello", "--max-new-tokens", "2"],
    }[command]


def _ids():
    with tempfile.TemporaryDirectory() as tmp:
        return [f"{command}-{name.replace(' ', '_')}" for name, _, commands in make_hostile(Path(tmp))
                for command in commands]


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    return [(name, path, command) for name, path, commands in make_hostile(root) for command in commands]


@pytest.mark.parametrize("index", range(len(_ids())), ids=_ids())
def test_hostile_input_is_one_line_in_bounded_time_and_memory(index, hostile, tmp_path):
    name, path, command = hostile[index]
    out = tmp_path / "out"
    peak = tmp_path / "peak_kb"
    env = {**os.environ, "WORKBENCH_RUN_TIMEOUT_S": "2", "PYTHONWARNINGS": "default", "WORKBENCH_TEST_PEAK": str(peak)}
    try:
        proc = subprocess.run([sys.executable, "-c", CHILD.format(limit=ADDRESS_SPACE),
                               *_argv(command, path, out)], capture_output=True, text=True, timeout=HANG_S, env=env)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{command} on {name} did not end within {HANG_S} s")
    stderr = proc.stderr
    lines = [ln for ln in stderr.splitlines() if ln.strip() and not ln.startswith("[")]  # [ 50.0%] progress
    assert proc.returncode == 1, (name, command, proc.stdout[-2000:], stderr[-2000:])
    assert len(lines) == 1, (name, command, stderr[-3000:])
    line = lines[0]
    assert line.startswith(f"workbench {command.split('-')[0]}: "), line
    assert "Traceback" not in stderr and "Warning" not in stderr and "\x1b[" not in stderr, stderr[-3000:]
    assert UNCLASSIFIED not in line and "out of memory" not in line, line
    assert path.name in line or path.parent.name in line, line  # names the file (or its folder)
    assert not out.exists() or not any(out.rglob("*")), list(out.rglob("*"))
    assert int(peak.read_text()) * 1024 < PEAK_RSS, f"peak RSS {int(peak.read_text()) / 1024:.0f} MB"
