"""No user file is ever lost: every writer goes through workbench.core.fsutil, which never replaces a folder, a
device/FIFO, a link's target, the job's own input or anything outside the output folder, replaces an existing file
of the user's only with --force (naming every one), and leaves the disk as it found it when a job fails, is
cancelled or is killed with SIGTERM."""

import hashlib
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from workbench import api
from workbench.cli import main
from workbench.core import fsutil
from workbench.core.errors import WorkbenchError


PROTECTED_TREES = ("/etc", "/dev", "/proc", "/sys", "/usr", "/boot")


def _system_path(path) -> bool:
    try:
        p = os.path.abspath(os.fspath(path))
    except TypeError:
        return False
    if p.startswith("/dev/shm/"):
        return False
    return os.path.dirname(p) == "/" or any(p.startswith(t + "/") for t in PROTECTED_TREES)


@pytest.fixture(autouse=True)
def never_touch_system_folders(monkeypatch):
    """A safety net: should the code under test (or an older tree these tests run against) try to create, move,
    or delete anything in /, /etc, /dev, ... it gets PermissionError, and the test fails."""
    attempts = []
    for name, checked in (("replace", 2), ("rename", 2), ("mkdir", 1), ("unlink", 1), ("rmdir", 1)):
        real = getattr(os, name)

        def guarded(*args, _real=real, _name=name, _checked=checked, **kwargs):
            if "dir_fd" not in kwargs and "src_dir_fd" not in kwargs:
                for target in args[:_checked]:
                    if _system_path(target):
                        attempts.append((_name, str(target)))
                        raise PermissionError(13, "blocked by the test", str(target))
            return _real(*args, **kwargs)

        monkeypatch.setattr(os, name, guarded)
    yield attempts
    assert attempts == [], f"tried to write in a system folder: {attempts}"


def digest(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def snapshot(folder: Path) -> dict:
    """Every path under ``folder`` with its kind and content hash."""
    out = {}
    for p in sorted(Path(folder).rglob("*")):
        if p.is_symlink():
            out[str(p.relative_to(folder))] = ("link", os.readlink(p))
        elif p.is_dir():
            out[str(p.relative_to(folder))] = ("dir",)
        elif p.is_file():
            out[str(p.relative_to(folder))] = ("file", digest(p))
        else:
            out[str(p.relative_to(folder))] = ("other", stat.S_IFMT(os.lstat(p).st_mode))
    return out


def one_line(err: str) -> bool:
    """The failure is one line (after any progress lines)."""
    lines = err.strip().splitlines()
    return lines[-1].startswith("workbench ") and all(ln.startswith("[") for ln in lines[:-1])


def leftovers(folder: Path) -> list:
    return sorted(str(p) for p in Path(folder).rglob("*") if ".partial-" in p.name or "-work-" in p.name)


def cli(capsys, *argv) -> tuple[int, str]:
    capsys.readouterr()  # drop what fixtures printed
    rc = main([str(a) for a in argv])
    return rc, capsys.readouterr().err


def user_folder(tmp_path: Path, *files: str) -> Path:
    """A folder of the user's (not made by the workbench) holding the given files."""
    folder = tmp_path / "mine"
    folder.mkdir(exist_ok=True)
    (folder / "notes.txt").write_text("my notes")
    for name in files:
        (folder / name).write_text(f"the user's own {name}")
    return folder


# --- an output never replaces a folder, a device, a link's target, the input ------------------------------------

@pytest.mark.parametrize("job", ["optimize", "quantize", "safetensors"])
def test_existing_folder_as_output_stays_with_its_contents(job, capsys, tmp_path, exported, tiny_models):
    target = tmp_path / ("weights.safetensors" if job == "safetensors" else "model.onnx")
    target.mkdir()
    (target / "precious.txt").write_text("do not delete")
    (target / "sub").mkdir()
    (target / "sub" / "more.bin").write_bytes(b"\x01" * 100)
    before = snapshot(tmp_path)
    argv = {"optimize": ["optimize", exported("bert").path, "-o", target],
            "quantize": ["quantize", exported("bert").path, "-o", target, "--mode", "int8-dynamic"],
            "safetensors": ["export", tiny_models("bert"), "--target", "safetensors", "-o", target]}[job]
    for extra in ([], ["--force"]):
        rc, err = cli(capsys, *argv, *extra)
        assert rc == 1 and "is a folder" in err and one_line(err)
        assert snapshot(tmp_path) == before
        assert f"e.g. {target / target.name}" in err  # a file name inside it, the output's own name


def test_a_folder_named_without_a_suffix_gets_a_model_file_suggested(capsys, tmp_path, exported):
    target = tmp_path / "userdir"
    target.mkdir()
    rc, err = cli(capsys, "optimize", exported("bert").path, "-o", target)
    assert rc == 1 and f"e.g. {target / 'model.onnx'}" in err and "userdir/userdir" not in err


def test_fifo_as_output_is_refused(capsys, tmp_path, exported):
    fifo = tmp_path / "pipe.onnx"
    os.mkfifo(fifo)
    rc, err = cli(capsys, "quantize", exported("bert").path, "-o", fifo, "--mode", "int8-dynamic", "--force")
    assert rc == 1 and "not a regular file" in err
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert sorted(os.listdir(tmp_path)) == ["pipe.onnx"]


def test_dev_null_as_output_is_refused(capsys, exported):
    before = os.lstat("/dev/null")
    assert stat.S_ISCHR(before.st_mode)
    for argv in (["quantize", exported("bert").path, "-o", "/dev/null", "--mode", "int8-dynamic"],
                 ["optimize", exported("bert").path, "-o", "/dev/null", "--force"]):
        rc, err = cli(capsys, *argv)
        assert rc == 1 and "/dev/null" in err
        after = os.lstat("/dev/null")
        assert stat.S_ISCHR(after.st_mode) and after.st_rdev == before.st_rdev and after.st_ino == before.st_ino
    assert not [n for n in os.listdir("/dev") if ".partial-" in n or "-work-" in n]


def test_system_folders_are_refused(capsys, exported):
    for out in ("/model.int8.onnx", "/etc/model.onnx", "/proc/self/model.onnx", "/sys/model.onnx", "/usr/m.onnx"):
        rc, err = cli(capsys, "quantize", exported("bert").path, "-o", out, "--mode", "int8-dynamic", "--force")
        assert rc == 1 and "system folder" in err, out
        assert not os.path.lexists(out)
    assert not [n for n in os.listdir("/") if ".partial-" in n or "-work-" in n]


def test_safetensors_export_into_the_source_folder_is_refused(capsys, tmp_path, tiny_models):
    import shutil

    src = tmp_path / "hf"
    shutil.copytree(tiny_models("bert"), src)
    before = snapshot(src)
    for extra in ([], ["--force"]):
        rc, err = cli(capsys, "export", src, "--target", "safetensors", "-o", src / "model.safetensors", *extra)
        assert rc == 1 and "overwrite the input" in err
        assert snapshot(src) == before


def test_torchscript_onto_its_input_is_refused(capsys, tmp_path):
    import torch

    path = tmp_path / "model.pt"
    torch.jit.trace(torch.nn.Linear(4, 3).eval(), torch.randn(2, 4)).save(str(path))
    before = digest(path)
    for extra in ([], ["--force"]):
        rc, err = cli(capsys, "export", path, "--target", "torchscript", "-o", path, "--shape", "x=2x4", *extra)
        assert rc == 1 and "overwrite the input" in err
        assert digest(path) == before
    assert sorted(os.listdir(tmp_path)) == ["model.pt"]


def test_optimize_onto_its_input_or_its_external_data_is_refused(capsys, exported):
    model = Path(exported("bert").path)
    sides = [p for p in model.parent.iterdir() if p.name.startswith(model.name + ".")]
    before = snapshot(model.parent)
    rc, err = cli(capsys, "optimize", model, "-o", model, "--force")
    assert rc == 1 and "overwrite the input" in err
    for side in sides:  # writing a file named like the input's weights file
        rc, err = cli(capsys, "optimize", model, "-o", side, "--force")
        assert rc == 1 and "overwrite the input" in err
    assert snapshot(model.parent) == before


def test_symlink_target_is_never_written(capsys, tmp_path, exported):
    precious = tmp_path / "precious.onnx"
    precious.write_text("the user's file the link points to")
    link = tmp_path / "link.onnx"
    link.symlink_to(precious)
    rc, err = cli(capsys, "quantize", exported("bert").path, "-o", link, "--mode", "int8-dynamic")
    assert rc == 1 and "link.onnx" in err and "symbolic link" in err
    assert link.is_symlink() and precious.read_text() == "the user's file the link points to"
    rc, err = cli(capsys, "quantize", exported("bert").path, "-o", link, "--mode", "int8-dynamic", "--force")
    assert rc == 0, err
    assert not link.is_symlink() and link.stat().st_size > 1000  # --force replaced the link itself
    assert precious.read_text() == "the user's file the link points to"


# --- a user's file is replaced only with --force, and the message names every one -------------------------------

def test_user_files_need_force_and_are_named(capsys, tmp_path, tiny_models):
    folder = user_folder(tmp_path, "model.onnx", "model.onnx.data")
    before = snapshot(folder)
    rc, err = cli(capsys, "export", tiny_models("bert"), "-o", folder / "model.onnx")
    assert rc == 1 and "model.onnx," in err and "model.onnx.data" in err and "--force" in err
    assert one_line(err)
    assert snapshot(folder) == before
    rc, err = cli(capsys, "export", tiny_models("bert"), "-o", folder / "model.onnx", "--force")
    assert rc == 0, err
    assert (folder / "model.onnx").read_bytes()[:20] != b"the user's own model"
    assert (folder / "notes.txt").read_text() == "my notes"
    assert not (folder / fsutil.MARKER).exists()  # a folder of the user's gets no manifest
    assert leftovers(folder) == []


def test_api_force_parameter(tmp_path, exported):
    folder = user_folder(tmp_path, "q.onnx")
    with pytest.raises(WorkbenchError, match=r"would overwrite q\.onnx"):
        api.quantize(exported("bert").path, str(folder / "q.onnx"), mode="int8-dynamic")
    assert (folder / "q.onnx").read_text() == "the user's own q.onnx"
    res = api.quantize(exported("bert").path, str(folder / "q.onnx"), mode="int8-dynamic", force=True)
    assert Path(res.output).stat().st_size > 1000


def test_the_workbench_rewrites_its_own_outputs_but_not_edited_or_new_user_files(capsys, tmp_path, exported):
    out = tmp_path / "variants"  # made by the workbench: it gets a manifest
    argv = ["quantize", exported("bert").path, "-o", out / "q.onnx", "--mode", "int8-dynamic"]
    assert cli(capsys, *argv)[0] == 0
    assert (out / fsutil.MARKER).is_file()
    assert cli(capsys, *argv)[0] == 0  # run twice: a normal thing
    (out / "readme.txt").write_text("the user's")
    assert cli(capsys, *argv)[0] == 0
    assert (out / "readme.txt").read_text() == "the user's"
    with open(out / "q.onnx", "ab") as fh:  # the user edited the output: now it is the user's
        fh.write(b"\0")
    edited = digest(out / "q.onnx")
    rc, err = cli(capsys, *argv)
    assert rc == 1 and "would overwrite q.onnx" in err
    assert digest(out / "q.onnx") == edited
    rc, err = cli(capsys, "quantize", exported("bert").path, "-o", out / "readme.txt", "--mode", "int8-dynamic")
    assert rc == 1 and "readme.txt" in err and (out / "readme.txt").read_text() == "the user's"


# --- recipes -------------------------------------------------------------------------------------------------

def write_recipe(folder: Path, source, output_dir, extra: str = "", top: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "recipe.toml"
    path.write_text(f'name = "t"\noutput_dir = "{output_dir}"\n{top}\n[source]\npath = "{source}"\n'
                    f'[export]\nbatch = 2\nsequence = 8\n{extra}', encoding="utf-8")
    return path


@pytest.mark.parametrize("output_dir", ["/", "/etc", "/proc/self", "/sys/kernel", "/dev"])
def test_recipe_output_dir_in_system_folders_is_refused(output_dir, capsys, tmp_path, tiny_models):
    existed = {p: os.path.lexists(p) for p in ("/report.json", "/report.html", "/export")}
    recipe = write_recipe(tmp_path / "r", tiny_models("bert"), output_dir)
    rc, err = cli(capsys, "run", recipe)
    assert rc == 1 and "system folder" in err
    assert {p: os.path.lexists(p) for p in existed} == existed
    assert sorted(os.listdir(tmp_path / "r")) == ["recipe.toml"]


def test_recipe_output_dir_in_or_equal_to_the_source_folder_is_refused(capsys, tmp_path, tiny_models):
    import shutil

    src = tmp_path / "hf"
    shutil.copytree(tiny_models("bert"), src)
    (src / "report.html").write_text("the user's own report")
    before = snapshot(src)
    for output_dir in (src, src / "out"):
        recipe = write_recipe(tmp_path / "r", src, output_dir)
        for argv in (["run", recipe], ["run", recipe, "--force"]):
            rc, err = cli(capsys, *argv)
            assert rc == 1 and "source folder" in err, err
            assert snapshot(src) == before


def test_recipe_output_dir_that_is_a_file_is_one_line(capsys, tmp_path, tiny_models):
    (tmp_path / "out").write_text("a file")
    recipe = write_recipe(tmp_path / "r", tiny_models("bert"), tmp_path / "out")
    rc, err = cli(capsys, "run", recipe)
    assert rc == 1 and "is a file" in err and one_line(err)
    assert (tmp_path / "out").read_text() == "a file"


@pytest.mark.parametrize("name", ["../escape", "/tmp/abs", "a/b", "..", ".hidden", "a\\\\b"])
def test_recipe_names_that_would_leave_the_output_folder_are_refused(name, capsys, tmp_path, tiny_models):
    recipe = write_recipe(tmp_path / "r", tiny_models("bert"), tmp_path / "out",
                          f'[[quantize]]\nmode = "int8-dynamic"\nname = "{name}"\n')
    rc, err = cli(capsys, "run", recipe)
    assert rc == 1 and "[[quantize]] name" in err and one_line(err)
    assert not (tmp_path / "out").exists() and not (tmp_path / "escape").exists()
    assert sorted(os.listdir(tmp_path)) == ["r"]


def test_recipe_two_variants_with_one_file_name_are_refused(capsys, tmp_path, tiny_models):
    recipe = write_recipe(tmp_path / "r", tiny_models("bert"), tmp_path / "out",
                          '[[quantize]]\nmode = "int8-dynamic"\n[[quantize]]\nmode = "int8-dynamic"\n')
    rc, err = cli(capsys, "run", recipe)
    assert rc == 1 and "both write model.int8.onnx" in err
    assert not (tmp_path / "out").exists()


def test_failed_recipe_leaves_no_folders(capsys, tmp_path):
    broken = tmp_path / "broken-model"
    broken.mkdir()
    (broken / "config.json").write_text('{"model_type": "no-such-model"}')
    for source in (broken, tmp_path / "missing"):
        recipe = write_recipe(tmp_path / "r", source, tmp_path / "a" / "b" / "out")
        rc, err = cli(capsys, "run", recipe)
        assert rc == 1, err
        assert not (tmp_path / "a").exists()
    assert sorted(os.listdir(tmp_path)) == ["broken-model", "r"]


def test_recipe_into_a_folder_with_user_files(capsys, tmp_path, tiny_models):
    folder = user_folder(tmp_path, "report.html")
    (folder / "export").mkdir()
    (folder / "export" / "model.onnx").write_text("the user's own model")
    before = snapshot(folder)
    recipe = write_recipe(tmp_path / "r", tiny_models("bert"), folder)
    rc, err = cli(capsys, "run", recipe)
    assert rc == 1 and "report.html" in err and "export/model.onnx" in err and "overwrite = true" in err
    assert snapshot(folder) == before  # refused before anything ran
    recipe = write_recipe(tmp_path / "r", tiny_models("bert"), folder, top="overwrite = true")
    rc, err = cli(capsys, "run", recipe)
    assert rc == 0, err
    assert "the user's own report" not in (folder / "report.html").read_text()
    assert (folder / "notes.txt").read_text() == "my notes"


def test_recipe_runs_twice_into_its_own_folder(capsys, tmp_path, tiny_models):
    out = tmp_path / "out"
    recipe = write_recipe(tmp_path / "r", tiny_models("bert"), out)
    assert cli(capsys, "run", recipe)[0] == 0
    (out / "my-notes.txt").write_text("the user's")
    rc, err = cli(capsys, "run", recipe)
    assert rc == 0, err
    assert (out / "my-notes.txt").read_text() == "the user's"
    assert leftovers(out) == []


def test_demo_twice_into_the_same_folder_and_user_files_kept(tmp_path, monkeypatch):
    """The demo's own writes (model folder, demo.toml) go through fsutil; the pipeline is stubbed (slow)."""
    from workbench.core import demo, recipe

    def fake_build(folder):
        Path(folder).mkdir(parents=True, exist_ok=True)
        (Path(folder) / "config.json").write_text("{}")
        return Path(folder)

    def fake_run(path, output_dir=None, progress=None, cancel=None, overwrite=None):
        with fsutil.staged_output(Path(output_dir) / "report.html", force=bool(overwrite)) as p:
            p.write_text("report")
        return "ok"

    monkeypatch.setattr(demo, "build_demo_model", fake_build)
    monkeypatch.setattr(recipe, "run_recipe", fake_run)
    out = tmp_path / "demo"
    assert api.demo(str(out)) == "ok"
    assert api.demo(str(out)) == "ok"  # again: the workbench's own files are re-written
    (out / "demo.toml").write_text("the user's edited recipe")
    with pytest.raises(WorkbenchError, match="demo.toml"):
        api.demo(str(out))
    assert (out / "demo.toml").read_text() == "the user's edited recipe"
    mine = user_folder(tmp_path, "report.html")
    with pytest.raises(WorkbenchError, match="demo-model|report.html"):
        (mine / "demo-model").mkdir()
        api.demo(str(mine))
    assert (mine / "report.html").read_text() == "the user's own report.html"


# --- failed, cancelled, killed -------------------------------------------------------------------------------

def big_onnx(path: Path, layers: int = 24, width: int = 768) -> Path:
    """A chain of MatMuls with ~55 MB of fp32 weights: quantizing it takes a few seconds."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(0)
    nodes, inits, prev = [], [], "x"
    for i in range(layers):
        inits.append(numpy_helper.from_array(rng.standard_normal((width, width), dtype=np.float32) * 0.03, f"w{i}"))
        nodes.append(helper.make_node("MatMul", [prev, f"w{i}"], [f"h{i}"]))
        nodes.append(helper.make_node("Relu", [f"h{i}"], [f"r{i}"]))
        prev = f"r{i}"
    graph = helper.make_graph(nodes, "big", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", width])],
                              [helper.make_tensor_value_info(prev, TensorProto.FLOAT, ["batch", width])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onnx.save_model(model, str(path))
    return path


def test_quantize_killed_with_sigterm_leaves_nothing(tmp_path):
    model = big_onnx(tmp_path / "big.onnx")
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "workbench", "quantize", str(model), "-o", str(out / "q.onnx"),
                             "--mode", "int8-dynamic"], stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    lines = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        lines.append(line)
        if "quantizing" in line:
            break
    assert any("quantizing" in ln for ln in lines), lines
    time.sleep(0.3)
    assert proc.poll() is None, "quantize finished before it could be killed: make the model bigger"
    assert list(out.glob(".quantize-work-*"))  # the stage had started writing
    proc.send_signal(signal.SIGTERM)
    rest = proc.communicate(timeout=60)[1]
    assert proc.returncode == 143, (proc.returncode, rest)
    assert "terminated" in rest
    assert not out.exists(), sorted(os.listdir(out))
    assert sorted(os.listdir(tmp_path)) == ["big.onnx"]


def test_stale_staging_of_a_dead_process_is_removed_on_the_next_run(capsys, tmp_path, exported):
    dead = subprocess.Popen(["true"])
    dead.wait()
    out = tmp_path / "out"
    out.mkdir()
    stale = [out / f".q.onnx.partial-{dead.pid}-abcd1234", out / f".quantize-work-{dead.pid}-efgh5678"]
    for folder in stale:
        folder.mkdir()
        (folder / "q.onnx").write_bytes(b"half")
    live = out / f".q.onnx.partial-{os.getpid()}-live0000"  # a job still running: left alone
    live.mkdir()
    unrelated = out / ".q.onnx.partial-notes"  # not a name the workbench gives
    unrelated.mkdir()
    rc, err = cli(capsys, "quantize", exported("bert").path, "-o", out / "q.onnx", "--mode", "int8-dynamic")
    assert rc == 0, err
    assert not any(p.exists() for p in stale)
    assert live.exists() and unrelated.exists()


def test_staging_names_carry_the_pid(tmp_path):
    with fsutil.staged_output(tmp_path / "m.onnx") as p:
        assert f".partial-{os.getpid()}-" in p.parent.name
        p.write_text("x")
    assert (tmp_path / "m.onnx").read_text() == "x"


def test_failed_move_puts_replaced_files_back(tmp_path, monkeypatch):
    out = tmp_path / "out"
    with fsutil.staged_output(out / "m.onnx") as p:
        p.write_text("old")
        (p.parent / "m.onnx.data").write_text("old data")
    real = os.replace
    calls = []

    def flaky(a, b):
        calls.append((a, b))
        if len(calls) == 3:  # after m.onnx was replaced, moving the .data file fails
            raise OSError(28, "No space left on device")
        return real(a, b)

    monkeypatch.setattr(os, "replace", flaky)
    with pytest.raises(WorkbenchError, match="No space left"):
        with fsutil.staged_output(out / "m.onnx") as p:
            p.write_text("new")
            (p.parent / "m.onnx.data").write_text("new data")
    monkeypatch.setattr(os, "replace", real)
    assert (out / "m.onnx").read_text() == "old" and (out / "m.onnx.data").read_text() == "old data"
    assert leftovers(out) == []
