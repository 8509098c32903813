"""workbench deploy: the generated programs load the artifact, feed its inputs and print what the workbench's own
run prints. Python programs run here; the C++ programs are built with CMake: OpenVINO's against the openvino wheel's
headers, ORT's against the onnxruntime wheel's library and ORT's headers (tools/ort_cxx_headers.sh), with OpenSSL
for an encrypted model; Java builds only where ORT's jar is (WORKBENCH_ORT_JAR), C# nowhere here (no .NET SDK)."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from workbench.core import crypto
from workbench.core.encrypt import encrypt
from workbench.core.deploy import deploy, describe, example_feeds, parse_output
from workbench.core.errors import WorkbenchError
from workbench.core.runtimes.base import RuntimeOptions
from workbench.core.runtimes.select import open_artifact


def _expected(artifact, key=None) -> dict:
    spec = describe(artifact)
    _, session = open_artifact(artifact, RuntimeOptions(extra={"key": key} if key else {}))
    got = session.run(example_feeds(spec.inputs))
    session.close()
    return got


def _check(stdout: str, expected: dict):
    printed = parse_output(stdout)
    assert sorted(printed) == sorted(expected), stdout
    for name, value in expected.items():
        shape, total, first = printed[name]
        flat = np.asarray(value, np.float64).reshape(-1)
        assert shape == list(np.shape(value))
        np.testing.assert_allclose(total, flat.sum(), rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(first, flat[:8], rtol=1e-5, atol=1e-6)


@pytest.fixture(scope="module")
def encrypted(artifacts, key, tmp_path_factory):
    root = tmp_path_factory.mktemp("deploy_enc")
    encrypt(artifacts["ext"], root / "onnx.enc", key)
    encrypt(artifacts["ir"], root / "ir.enc", key)
    return {"onnx": root / "onnx.enc", "ir": root / "ir.enc"}


@pytest.mark.parametrize("which", ["onnx", "ir", "onnx.enc", "ir.enc"])
def test_python_program_prints_what_the_workbench_computes(artifacts, encrypted, key, tmp_path, which):
    artifact = encrypted[which[:-4]] if which.endswith(".enc") else artifacts[which]
    result = deploy(artifact, tmp_path / "prog", "python")
    assert result.runtime == ("OpenVINO" if which.startswith("ir") else "ONNX Runtime")
    env = {**os.environ, crypto.KEY_ENV: key.hex()}
    env.pop(crypto.KEY_FILE_ENV, None)
    ran = subprocess.run([sys.executable, str(tmp_path / "prog" / "run_model.py")], capture_output=True, text=True,
                         env=env, timeout=120)
    assert ran.returncode == 0, ran.stderr
    _check(ran.stdout, _expected(artifact, key))
    if which.endswith(".enc"):
        env[crypto.KEY_ENV] = "00" * 32
        bad = subprocess.run([sys.executable, str(tmp_path / "prog" / "run_model.py")], capture_output=True,
                             text=True, env=env, timeout=120)
        assert bad.returncode != 0 and "wrong key" in bad.stderr


@pytest.mark.parametrize("which", ["onnx", "ir"])
def test_python_program_reads_the_key_file_decrypts_in_memory_and_refuses_without_a_key(encrypted, key, tmp_path,
                                                                                      which):
    result = deploy(encrypted[which], tmp_path / "prog", "python")
    assert "cryptography" in (tmp_path / "prog" / "requirements.txt").read_text()
    program = [sys.executable, str(Path(result.folder) / "run_model.py")]
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in (crypto.KEY_ENV, crypto.KEY_FILE_ENV)}
    env["TMPDIR"] = str(scratch)
    weights = np.random.default_rng(7).standard_normal((16, 8)).astype(np.float32).tobytes()[:64]  # conftest's W
    for name, content in (("raw.key", key), ("hex.key", key.hex().encode() + b"\n")):
        (tmp_path / name).write_bytes(content)
        ran = subprocess.run(program, capture_output=True, text=True, timeout=120, cwd=scratch,
                             env={**env, crypto.KEY_FILE_ENV: str(tmp_path / name)})
        assert ran.returncode == 0, ran.stderr
        _check(ran.stdout, _expected(encrypted[which], key))
    assert _holding(tmp_path, weights) == []  # program folder, working folder, temp folder: no plaintext weights
    for extra, message in (({}, "set WORKBENCH_MODEL_KEY"), ({crypto.KEY_ENV: "zz"}, "cannot read the key"),
                           ({crypto.KEY_FILE_ENV: str(tmp_path / "none.key")}, "cannot read the key")):
        bad = subprocess.run(program, capture_output=True, text=True, timeout=120, env={**env, **extra})
        assert bad.returncode == 1 and not bad.stdout and message in bad.stderr
        assert len(bad.stderr.strip().splitlines()) == 1, bad.stderr


def _openvino_cmake_dir() -> str:
    import openvino

    return os.path.join(os.path.dirname(openvino.__file__), "cmake")


@pytest.mark.skipif(not (shutil.which("cmake") and shutil.which("g++")), reason="needs cmake and g++")
def test_cpp_openvino_program_builds_and_decrypts_in_memory(encrypted, key, tmp_path):
    if not Path("/usr/include/openssl/evp.h").is_file():
        pytest.skip("needs OpenSSL headers (apt-get install libssl-dev)")
    deploy(encrypted["ir"], tmp_path / "prog", "cpp")
    build = tmp_path / "prog" / "build"
    for cmd in (["cmake", "-S", str(tmp_path / "prog"), "-B", str(build), f"-DOpenVINO_DIR={_openvino_cmake_dir()}"],
                ["cmake", "--build", str(build)]):
        made = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        assert made.returncode == 0, made.stdout[-2000:] + made.stderr[-2000:]
    env = {**os.environ, crypto.KEY_ENV: key.hex()}
    env.pop(crypto.KEY_FILE_ENV, None)
    ran = subprocess.run([str(build / "run_model")], capture_output=True, text=True, env=env, timeout=120)
    assert ran.returncode == 0, ran.stderr
    _check(ran.stdout, _expected(encrypted["ir"], key))
    env[crypto.KEY_ENV] = "11" * 32
    bad = subprocess.run([str(build / "run_model")], capture_output=True, text=True, env=env, timeout=120)
    assert bad.returncode == 1 and "wrong key" in bad.stderr and not bad.stdout


def _ort_headers():
    """ONNX Runtime's C++ headers: $ONNXRUNTIME_ROOT/include, Debian's libonnxruntime-dev, or what
    tools/ort_cxx_headers.sh put in /usr/local/include/onnxruntime (PyPI and npm ship none)."""
    root = os.environ.get("ONNXRUNTIME_ROOT")
    places = [Path(root, "include"), Path(root, "include", "onnxruntime")] if root else []
    places += [Path("/usr/include/onnxruntime"), Path("/usr/local/include/onnxruntime")]
    return next((p for p in places if (p / "onnxruntime_cxx_api.h").is_file()), None)


def _build_ort(prog: Path) -> Path:
    """Configure and build a deployed ORT C++ program against the headers found and the onnxruntime wheel's own
    library (the ORT the workbench runs), the way the program's CMakeLists documents it."""
    import onnxruntime

    build = prog / "build"
    wheel = os.path.dirname(onnxruntime.__file__)
    for cmd in (["cmake", "-S", str(prog), "-B", str(build), f"-DONNXRUNTIME_ROOT={wheel}",
                 f"-DORT_INCLUDE={_ort_headers()}"], ["cmake", "--build", str(build)]):
        made = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        assert made.returncode == 0, made.stdout[-2000:] + made.stderr[-2000:]
    linked = subprocess.run(["ldd", str(build / "run_model")], capture_output=True, text=True).stdout
    assert f"libonnxruntime.so.1 => {build / 'libonnxruntime.so.1'}" in linked, linked  # the wheel's, via its link
    return build / "run_model"


def _holding(folder, needle: bytes) -> list:
    """Files under folder whose bytes contain needle (a plaintext weight that should not be on disk)."""
    return [str(p) for p in Path(folder).rglob("*") if p.is_file() and needle in p.read_bytes()]


NEEDS_ORT_CXX = pytest.mark.skipif(
    not (shutil.which("cmake") and shutil.which("g++")) or _ort_headers() is None,
    reason="needs cmake, g++ and ONNX Runtime's C++ headers (bash tools/ort_cxx_headers.sh, or Debian's "
           "libonnxruntime-dev, or ONNXRUNTIME_ROOT=<release folder>)")


@NEEDS_ORT_CXX
def test_cpp_onnxruntime_program_builds_and_runs(artifacts, tmp_path):
    deploy(artifacts["ext"], tmp_path / "prog", "cpp")
    program = _build_ort(tmp_path / "prog")
    ran = subprocess.run([str(program)], capture_output=True, text=True, timeout=120)
    assert ran.returncode == 0, ran.stderr
    _check(ran.stdout, _expected(artifacts["ext"]))
    other = subprocess.run([str(program), str(artifacts["onnx"])], capture_output=True, text=True, timeout=120)
    assert other.returncode == 0, other.stderr  # MODEL on the command line (the same model without external data)
    _check(other.stdout, _expected(artifacts["onnx"]))
    missing = subprocess.run([str(program), str(tmp_path / "gone.onnx")], capture_output=True, text=True,
                             timeout=120)
    assert missing.returncode != 0 and not missing.stdout and "gone.onnx" in missing.stderr


@NEEDS_ORT_CXX
def test_cpp_onnxruntime_program_decrypts_in_memory(encrypted, key, tmp_path):
    if not Path("/usr/include/openssl/evp.h").is_file():
        pytest.skip("needs OpenSSL headers (apt-get install libssl-dev)")
    deploy(encrypted["onnx"], tmp_path / "prog", "cpp")
    program = _build_ort(tmp_path / "prog")
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = {**os.environ, crypto.KEY_ENV: key.hex(), "TMPDIR": str(scratch)}
    env.pop(crypto.KEY_FILE_ENV, None)
    ran = subprocess.run([str(program)], capture_output=True, text=True, env=env, timeout=120, cwd=scratch)
    assert ran.returncode == 0, ran.stderr
    _check(ran.stdout, _expected(encrypted["onnx"], key))
    weights = np.random.default_rng(7).standard_normal((16, 8)).astype(np.float32).tobytes()[:64]  # conftest's W
    assert _holding(tmp_path, weights) == [] and _holding(encrypted["onnx"].parent, weights) == []
    env[crypto.KEY_ENV] = "22" * 32
    bad = subprocess.run([str(program)], capture_output=True, text=True, env=env, timeout=120)
    assert bad.returncode == 1 and "wrong key" in bad.stderr and not bad.stdout
    env.pop(crypto.KEY_ENV)
    unset = subprocess.run([str(program)], capture_output=True, text=True, env=env, timeout=120)
    assert unset.returncode == 1 and "WORKBENCH_MODEL_KEY" in unset.stderr and not unset.stdout


@pytest.mark.skipif(not (shutil.which("javac") and os.environ.get("WORKBENCH_ORT_JAR")),
                    reason="needs javac and ONNX Runtime's jar (WORKBENCH_ORT_JAR=PATH; it is on Maven Central only)")
def test_java_program_compiles_and_runs(artifacts, tmp_path):
    deploy(artifacts["onnx"], tmp_path / "prog", "java")
    jar = os.environ["WORKBENCH_ORT_JAR"]
    src = tmp_path / "prog" / "src" / "main" / "java" / "RunModel.java"
    made = subprocess.run(["javac", "-cp", jar, "-d", str(tmp_path / "cls"), str(src)], capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    ran = subprocess.run(["java", "-cp", f"{jar}:{tmp_path / 'cls'}", "RunModel"], capture_output=True, text=True)
    assert ran.returncode == 0, ran.stderr
    _check(ran.stdout, _expected(artifacts["onnx"]))


def test_java_and_csharp_programs_carry_the_inputs_and_the_pinned_runtime(artifacts, encrypted, tmp_path):
    import onnxruntime

    java = deploy(encrypted["onnx"], tmp_path / "java", "java")
    text = (tmp_path / "java" / "src/main/java/RunModel.java").read_text()
    assert '{"x", "ids"}' in text and '{"float32", "int64"}' in text and "new long[]{2L, 16L}" in text
    assert "AES/GCM/NoPadding" in text and f"<version>{onnxruntime.__version__}</version>" in \
        (tmp_path / "java" / "pom.xml").read_text()
    assert java.files == ["pom.xml", "src/main/java/RunModel.java", "workbench-deploy.json"]
    deploy(artifacts["onnx"], tmp_path / "cs", "csharp")
    cs = (tmp_path / "cs" / "Program.cs").read_text()
    assert "new[] {2, 16}" in cs and "Sizes = {  }" in cs
    assert f'Version="{onnxruntime.__version__}"' in (tmp_path / "cs" / "run_model.csproj").read_text()


def test_refusals_are_one_line_and_write_nothing(artifacts, tmp_path):
    cases = [(artifacts["ir"], "java", "OpenVINO has no official java API"),
             (artifacts["ir"], "csharp", "OpenVINO has no official csharp API"),
             (artifacts["onnx"], "rust", "unknown language")]
    gguf = tmp_path / "m.gguf"
    gguf.write_bytes(b"GGUF" + bytes(16))
    cases.append((gguf, "cpp", "only a Python program for a GGUF"))
    (tmp_path / "m.pt").write_bytes(b"x")
    cases.append((tmp_path / "m.pt", "python", "takes .onnx, .xml, .gguf or .enc"))
    for artifact, lang, message in cases:
        with pytest.raises(WorkbenchError, match=message) as err:
            deploy(artifact, tmp_path / "out", lang)
        assert "\n" not in str(err.value) and "; " in str(err.value)
        assert not (tmp_path / "out").exists()


def test_existing_folder_is_replaced_only_with_force_and_only_if_deploy_wrote_it(artifacts, tmp_path):
    deploy(artifacts["onnx"], tmp_path / "p", "python")
    with pytest.raises(WorkbenchError, match="already exists"):
        deploy(artifacts["onnx"], tmp_path / "p", "cpp")
    deploy(artifacts["onnx"], tmp_path / "p", "cpp", force=True)
    assert sorted(p.name for p in (tmp_path / "p").iterdir()) == ["CMakeLists.txt", "main.cpp", "tensorrt.sh",
                                                                  "workbench-deploy.json"]  # no run_model.py left
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep")
    with pytest.raises(WorkbenchError, match="already exists"):
        deploy(artifacts["onnx"], tmp_path / "mine", "python", force=True)
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep"


def test_cli_deploy(artifacts, tmp_path):
    ran = subprocess.run([sys.executable, "-m", "workbench", "deploy", str(artifacts["onnx"]), "-o",
                          str(tmp_path / "c"), "--lang", "cpp", "--json"], capture_output=True, text=True)
    assert ran.returncode == 0, ran.stderr
    assert '"runtime": "ONNX Runtime"' in ran.stdout and (tmp_path / "c" / "main.cpp").is_file()
    bad = subprocess.run([sys.executable, "-m", "workbench", "deploy", str(artifacts["ir"]), "-o",
                          str(tmp_path / "j"), "--lang", "java"], capture_output=True, text=True)
    assert bad.returncode == 1 and len(bad.stderr.strip().splitlines()) == 1 and "OpenVINO" in bad.stderr


def test_ort_headers_tool_finds_existing_headers_and_says_why_it_cannot_fetch_them(tmp_path):
    """tools/ort_cxx_headers.sh without the network: headers already in DEST are reported as they are; with no
    apt-get and none anywhere it exits 1 with one line saying what to do (the download itself: README, CI)."""
    if Path("/usr/include/onnxruntime/onnxruntime_cxx_api.h").is_file():
        pytest.skip("Debian's libonnxruntime-dev is installed: the tool stops at it")
    tool = Path(__file__).resolve().parents[2] / "tools" / "ort_cxx_headers.sh"
    have = tmp_path / "have"
    have.mkdir()
    for name in ("onnxruntime_cxx_api.h", "onnxruntime_c_api.h"):
        (have / name).write_text("// header\n")
    found = subprocess.run(["/bin/bash", str(tool), str(have)], capture_output=True, text=True, timeout=60,
                           env={"PATH": "/nonexistent"})
    assert found.returncode == 0 and found.stdout.strip() == str(have), found.stderr
    none = subprocess.run(["/bin/bash", str(tool), str(tmp_path / "none")], capture_output=True, text=True,
                          timeout=60, env={"PATH": "/nonexistent"})
    assert none.returncode == 1 and not none.stdout and "no apt-get" in none.stderr
    assert len(none.stderr.strip().splitlines()) == 1 and not (tmp_path / "none").exists()
