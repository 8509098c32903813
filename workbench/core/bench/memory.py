"""Memory readings for benchmarks: RSS of this process (current and peak) and GPU memory through NVML.

Every reading degrades to ``None`` (GPU) or a best-effort value (RSS) where the platform does not offer it: this
module imports on machines without CUDA, NVML or even /proc. NVML comes from ``nvidia-ml-py`` (module ``pynvml``)
and is only looked for on the first GPU reading.

Peak RSS is cumulative over a process's life. :class:`PeakTracker` measures the peak over a span of code: it
resets the kernel's high-water mark where Linux allows it (``/proc/self/clear_refs``, since 4.0) and samples RSS
on a background thread as well, so the peak is right even where the reset is refused. For a fair comparison of two
runtimes' memory, run each in its own process (see ``workbench.core.bench.isolated``).
"""

from __future__ import annotations

import os
import sys
import threading
from typing import Optional

MB = 1024 * 1024
_STATUS = "/proc/self/status"


def _status_kb(key: str) -> Optional[float]:
    """A ``VmXXX:   1234 kB`` line of /proc/self/status, in kB; None where there is no /proc (macOS, Windows)."""
    try:
        with open(_STATUS, encoding="ascii", errors="replace") as fh:
            for line in fh:
                if line.startswith(key + ":"):
                    parts = line.split()
                    return float(parts[1]) if len(parts) > 1 else None
    except OSError:
        return None
    return None


def rss_mb() -> float:
    """Resident set size of this process now, in MiB."""
    kb = _status_kb("VmRSS")
    if kb is not None:
        return kb / 1024
    try:
        import psutil

        return psutil.Process().memory_info().rss / MB
    except Exception:  # noqa: BLE001 - psutil missing or refused: no better source
        return 0.0


def peak_rss_mb() -> float:
    """Peak resident set size of this process (over its life, or since :func:`reset_peak_rss`), in MiB."""
    kb = _status_kb("VmHWM")
    if kb is not None:
        return kb / 1024
    try:
        import psutil

        info = psutil.Process().memory_info()
        peak = getattr(info, "peak_wset", None)  # Windows
        if peak:
            return peak / MB
    except Exception:  # noqa: BLE001
        pass
    try:
        import resource

        maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return maxrss / MB if sys.platform == "darwin" else maxrss / 1024  # bytes on macOS, kB elsewhere
    except Exception:  # noqa: BLE001 - no resource module (Windows)
        return rss_mb()


def reset_peak_rss() -> bool:
    """Reset the kernel's peak-RSS mark (VmHWM) to the current RSS; False where that is not possible."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


class PeakTracker:
    """Peak RSS (and GPU memory) over a span of code.

    ``with PeakTracker() as tracker: ...`` then ``tracker.peak_mb``. The peak is the largest of: RSS sampled every
    ``interval_s`` on a daemon thread, RSS read by every :meth:`sample` call and, when the high-water mark could
    be reset at the start (``reset=True``, Linux), the kernel's exact peak. With ``whole_process=True`` the
    process's lifetime peak counts too (a benchmark child process that did nothing else).
    """

    def __init__(self, interval_s: Optional[float] = 0.01, reset: bool = True, whole_process: bool = False,
                 gpu: bool = False):
        self.interval_s = interval_s
        self.reset = reset and not whole_process
        self.whole_process = whole_process
        self.gpu = gpu
        self.hwm_reset = False
        self._peak = 0.0
        self._gpu_peak: Optional[float] = None
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None

    def start(self) -> "PeakTracker":
        if self.reset:
            self.hwm_reset = reset_peak_rss()
        self._peak = rss_mb()
        self.sample_gpu()
        if self.interval_s and self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._poll, name="workbench-rss", daemon=True)
            self._thread.start()
        return self

    def _poll(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.sample()

    def sample(self) -> float:
        """Read RSS now (MiB), keeping the peak."""
        value = rss_mb()
        if value > self._peak:
            self._peak = value
        return value

    def sample_gpu(self) -> Optional[float]:
        """Read GPU memory now (MiB, None without NVML/GPU), keeping the peak."""
        if not self.gpu:
            return None
        value = gpu_used_mb()
        if value is not None and (self._gpu_peak is None or value > self._gpu_peak):
            self._gpu_peak = value
        return value

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=1.0)
            self._thread = None
        self.sample()
        self.sample_gpu()

    def __enter__(self) -> "PeakTracker":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def peak_mb(self) -> float:
        peak = self._peak
        if self.hwm_reset or self.whole_process:
            peak = max(peak, peak_rss_mb())
        return peak

    @property
    def gpu_peak_mb(self) -> Optional[float]:
        return self._gpu_peak


# ---------------------------------------------------------------------------------------------------- GPU (NVML)

_nvml_lock = threading.Lock()
_nvml_state: dict = {}  # {"ok": bool, "module": pynvml, "handle": device handle, "why": str}


def _visible_device(pynvml):
    """The NVML handle of the GPU that CUDA calls device 0 (honours CUDA_VISIBLE_DEVICES, index or UUID)."""
    visible = os.environ.get("CUDA_VISIBLE_DEVICES", "").split(",")[0].strip()
    if visible.startswith(("GPU-", "MIG-")):
        return pynvml.nvmlDeviceGetHandleByUUID(visible)
    index = int(visible) if visible.isdigit() else 0
    return pynvml.nvmlDeviceGetHandleByIndex(index)


def _nvml():
    """(pynvml, handle) once NVML is initialised, else None; the outcome is cached for the process."""
    with _nvml_lock:
        if "ok" not in _nvml_state:
            try:
                if os.environ.get("CUDA_VISIBLE_DEVICES", None) in ("", "-1"):
                    raise RuntimeError("CUDA_VISIBLE_DEVICES hides every GPU")
                import pynvml  # nvidia-ml-py

                pynvml.nvmlInit()
                if pynvml.nvmlDeviceGetCount() < 1:
                    raise RuntimeError("NVML sees no GPU")
                _nvml_state.update(ok=True, module=pynvml, handle=_visible_device(pynvml))
            except Exception as err:  # noqa: BLE001 - ImportError, NVMLError (no driver), ...: no GPU readings
                _nvml_state.update(ok=False, why=f"{type(err).__name__}: {err}")
        if not _nvml_state["ok"]:
            return None
        return _nvml_state["module"], _nvml_state["handle"]


def nvml_available() -> bool:
    return _nvml() is not None


def gpu_process_mb() -> Optional[float]:
    """GPU memory this process uses (MiB), where NVML reports it; None otherwise (no GPU, or in a container whose
    process ids NVML cannot see)."""
    nv = _nvml()
    if nv is None:
        return None
    pynvml, handle = nv
    pid = os.getpid()
    for getter in ("nvmlDeviceGetComputeRunningProcesses", "nvmlDeviceGetGraphicsRunningProcesses"):
        fn = getattr(pynvml, getter, None)
        if fn is None:
            continue
        try:
            for proc in fn(handle):
                used = getattr(proc, "usedGpuMemory", None)
                if proc.pid == pid and used is not None:
                    return used / MB
        except Exception:  # noqa: BLE001 - not supported on this device / driver
            continue
    return None


def gpu_device_used_mb() -> Optional[float]:
    """GPU memory used on the whole device (MiB), or None without NVML/GPU."""
    nv = _nvml()
    if nv is None:
        return None
    pynvml, handle = nv
    try:
        return pynvml.nvmlDeviceGetMemoryInfo(handle).used / MB
    except Exception:  # noqa: BLE001
        return None


def gpu_used_mb() -> Optional[float]:
    """This process's GPU memory if NVML reports it, else the device's used memory; None without NVML/GPU."""
    value = gpu_process_mb()
    return value if value is not None else gpu_device_used_mb()


def gpu_memory_source() -> Optional[str]:
    """'process', 'device' or None: what :func:`gpu_used_mb` measures here (for a note in results)."""
    if _nvml() is None:
        return None
    return "process" if gpu_process_mb() is not None else "device"


def gpu_info() -> Optional[dict]:
    """{'name', 'total_mb', 'driver'} of the GPU CUDA calls device 0, or None."""
    nv = _nvml()
    if nv is None:
        return None
    pynvml, handle = nv
    try:
        name = pynvml.nvmlDeviceGetName(handle)
        driver = pynvml.nvmlSystemGetDriverVersion()
        return {"name": name.decode() if isinstance(name, bytes) else str(name),
                "total_mb": pynvml.nvmlDeviceGetMemoryInfo(handle).total / MB,
                "driver": driver.decode() if isinstance(driver, bytes) else str(driver)}
    except Exception:  # noqa: BLE001
        return None
