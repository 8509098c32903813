"""Models encrypted at rest: one AES-256-GCM container (the ``cryptography`` package) holding an artifact's files,
decrypted into memory only, never into a plaintext file.

Container layout (what the deployment kit's programs parse too)::

    b"WBENC001"  u32 little-endian header length  header (UTF-8 JSON)  12-byte nonce  ciphertext || 16-byte tag

The header (authenticated as the GCM associated data, not secret) says the artifact's ``format`` ("onnx" or
"openvino"), its ``members`` (name and size, in the order their bytes follow each other in the plaintext) and its
``inputs``/``outputs`` (names, shapes, dtypes), so the deployment kit can write a program without the key. An ONNX
model's external data is folded into the model at encrypt time (one member, under protobuf's 2 GB limit), so every
runtime opens it from bytes. The key is 32 bytes, read from a file (raw, or 64 hex characters) or from an
environment variable holding the hex; never from the command line.
"""

from __future__ import annotations

import json
import os
import struct
from pathlib import Path

from workbench.core.errors import WorkbenchError

MAGIC = b"WBENC001"
SUFFIX = ".enc"
KEY_ENV = "WORKBENCH_MODEL_KEY"  # 64 hex characters
KEY_FILE_ENV = "WORKBENCH_MODEL_KEY_FILE"  # a path to the key file
LIMIT = 2**31 - 1  # AESGCM's one-shot limit, and protobuf's for an ONNX model
_KEY_HINT = (f"give --key-file PATH (32 raw bytes or 64 hex characters; `workbench encrypt --new-key PATH` makes "
             f"one) or set {KEY_ENV} to the key's 64 hex characters")


def _parse_key(raw: bytes, where: str) -> bytes:
    if len(raw) == 32:
        return raw
    text = raw.decode("ascii", "replace").strip()
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) != 32:
        raise WorkbenchError(f"{where} is not an AES-256 key (need 32 bytes or 64 hex characters)", _KEY_HINT)
    return key


def load_key(key_file: str | os.PathLike | None = None, env: str = KEY_ENV) -> bytes:
    """The key: ``key_file``, else the file named by $WORKBENCH_MODEL_KEY_FILE, else the hex in ``$env``."""
    path = key_file or os.environ.get(KEY_FILE_ENV)
    if path:
        try:
            return _parse_key(Path(path).read_bytes(), f"key file {path}")
        except OSError as err:
            raise WorkbenchError(f"cannot read key file {path}: {err.strerror or err}", _KEY_HINT) from err
    if os.environ.get(env):
        return _parse_key(os.environ[env].encode(), f"${env}")
    raise WorkbenchError("no decryption key given", _KEY_HINT)


def new_key(path: str | os.PathLike) -> Path:
    """Write a fresh random key (64 hex characters) to ``path``, readable by its owner only; never overwrites."""
    path = Path(path)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as err:
        raise WorkbenchError(f"{path} exists; a key file is never overwritten", "choose a new path") from err
    with os.fdopen(fd, "w") as fh:
        fh.write(os.urandom(32).hex() + "\n")
    return path


def read_header(path: str | os.PathLike) -> tuple[dict, bytes, bytes]:
    """(header, associated data, nonce + ciphertext) of a container; a file that is not one is a one-line error."""
    try:
        blob = Path(path).read_bytes()
    except OSError as err:
        raise WorkbenchError(f"cannot read {path}: {err.strerror or err}", "check the path") from err
    if blob[:8] != MAGIC or len(blob) < 12:
        raise WorkbenchError(f"{path} is not a workbench encrypted model", "make one with `workbench encrypt`")
    (size,) = struct.unpack("<I", blob[8:12])
    try:
        header = json.loads(blob[12:12 + size])
    except ValueError as err:
        raise WorkbenchError(f"{path}: its header is damaged", "encrypt the model again") from err
    return header, blob[:12 + size], blob[12 + size:]


def is_encrypted(path) -> bool:
    try:
        with open(path, "rb") as fh:
            return fh.read(8) == MAGIC
    except OSError:
        return False


def decrypt(path: str | os.PathLike, key: bytes | None = None) -> tuple[dict, dict]:
    """(header, {member name: bytes}), in memory only. A wrong key or a modified file is one line."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    header, aad, rest = read_header(path)
    key = key if key is not None else load_key()
    try:
        plain = AESGCM(key).decrypt(rest[:12], rest[12:], aad)
    except InvalidTag as err:
        raise WorkbenchError(f"{path}: wrong key, or the file was modified (AES-GCM authentication failed)",
                             "use the key it was encrypted with") from err
    members, at = {}, 0
    for m in header["members"]:
        members[m["name"]] = plain[at:at + m["size"]]
        at += m["size"]
    return header, members
