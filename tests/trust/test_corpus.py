"""Every broken input, through every command that takes it: one line on stderr, exit code 1, no traceback, and
nothing written."""

import contextlib
import io
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from make_corpus import make_corpus  # noqa: E402

from workbench.cli import UNCLASSIFIED, main  # noqa: E402



def _argv(command: str, path: Path, out: Path) -> list:
    return {
        "inspect": ["inspect", str(path)],
        "export": ["export", str(path), "-o", str(out / "model.onnx")],
        "validate": ["validate", str(path), "--against", str(path)],
        "optimize": ["optimize", str(path), "-o", str(out / "opt.onnx")],
        "quantize": ["quantize", str(path), "-o", str(out / "q.onnx"), "--mode", "int8-dynamic"],
        "bench": ["bench", str(path), "--iterations", "2", "--warmup", "0"],
        "run": ["run", str(path), "-o", str(out / "run")],
    }[command]


def _cases(tmp_root: Path):
    return [(name, path, command) for name, path, commands in make_corpus(tmp_root) for command in commands]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return tmp_path_factory.mktemp("corpus")


def _ids():
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        return [f"{command}-{name.replace(' ', '_')}" for name, _, command in _cases(Path(tmp))]


@pytest.mark.parametrize("index", range(len(_ids())), ids=_ids())
def test_broken_input_is_one_clear_line(index, corpus, tmp_path):
    name, path, command = _cases(corpus)[index]
    before = sorted(p.relative_to(corpus) for p in corpus.rglob("*"))
    out = tmp_path / "out"
    stderr, stdout = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(stdout):
        code = main(_argv(command, path, out))
    lines = [ln for ln in stderr.getvalue().splitlines() if ln.strip() and not ln.startswith("[")]
    assert code == 1, (name, command, stdout.getvalue(), stderr.getvalue())
    assert len(lines) == 1, (name, command, stderr.getvalue())
    assert lines[0].startswith(f"workbench {command}: ")
    assert "Traceback" not in stderr.getvalue()
    assert UNCLASSIFIED not in lines[0], lines[0]  # a known failure, not the last line of defence
    assert not out.exists() or not any(out.rglob("*")), list(out.rglob("*"))
    assert sorted(p.relative_to(corpus) for p in corpus.rglob("*")) == before  # the inputs are untouched
