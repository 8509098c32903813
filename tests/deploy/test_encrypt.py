"""workbench encrypt: AES-256-GCM at rest, decrypted into memory only by every runtime that can (ORT, OpenVINO)."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from workbench.core import crypto
from workbench.core.encrypt import encrypt
from workbench.core.errors import WorkbenchError
from workbench.core.runtimes.base import RuntimeOptions
from workbench.core.runtimes.select import open_artifact

pytest.importorskip("cryptography")
FEEDS = {"x": np.linspace(-1, 1, 32, dtype=np.float32).reshape(2, 16), "ids": np.arange(6).reshape(2, 3)}
MARK = np.random.default_rng(7).standard_normal((16, 8)).astype(np.float32)  # conftest's weights
WEIGHTS = MARK.tobytes()


def _expected():
    return FEEDS["x"] @ MARK + np.arange(8, dtype=np.float32)


def _scan(folders, needle=WEIGHTS[:64]) -> list:
    hits = []
    for folder in folders:
        for dirpath, _, files in os.walk(folder):
            for name in files:
                try:
                    if needle in Path(dirpath, name).read_bytes():
                        hits.append(os.path.join(dirpath, name))
                except OSError:
                    pass
    return hits


@pytest.mark.parametrize("which", ["onnx", "ext", "ir"])
def test_encrypted_model_runs_from_memory_and_leaves_no_plaintext(artifacts, key, tmp_path, which, monkeypatch):
    import tempfile

    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch))
    tempfile.tempdir = None
    out = tmp_path / "out" / "model.enc"
    info = encrypt(artifacts[which], out, key)
    assert info["format"] == ("openvino" if which == "ir" else "onnx")
    blob = out.read_bytes()
    assert WEIGHTS[:64] not in blob and b"MatMul" not in blob  # neither weights nor graph in the clear
    monkeypatch.setenv(crypto.KEY_ENV, key.hex())
    runtime, session = open_artifact(out, RuntimeOptions())
    assert runtime.name == "encrypted"
    assert session.runtime == ("openvino" if which == "ir" else "onnxruntime")
    assert any("decrypted into memory" in n for n in session.notes)
    got = session.run(session.feed(FEEDS) if hasattr(session, "feed") else FEEDS)
    np.testing.assert_allclose(got["y"], _expected(), rtol=1e-5, atol=1e-5)
    assert list(got["s"]) == [3, 12]
    session.close()
    tempfile.tempdir = None
    assert _scan([tmp_path / "out", scratch, tempfile.gettempdir()]) == []
    assert sorted(p.name for p in out.parent.iterdir() if p.name != ".workbench-output") == ["model.enc"]


def test_wrong_key_and_modified_file_fail_in_one_line(artifacts, key, tmp_path):
    out = tmp_path / "m.enc"
    encrypt(artifacts["onnx"], out, key)
    with pytest.raises(WorkbenchError, match="wrong key") as err:
        crypto.decrypt(out, bytes(32))
    assert "\n" not in str(err.value)
    blob = bytearray(out.read_bytes())
    blob[-20] ^= 1
    bad = tmp_path / "bad.enc"
    bad.write_bytes(bytes(blob))
    with pytest.raises(WorkbenchError, match="modified"):
        crypto.decrypt(bad, key)
    header = bytearray(out.read_bytes())
    header[14] ^= 1  # the header is authenticated too
    (tmp_path / "h.enc").write_bytes(bytes(header))
    with pytest.raises(WorkbenchError):
        crypto.decrypt(tmp_path / "h.enc", key)
    with pytest.raises(WorkbenchError, match="not a workbench encrypted model"):
        crypto.decrypt(artifacts["onnx"], key)


def test_keys_come_from_a_file_or_the_environment_only(tmp_path, monkeypatch):
    monkeypatch.delenv(crypto.KEY_ENV, raising=False)
    monkeypatch.delenv(crypto.KEY_FILE_ENV, raising=False)
    with pytest.raises(WorkbenchError, match="no decryption key"):
        crypto.load_key()
    path = crypto.new_key(tmp_path / "k")
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert len(crypto.load_key(path)) == 32
    with pytest.raises(WorkbenchError, match="never overwritten"):
        crypto.new_key(path)
    (tmp_path / "short").write_text("abcd")
    with pytest.raises(WorkbenchError, match="not an AES-256 key"):
        crypto.load_key(tmp_path / "short")
    monkeypatch.setenv(crypto.KEY_ENV, "zz" * 32)
    with pytest.raises(WorkbenchError, match="not an AES-256 key"):
        crypto.load_key()


def test_gguf_is_refused_naming_llama_cpp(tmp_path, key):
    gguf = tmp_path / "m.gguf"
    gguf.write_bytes(b"GGUF" + bytes(64))
    with pytest.raises(WorkbenchError, match="llama.cpp loads a GGUF only from a file path"):
        encrypt(gguf, tmp_path / "m.enc", key)
    assert not (tmp_path / "m.enc").exists()


def test_cli_encrypt_takes_no_key_on_the_command_line(artifacts, tmp_path):
    env = {**os.environ, crypto.KEY_ENV: ""}
    key_file = tmp_path / "key"
    cmd = [sys.executable, "-m", "workbench", "encrypt", str(artifacts["onnx"]), "-o", str(tmp_path / "m.enc")]
    made = subprocess.run(cmd + ["--new-key", str(key_file)], capture_output=True, text=True, env=env)
    assert made.returncode == 0, made.stderr
    assert (tmp_path / "m.enc").is_file() and key_file.is_file()
    again = subprocess.run(cmd + ["--key-file", str(key_file)], capture_output=True, text=True, env=env)
    assert again.returncode == 1 and "would overwrite" in again.stderr and len(again.stderr.strip().splitlines()) == 1
    none = subprocess.run(cmd[:-1] + [str(tmp_path / "n.enc")], capture_output=True, text=True, env=env)
    assert none.returncode == 1 and "no decryption key" in none.stderr
    assert not (tmp_path / "n.enc").exists()
    bad = subprocess.run(cmd + ["--key", "00" * 32], capture_output=True, text=True, env=env)
    assert bad.returncode == 2  # argparse: there is no --key option
