"""Nothing leaves the machine: a benchmark longer than ONNX Runtime's telemetry delay (~9 s) makes no connect() or
sendto() to anything but loopback and Unix sockets (recorded with strace -f), and ONNX Runtime leaves no device id
or event database under ~/.cache/Microsoft. Without ORT_DISABLE_TELEMETRY=1 (which the workbench sets when it is
imported) onnxruntime 1.32 looks up mobile.events.data.microsoft.com about 9 s into such a run.
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from make_corpus import _tiny_onnx  # noqa: E402

BUDGET_S = 14
ADDRESS = re.compile(r"sa_family=(AF_INET6?)[^}]*?(?:inet_addr\(\"([^\"]+)\"\)|inet_pton\(AF_INET6, \"([^\"]+)\")")
LOOPBACK = ("127.", "::1", "::ffff:127.")


def _strace_works() -> bool:
    if shutil.which("strace") is None:
        return False
    probe = subprocess.run(["strace", "-f", "-e", "trace=connect", "-o", os.devnull, "true"], capture_output=True)
    return probe.returncode == 0


@pytest.mark.skipif(not _strace_works(), reason="needs strace (apt-get install strace) and ptrace permission")
def test_long_bench_sends_nothing_off_the_machine(tmp_path):
    model = tmp_path / "model.onnx"
    model.write_bytes(_tiny_onnx())
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items()
           if k not in ("ORT_DISABLE_TELEMETRY", "HF_HUB_OFFLINE", "HF_HUB_DISABLE_TELEMETRY", "DO_NOT_TRACK")}
    env.update(HOME=str(home), XDG_CACHE_HOME=str(home / ".cache"))  # the workbench must set the switches itself
    log = tmp_path / "strace.txt"
    proc = subprocess.run(["strace", "-f", "-e", "trace=connect,sendto,sendmsg", "-o", str(log),
                           sys.executable, "-m", "workbench", "bench", str(model), "--time-budget", str(BUDGET_S),
                           "--iterations", "1000000000", "--warmup", "1"],
                          capture_output=True, text=True, timeout=BUDGET_S + 120, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "stopped by the time budget" in proc.stdout, proc.stdout[-2000:]  # it really ran that long
    outside = []
    for line in log.read_text(errors="replace").splitlines():
        for match in ADDRESS.finditer(line):
            address = match.group(2) or match.group(3)
            if not address.startswith(LOOPBACK):
                outside.append(line.strip())
    assert not outside, "\n".join(outside[:10])
    assert not (home / ".cache" / "Microsoft").exists(), sorted(str(p) for p in home.rglob("*"))
