"""No code from a model file runs without --trust-code, and the known ways a program touches files, loads native
code or calls outside torch's tensor maths are refused even with it: one line on stderr naming the file and what
to do, exit code 1, no marker written, nothing new in the temp folder, the user's files unchanged."""

import contextlib
import hashlib
import io
import sys
import tempfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from make_corpus import make_code_corpus  # noqa: E402

from workbench.cli import UNCLASSIFIED, main  # noqa: E402

HOSTILE = ("aoti.pt2", "ts_setstate_writes.pt", "ts_forward_saves.pt", "ts_forward_from_file.pt",
           "pt2_from_file.pt2", "pt2_save.pt2", "pt2_custom_op.pt2", "pt2_profiler.pt2", "pt2_sympify_code.pt2",
           "pt2_guard_code.pt2")
COMMANDS = ("export", "torchscript", "validate", "bench-compare", "bench")
# what the one line must say, per file, with or without --trust-code (the refusal does not depend on it)
SAYS = {"aoti.pt2": "AOTInductor package", "ts_setstate_writes.pt": "aten::save",
        "ts_forward_saves.pt": "aten::save", "ts_forward_from_file.pt": "aten::from_file",
        "pt2_from_file.pt2": "aten.from_file", "pt2_save.pt2": "aten.save", "pt2_custom_op.pt2": "mylib",
        "pt2_profiler.pt2": "profiler", "pt2_sympify_code.pt2": "symbolic shape", "pt2_guard_code.pt2": "guard"}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return make_code_corpus(tmp_path_factory.mktemp("code-corpus"))


def _argv(command: str, path: Path, corpus: dict, out: Path) -> list:
    return {
        "inspect": ["inspect", str(path)],
        "export": ["export", str(path), "-o", str(out / "model.onnx"), "--shape", "x=2x4"],
        "torchscript": ["export", str(path), "-o", str(out / "model.pt"), "--target", "torchscript",
                        "--shape", "x=2x4"],
        "validate": ["validate", str(corpus["onnx"]), "--against", str(path)],
        "bench-compare": ["bench", str(corpus["onnx"]), "--compare-torch", str(path), "--batch", "2",
                          "--iterations", "2", "--warmup", "0"],
        "bench": ["bench", str(path), "--batch", "2", "--iterations", "2", "--warmup", "0"],
    }[command]


def _snapshot(root: Path) -> dict:
    return {p.relative_to(root): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _run(argv: list, monkeypatch, tmp_path: Path):
    """cli.main in-process, with a fresh temp folder (TMPDIR and tempfile) that must stay empty."""
    temp = tmp_path / "tmpdir"
    temp.mkdir(parents=True)
    monkeypatch.setenv("TMPDIR", str(temp))
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    stderr, stdout = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(stdout):
        code = main(argv)
    lines = [ln for ln in stderr.getvalue().splitlines() if ln.strip() and not ln.startswith("[")]
    return code, lines, stdout.getvalue(), sorted(temp.rglob("*"))


def _assert_nothing_ran(corpus: dict, before: dict, root: Path):
    assert not [m for m in corpus["markers"] if m.exists()], "code from a model file ran"
    assert _snapshot(root) == before, "the user's files changed"


def _hostile(corpus, name):
    if name not in corpus["files"]:
        pytest.skip("gcc is not installed: no AOTInductor shared library to package")
    return corpus["files"][name]


@pytest.mark.parametrize("trust", [False, True], ids=["plain", "trust-code"])
@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_program_is_refused(name, command, trust, corpus, monkeypatch, tmp_path):
    path = _hostile(corpus, name)
    root = path.parent
    before = _snapshot(root)
    out = tmp_path / "out"
    argv = _argv(command, path, corpus, out) + (["--trust-code"] if trust else [])
    code, lines, stdout, temp_files = _run(argv, monkeypatch, tmp_path)
    assert code == 1, (argv, stdout, lines)
    assert len(lines) == 1, lines
    line = lines[0]
    assert line.startswith(f"workbench {argv[0]}: ") and UNCLASSIFIED not in line, line
    assert path.name in line and SAYS[name] in line, line
    assert ";" in line.split(path.name, 1)[1], f"no hint on what to do: {line}"
    _assert_nothing_ran(corpus, before, root)
    assert temp_files == [], temp_files
    assert not out.exists() or not any(out.rglob("*"))


@pytest.mark.parametrize("name", HOSTILE)
def test_inspect_reads_hostile_programs_as_data(name, corpus, monkeypatch, tmp_path):
    path = _hostile(corpus, name)
    before = _snapshot(path.parent)
    code, lines, stdout, temp_files = _run(["inspect", str(path)], monkeypatch, tmp_path)
    assert code == 1 and len(lines) == 1, lines  # read as data; the reason it would be refused blocks it
    assert lines[0].startswith("workbench inspect: ") and path.name in lines[0] and SAYS[name] in lines[0], lines
    assert path.name in stdout  # and what it holds is still shown
    _assert_nothing_ran(corpus, before, path.parent)
    assert temp_files == []


@pytest.mark.parametrize("kind", ["pt2", "torchscript"])
def test_benign_program_needs_the_flag(kind, corpus, monkeypatch, tmp_path):
    path = corpus["benign"][kind]
    for command in ("export", "torchscript", "validate", "bench-compare"):
        code, lines, _, temp_files = _run(_argv(command, path, corpus, tmp_path / "out"), monkeypatch,
                                          tmp_path / command)
        assert code == 1 and len(lines) == 1, lines
        assert path.name in lines[0] and "--trust-code" in lines[0], lines[0]
        assert temp_files == []
    assert not (tmp_path / "out").exists()


def test_benign_pt2_exports_and_validates_with_the_flag(corpus, monkeypatch, tmp_path):
    path = corpus["benign"]["pt2"]
    out = tmp_path / "out"
    code, lines, _, _ = _run(_argv("export", path, corpus, out) + ["--trust-code"], monkeypatch, tmp_path)
    assert code == 0, lines
    assert (out / "model.onnx").is_file()
    code, lines, _, _ = _run(["validate", str(out / "model.onnx"), "--against", str(path), "--trust-code"],
                             monkeypatch, tmp_path / "v")
    assert code == 0, lines


@pytest.mark.parametrize("kind", ["pt2", "torchscript"])
def test_benign_program_to_torchscript_with_the_flag(kind, corpus, monkeypatch, tmp_path):
    out = tmp_path / "out"
    code, lines, _, _ = _run(_argv("torchscript", corpus["benign"][kind], corpus, out) + ["--trust-code"],
                             monkeypatch, tmp_path)
    assert code == 0, lines
    assert (out / "model.pt").is_file()


def test_recipe_trust_code_needs_the_flag(corpus, monkeypatch, tmp_path):
    recipe, marker = corpus["recipe"], corpus["recipe_marker"]
    out = tmp_path / "run"
    code, lines, _, temp_files = _run(["run", str(recipe), "-o", str(out)], monkeypatch, tmp_path)
    assert code == 1 and len(lines) == 1, lines
    assert recipe.name in lines[0] and "trust_code = true" in lines[0] and "--trust-code" in lines[0], lines[0]
    assert not marker.exists(), "the recipe's model.py ran without --trust-code"
    assert not out.exists() or not any(out.rglob("*"))
    assert temp_files == []


def test_recipe_trust_code_with_the_flag_runs_model_py(corpus, monkeypatch, tmp_path):
    recipe, marker = corpus["recipe"], corpus["recipe_marker"]
    code, lines, _, _ = _run(["run", str(recipe), "-o", str(tmp_path / "run"), "--trust-code"], monkeypatch,
                             tmp_path)
    assert marker.exists(), lines  # the flag reached the loader: the user's code ran, as asked
    marker.unlink()
    assert code == 0, lines


def test_benign_pt2_benchmarks_with_the_flag(corpus, monkeypatch, tmp_path):
    argv = _argv("bench", corpus["benign"]["pt2"], corpus, tmp_path / "out")
    code, lines, _, _ = _run(argv, monkeypatch, tmp_path / "plain")
    assert code == 1 and "--trust-code" in lines[0], lines
    code, lines, stdout, _ = _run(argv + ["--trust-code"], monkeypatch, tmp_path / "trusted")
    assert code == 0, lines
    code, lines, stdout, _ = _run(_argv("bench-compare", corpus["benign"]["pt2"], corpus, tmp_path / "out") +
                                  ["--trust-code"], monkeypatch, tmp_path / "compare")
    assert code == 0, lines
