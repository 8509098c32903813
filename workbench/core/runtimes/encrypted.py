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
        from workbench.core.runtimes import onnxruntime

        extra["data"] = members[names[0]]
        session = onnxruntime.open_session(path, RuntimeOptions(options.device, options.threads, options.strict,
                                                                extra))
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
