"""Encrypted models (``workbench encrypt``'s .enc) as a runtime: the container is decrypted into memory
(workbench.core.crypto) and handed to ONNX Runtime as bytes or to OpenVINO as an in-memory IR; no plaintext file is
ever written. The key comes from ``RuntimeOptions.extra["key"]`` (bytes), else $WORKBENCH_MODEL_KEY_FILE or
$WORKBENCH_MODEL_KEY. llama.cpp cannot load a model from memory, so GGUF files are never encrypted."""

from __future__ import annotations

from workbench.core.runtimes.base import Availability, Runtime, RuntimeOptions

NAME = "encrypted"


def open_session(path, options: RuntimeOptions | None = None):
    from workbench.core import crypto
    from workbench.core.errors import WorkbenchError

    options = options or RuntimeOptions()
    header, members = crypto.decrypt(path, options.extra.get("key"))
    extra = {k: v for k, v in options.extra.items() if k != "key"}
    names = [m["name"] for m in header["members"]]
    if header["format"] == "onnx":
        session = _ort_from_bytes(path, members[names[0]], options)
    elif header["format"] == "openvino":
        from workbench.core.runtimes import openvino

        extra["memory"] = (members[names[0]], members[names[1]])
        session = openvino.open_session(path, RuntimeOptions(options.device, options.threads, options.strict,
                                                             extra))
    else:
        raise WorkbenchError(f"{path}: unknown encrypted format '{header['format']}'",
                             "encrypt the model again with this workbench")
    session.notes.append(f"decrypted into memory ({header['format']}); no plaintext file written")
    return session


def _ort_from_bytes(path, data: bytes, options: RuntimeOptions):
    """The onnxruntime runtime's session, its InferenceSession made from the decrypted bytes."""
    import onnxruntime as ort

    from workbench.core import ort as wb_ort
    from workbench.core.errors import WorkbenchError, first_line
    from workbench.core.runtimes.onnxruntime import OrtSession

    so = ort.SessionOptions()
    so.log_severity_level = 3
    if options.threads:
        so.intra_op_num_threads = options.threads
    providers, fallback = wb_ort.provider_list(options.device, options.extra.get("provider_options"))
    if fallback and options.strict:
        raise WorkbenchError(fallback[0], "use --provider cpu, or onnxruntime-gpu on a machine with an NVIDIA GPU")
    session = OrtSession.__new__(OrtSession)
    session.notes, session.path = list(fallback), str(path)
    try:
        session.session = ort.InferenceSession(data, so, providers=providers)
    except Exception as err:  # noqa: BLE001 - ORT raises its own types
        raise WorkbenchError(f"ONNX Runtime cannot load the decrypted {path}: {first_line(err)}",
                             "check the original file with `workbench inspect`, or encrypt it again") from err
    session.device = "cuda" if "CUDAExecutionProvider" in session.session.get_providers() else "cpu"
    session.session.workbench_provider = session.device
    return session


def availability() -> Availability:
    try:
        import cryptography
    except Exception as err:  # noqa: BLE001 - a missing library is an answer
        return Availability(False, hint=f"pip install cryptography (a main dependency): {err}")
    return Availability(True, cryptography.__version__, ("cpu", "cuda"))


def register(registry) -> None:
    registry.add_runtime(Runtime(name=NAME, description="models encrypted with workbench encrypt (AES-256-GCM, "
                                 "decrypted into memory for ONNX Runtime or OpenVINO)", suffixes=(".enc",),
                                 open=open_session, availability=availability))
