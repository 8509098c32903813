"""Nothing leaves the machine, odd paths work, unwritable outputs fail cleanly, cancel leaves nothing behind."""

import os
import socket
import stat

import pytest

from workbench import api
from workbench.core.errors import JobCancelled, WorkbenchError
from workbench.core.jobs import CancelToken


@pytest.fixture
def no_network(monkeypatch):
    """Refuse every connection that is not to loopback, and record the attempts."""
    attempts = []
    real_connect = socket.socket.connect

    def guarded(self, address):
        host = address[0] if isinstance(address, tuple) else str(address)
        if self.family in (socket.AF_INET, socket.AF_INET6) and host not in ("127.0.0.1", "::1", "localhost"):
            attempts.append(address)
            raise OSError(101, "network refused by the test")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)
    monkeypatch.setattr(socket, "getaddrinfo", lambda host, *a, **k: (_ for _ in ()).throw(
        OSError(-2, f"lookup of {host} refused by the test")) if host not in ("127.0.0.1", "localhost", "::1")
        else socket._real_getaddrinfo(host, *a, **k))
    return attempts


socket._real_getaddrinfo = socket.getaddrinfo


def test_demo_pipeline_runs_with_the_network_refused(no_network, tmp_path, monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)  # the engine must set offline mode itself
    result = api.demo(str(tmp_path / "demo"), quick=True)
    assert os.path.exists(result.report_html) and result.failed == []
    assert no_network == []


@pytest.mark.parametrize("folder", ["with space", "模型 工作台"])
def test_paths_with_spaces_and_chinese(folder, tiny_models, tmp_path):
    out = tmp_path / folder / "模型.onnx"
    result = api.export(str(tiny_models("bert")), str(out))
    assert out.exists()
    assert api.validate(result.path, against=str(tiny_models("bert"))).passed
    q = api.quantize(result.path, str(tmp_path / folder / "量化.onnx"), mode="int8-dynamic")
    assert os.path.exists(q.output)


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions")
def test_read_only_output_folder_is_a_clear_error(tiny_models, tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        with pytest.raises(WorkbenchError, match="cannot write"):
            api.export(str(tiny_models("bert")), str(locked / "m.onnx"))
    finally:
        locked.chmod(stat.S_IRWXU)


def test_output_under_a_file_is_a_clear_error(tiny_models, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(WorkbenchError, match="cannot write"):
        api.export(str(tiny_models("bert")), str(blocker / "m.onnx"))


def test_disk_full_is_a_clear_error_and_leaves_nothing(tiny_models, tmp_path, monkeypatch):
    import errno
    import shutil

    from workbench.core import fsutil

    def full(*a, **k):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "replace", full)
    with pytest.raises(WorkbenchError, match="No space left"):
        api.export(str(tiny_models("bert")), str(tmp_path / "out" / "m.onnx"))
    assert not (tmp_path / "out").exists()
    del shutil


def _cancel_after(stage_words: str):
    token = CancelToken()

    def progress(fraction, message):
        if stage_words in message:
            token.cancel()

    return token, progress


@pytest.mark.parametrize("job", ["export", "optimize", "quantize", "bench", "validate"])
def test_cancel_at_every_stage_leaves_no_output(job, tiny_models, exported, tmp_path):
    src = str(tiny_models("bert"))
    onnx_path = exported("bert").path
    out = tmp_path / "out"
    token, progress = _cancel_after({"export": "exporting", "optimize": "fusing", "quantize": "",
                                     "bench": "", "validate": "loading PyTorch"}[job])
    calls = {
        "export": lambda: api.export(src, str(out / "m.onnx"), progress=progress, cancel=token),
        "optimize": lambda: api.optimize(onnx_path, str(out / "o.onnx"), progress=progress, cancel=token),
        "quantize": lambda: api.quantize(onnx_path, str(out / "q.onnx"), mode="int8-dynamic", progress=progress,
                                         cancel=token),
        "bench": lambda: api.bench(onnx_path, iterations=50, progress=progress, cancel=token),
        "validate": lambda: api.validate(onnx_path, against=src, progress=progress, cancel=token),
    }
    with pytest.raises(JobCancelled):
        calls[job]()
    assert not out.exists() or not any(out.rglob("*"))
