"""Bounds checked before any work on an input: what kind of file it is, how far a pickle expands, how big a model
its config.json describes, and how long one ONNX Runtime run may take.

Every loader calls these first, so hostile input (a FIFO or /dev/zero named model.onnx, a 2 KB pickle that expands
to gigabytes, ``num_hidden_layers = 10**6``, a Loop that never ends) is one line, not a hang or an out-of-memory.

Size: over 300 lines on purpose: every bound an untrusted input meets is in this one file (pickle, JSON,
config counts, memory, ONNX loops, run time), so a security review reads one module; each part is small.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import pickletools
import stat
import threading
import time
import zipfile
from pathlib import Path
from typing import Optional

from workbench.core.errors import WorkbenchError, first_line

# A real state dict pickle is a flat dict of tensors: a few nesting levels, and (shared globals aside) about as many
# objects expanded as it has opcodes. These bounds are orders of magnitude above any real checkpoint.
MAX_PICKLE_DEPTH = 100
MAX_PICKLE_BYTES = 1 << 30
MAX_EXPANSION_FACTOR = 8  # expanded objects per opcode, above EXPANSION_ALLOWANCE
EXPANSION_ALLOWANCE = 1_000_000
MAX_JSON_BYTES = 64 * 1024 * 1024
MAX_JSON_DEPTH = 64
MAX_LAYERS = 10_000  # num_hidden_layers & co: real models have at most a few hundred
MAX_LOOP_TRIPS = 10_000_000  # a Loop whose trip count is a constant above this is refused
RUN_TIMEOUT_ENV = "WORKBENCH_RUN_TIMEOUT_S"
DEFAULT_RUN_TIMEOUT_S = 300.0

_KINDS = ((stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


# ------------------------------------------------------------------------------------------------ file kinds

def _stat(path: Path, what: str, hint: Optional[str]) -> os.stat_result:
    try:
        return os.stat(path)  # follows symlinks: a link to /dev/zero is a character device
    except FileNotFoundError:
        raise WorkbenchError(f"{path}: no such {what}", hint or "check the path") from None
    except OSError as err:
        raise WorkbenchError(f"cannot read {path}: {err.strerror or err}", "check the path and its permissions") \
            from None


def _not_regular(path: Path, mode: int, what: str) -> WorkbenchError:
    kind = next((name for test, name in _KINDS if test(mode)), "not a regular file")
    return WorkbenchError(f"{path} is {kind}, not a regular {what}",
                          "give a regular file (pipes, sockets and devices such as /dev/zero are never read)")


def regular_file(path, what: str = "file", hint: Optional[str] = None) -> Path:
    """``path`` (expanded) after checking it is a regular file: not a folder, FIFO, socket or device."""
    p = Path(path).expanduser()
    mode = _stat(p, what, hint).st_mode
    if stat.S_ISDIR(mode):
        article = "an" if what[:1].lower() in "aeiou" else "a"
        raise WorkbenchError(f"{p} is a folder, not {article} {what}", hint or f"give the {what} itself")
    if not stat.S_ISREG(mode):
        raise _not_regular(p, mode, what)
    return p


def read_text(path, what: str, hint: Optional[str] = None) -> tuple:
    """(path, its UTF-8 text) of a user's text file (a recipe, a sweep file) after regular_file's checks; a file
    that cannot be read or is not UTF-8 is one line."""
    p = regular_file(path, what, hint)
    try:
        return p, p.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise WorkbenchError(f"{path}: cannot read the {what} ({err})", "save it as UTF-8 text") from err


def input_path(path, what: str = "file or folder", hint: Optional[str] = None) -> Path:
    """``path`` (expanded) after checking it is a regular file or a folder (the loaders' dispatch takes both)."""
    p = Path(path).expanduser()
    mode = _stat(p, what, hint).st_mode
    if not (stat.S_ISDIR(mode) or stat.S_ISREG(mode)):
        raise _not_regular(p, mode, "file or folder")
    return p


def is_regular(path) -> bool:
    """True for a regular file (following links); never raises."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False


# --------------------------------------------------------------------------------------------------- JSON

def _json_depth(text: str) -> int:
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


def read_json(path, what: Optional[str] = None, max_bytes: int = MAX_JSON_BYTES, max_depth: int = MAX_JSON_DEPTH):
    """Parse a small JSON file (config.json, generation_config.json ...) with its size and nesting bounded."""
    p = regular_file(path, what or Path(path).name)
    name = what or p.name
    size = p.stat().st_size
    if size > max_bytes:
        raise WorkbenchError(f"{p}: {size / 1e6:.0f} MB is far too big for {name} (limit {max_bytes / 1e6:.0f} MB)",
                             f"re-download {name}")
    try:
        text = p.read_text("utf-8")
    except UnicodeDecodeError as err:
        raise WorkbenchError(f"{p}: not UTF-8 text ({err.reason})", f"re-download {name}") from None
    depth = _json_depth(text) if text.count("[") + text.count("{") > max_depth else 0
    if depth > max_depth:
        raise WorkbenchError(f"{p}: {name} is not valid JSON for it: nested {depth} levels deep (limit "
                             f"{max_depth}; no real {name} nests that deep)",
                             f"re-download {name} or fix it")
    try:
        return json.loads(text)
    except RecursionError:
        raise WorkbenchError(f"{p}: {name} is nested too deeply", f"re-download {name} or fix it") from None
    except ValueError as err:
        raise WorkbenchError(f"{p}: {name} is not valid JSON ({first_line(err, 120)})",
                             f"re-download {name} or fix the syntax") from None


# -------------------------------------------------------------------------------------------------- pickles

# What torch.load(weights_only=True) reads (torch/_weights_only_unpickler.py); any other opcode it refuses anyway.
_LEAF_OPS = {"BININT", "BININT1", "BININT2", "BINFLOAT", "BINUNICODE", "SHORT_BINSTRING", "LONG1", "NONE",
             "NEWTRUE", "NEWFALSE", "GLOBAL"}
_EMPTY_OPS = {"EMPTY_TUPLE", "EMPTY_LIST", "EMPTY_DICT", "EMPTY_SET"}


class _PickleGraph:
    """The object graph a pickle builds, as node ids and child lists (nothing is built or run)."""

    def __init__(self):
        self.children: list = []

    def node(self, kids=()) -> int:
        self.children.append(list(kids))
        return len(self.children) - 1

    def measure(self, root: int, budget: int) -> tuple:
        """(objects when fully expanded, capped at budget + 1; nesting depth; True if it refers to itself)."""
        size: dict = {}
        depth: dict = {}
        on_path: set = set()
        stack = [(root, 0)]
        while stack:
            node, i = stack.pop()
            if i == 0:
                if node in size:
                    continue
                on_path.add(node)
            kids = self.children[node]
            if i < len(kids):
                stack.append((node, i + 1))
                kid = kids[i]
                if kid in on_path:
                    return budget + 1, math.inf, True
                if kid >= 0 and kid not in size:
                    stack.append((kid, 0))
                continue
            on_path.discard(node)
            size[node] = min(budget + 1, 1 + sum(size[k] if k >= 0 else 1 for k in kids))
            depth[node] = 1 + max((depth[k] for k in kids if k >= 0), default=0)
        return size[root], depth[root], False


def _pop_mark(stack: list) -> list:
    for i in range(len(stack) - 1, -1, -1):
        if stack[i] is _MARK:
            items = stack[i + 1:]
            del stack[i:]
            return items
    raise ValueError("no MARK")


_MARK = object()
LEAF = -1


def _scan_one(stream, graph: _PickleGraph, where: str) -> tuple:
    """(root node, opcode count, protocol) of the next pickle in ``stream``."""
    stack: list = []
    memo: dict = {}
    count = 0
    protocol = 0
    for opcode, arg, _pos in pickletools.genops(stream):
        count += 1
        name = opcode.name
        if name in _LEAF_OPS:
            stack.append(LEAF)
        elif name in _EMPTY_OPS:
            stack.append(graph.node())
        elif name == "MARK":
            stack.append(_MARK)
        elif name == "PROTO":
            protocol = arg
        elif name == "STOP":
            return (stack[-1] if stack and stack[-1] is not _MARK else LEAF), count, protocol
        elif name in ("BINPUT", "LONG_BINPUT"):
            memo[arg] = stack[-1]
        elif name in ("BINGET", "LONG_BINGET"):
            stack.append(memo[arg])
        elif name in ("TUPLE1", "TUPLE2", "TUPLE3"):
            n = int(name[-1])
            kids = stack[-n:]
            del stack[-n:]
            stack.append(graph.node(kids))
        elif name == "TUPLE":
            stack.append(graph.node(_pop_mark(stack)))
        elif name in ("APPEND", "SETITEM", "BUILD"):
            n = 2 if name == "SETITEM" else 1
            kids = stack[-n:]
            del stack[-n:]
            if stack[-1] >= 0:
                graph.children[stack[-1]].extend(kids)
        elif name in ("APPENDS", "SETITEMS"):
            kids = _pop_mark(stack)
            if stack[-1] >= 0:
                graph.children[stack[-1]].extend(kids)
        elif name in ("REDUCE", "NEWOBJ"):
            kids = stack[-2:]
            del stack[-2:]
            stack.append(graph.node(kids))
        elif name == "BINPERSID":
            stack.append(graph.node([stack.pop()]))
        else:
            raise _Unsupported(name, protocol)
    raise ValueError("no STOP")


class _Unsupported(Exception):
    """An opcode torch's weights-only unpickler refuses (it stops there, so nothing expands)."""

    def __init__(self, name: str, protocol: int):
        super().__init__(name)
        self.name, self.protocol = name, protocol


# Globals of checkpoints torch.save wrote; any other is a pickle of code, which torch.load refuses by name.
_CHECKPOINT_GLOBALS = ("torch", "collections.OrderedDict", "numpy", "_codecs.encode", "builtins.set",
                       "builtins.frozenset", "builtins.bytearray")


def _foreign_global(data) -> bool:
    strings: list = []
    try:
        for opcode, arg, _pos in pickletools.genops(data):
            found = None
            if opcode.name in ("GLOBAL", "INST"):
                found = str(arg).replace(" ", ".")
            elif opcode.name == "STACK_GLOBAL" and len(strings) >= 2:
                found = f"{strings[-2]}.{strings[-1]}"
            elif isinstance(arg, str):
                strings.append(arg)
            if found is not None and not found.startswith(_CHECKPOINT_GLOBALS):
                return True
    except Exception:  # noqa: BLE001 - damaged: what was seen is all there is
        pass
    return False


def _unsupported_error(where: str, path: Path, problem: _Unsupported) -> Optional[WorkbenchError]:
    """The one line for a pickle torch cannot read, or None to let torch.load name a global it refuses."""
    opened = _pickle_streams(path)
    if opened is not None:
        with opened[0] as stream:
            if _foreign_global(stream):
                return None
    detail = (f"it is written with pickle protocol {problem.protocol}, whose opcodes (here {problem.name}) "
              f"torch.load(weights_only=True) cannot read" if problem.protocol > 2 else
              f"it uses the pickle opcode {problem.name}, which a weights-only checkpoint never needs")
    return WorkbenchError(f"{where}: {detail}", "re-save it with torch.save's default protocol (2), or as safetensors")


def _pickle_streams(path: Path):
    """(stream, number of pickles to scan, label) for a zip checkpoint's data.pkl or a legacy torch.save file."""
    if zipfile.is_zipfile(path):
        z = zipfile.ZipFile(path)
        info = next((i for i in z.infolist() if i.filename.endswith("/data.pkl") or i.filename == "data.pkl"), None)
        if info is None:
            z.close()
            return None
        if info.file_size > MAX_PICKLE_BYTES:
            z.close()
            raise WorkbenchError(f"{path}: its data.pkl is {info.file_size / 1e9:.1f} GB, far more than a "
                                 f"checkpoint's index of tensors", "re-save it as a plain state dict or safetensors")
        return io.BufferedReader(z.open(info), 1 << 20), 1, f"{path} ({info.filename})"
    # legacy torch.save: magic number, protocol, system info, the object, storage keys (then raw bytes)
    return open(path, "rb"), 4, str(path)


def check_pickle(path) -> None:
    """Refuse a checkpoint whose pickle would expand past any real state dict (a "billion laughs" of shared
    containers), nests deeper than ``MAX_PICKLE_DEPTH``, refers to itself, or uses opcodes torch's weights-only
    unpickler cannot read: all read with pickletools, before torch.load builds anything."""
    path = regular_file(path, "checkpoint")
    try:
        opened = _pickle_streams(path)
    except (OSError, zipfile.BadZipFile, RuntimeError):
        return  # torch.load reports a damaged file in its own words
    if opened is None:
        return
    stream, pickles, where = opened
    graph = _PickleGraph()
    roots, ops = [], 0
    try:
        with stream:
            for _ in range(pickles):
                root, count, _protocol = _scan_one(stream, graph, where)
                roots.append(root)
                ops += count
    except _Unsupported as problem:
        error = _unsupported_error(where, path, problem)
        if error is None:
            return
        raise error from None
    except (ValueError, KeyError, IndexError, TypeError, EOFError, OSError, zipfile.BadZipFile, RuntimeError):
        if not roots:
            return  # damaged: torch.load says so (and names a refused global)
    budget = EXPANSION_ALLOWANCE + MAX_EXPANSION_FACTOR * ops
    for root in roots:
        if root < 0:
            continue
        size, depth, cyclic = graph.measure(root, budget)
        if cyclic:
            raise WorkbenchError(f"{where}: the pickle contains a container that contains itself, which no "
                                 f"checkpoint does", "re-save the state dict with torch.save in a trusted environment")
        if depth > MAX_PICKLE_DEPTH:
            raise WorkbenchError(f"{where}: the pickle nests containers {depth} levels deep (limit "
                                 f"{MAX_PICKLE_DEPTH}); a state dict is a flat dict of tensors",
                                 "re-save the state dict with torch.save in a trusted environment")
        if size > budget:
            raise WorkbenchError(f"{where}: its {ops} pickle opcodes expand to more than {budget} objects through "
                                 f"shared references (a 'billion laughs' pickle); a state dict is a flat dict of "
                                 f"tensors", "re-save the state dict with torch.save in a trusted environment")


# ------------------------------------------------------------------------------------------- model sizes

_LAYER_KEYS = ("num_hidden_layers", "n_layer", "num_layers", "n_layers", "num_decoder_layers", "num_encoder_layers",
               "encoder_layers", "decoder_layers")
_HIDDEN_KEYS = ("hidden_size", "n_embd", "d_model", "dim")
_VOCAB_KEYS = ("vocab_size", "n_vocab")
_FFN_KEYS = ("intermediate_size", "n_inner", "ffn_dim", "d_ff", "moe_intermediate_size")
_EXPERT_KEYS = ("num_local_experts", "n_routed_experts", "num_experts")
_BYTES = {"fp32": 4, "fp16": 2, "bf16": 2, "float32": 4, "float16": 2, "bfloat16": 2}


def _int(config: dict, keys) -> int:
    for key in keys:
        value = config.get(key)
        if isinstance(value, bool):
            continue
        if isinstance(value, (int, float)) and math.isfinite(value) and value > 0:
            return int(value)
    return 0


def _sub_configs(config: dict, depth: int = 0):
    yield config
    if depth < 3:
        for value in config.values():
            if isinstance(value, dict):
                yield from _sub_configs(value, depth + 1)


def rough_parameters(config: dict) -> int:
    """An estimate of the parameter count from config.json's sizes (embeddings + attention + MLP per layer)."""
    total = 0
    for sub in _sub_configs(config):
        hidden, layers = _int(sub, _HIDDEN_KEYS), _int(sub, _LAYER_KEYS)
        vocab, ffn = _int(sub, _VOCAB_KEYS), _int(sub, _FFN_KEYS) or 4 * _int(sub, _HIDDEN_KEYS)
        experts = max(1, _int(sub, _EXPERT_KEYS))
        total += vocab * hidden + layers * (4 * hidden * hidden + 3 * hidden * ffn * experts)
    return total


def check_counts(config: dict, where: str) -> None:
    """Refuse layer counts no real model has: building 10**6 layers takes hours even without weights."""
    for sub in _sub_configs(config):
        for key in _LAYER_KEYS:
            value = sub.get(key)
            if isinstance(value, (int, float)) and not isinstance(value, bool) and value > MAX_LAYERS:
                raise WorkbenchError(f"{where}: {key} = {value:,} is beyond any real model (limit {MAX_LAYERS:,})",
                                     f"check {key} in config.json")


def free_memory() -> int:
    import psutil

    return int(psutil.virtual_memory().available)


def _meta_parameters(cls, config, load_kwargs: dict) -> Optional[int]:
    """The exact parameter count, from a build on the meta device (no memory allocated), or None."""
    import torch

    try:
        with torch.device("meta"):
            build = getattr(cls, "from_config", None) or cls._from_config
            model = build(config, **load_kwargs)
        return sum(p.numel() for p in model.parameters())
    except Exception:  # noqa: BLE001 - the real build reports its own error
        return None


def check_model_size(where: str, config, cls=None, dtype: str = "fp32", load_kwargs: Optional[dict] = None) -> None:
    """Refuse a config.json whose model would not fit in the free memory, before anything is allocated.

    The estimate comes from the sizes in the config; when it is within 4x of the free memory, the model is built on
    the meta device to count its parameters exactly.
    """
    data = config.to_dict() if hasattr(config, "to_dict") else dict(config)
    check_counts(data, where)
    per = _BYTES.get(dtype, 4)
    params = rough_parameters(data)
    available = free_memory()
    exact = False
    if params * per > available / 4 and cls is not None and params * per < 64 * available:
        counted = _meta_parameters(cls, config, load_kwargs or {})
        if counted is not None:
            params, exact = counted, True
    need = params * per
    if need > available:
        about = "" if exact else "about "
        raise WorkbenchError(
            f"{where}: config.json describes a model of {about}{params / 1e9:.3g} billion parameters "
            f"({need / 1e9:,.1f} GB in {dtype}), more than the {available / 1e9:,.1f} GB of free memory",
            "check the sizes in config.json (num_hidden_layers, vocab_size, hidden_size), free memory, "
            "or use a smaller --dtype")


# -------------------------------------------------------------------------------------------------- ONNX graphs

def _constants(graph) -> dict:
    from onnx import numpy_helper

    out = {}
    for t in graph.initializer:
        if t.data_type == 7 and len(t.dims) <= 1 and t.data_location != 1:  # INT64, not external
            try:
                out[t.name] = numpy_helper.to_array(t)
            except Exception:  # noqa: BLE001
                pass
    for node in graph.node:
        if node.op_type == "Constant" and node.output:
            for attr in node.attribute:
                if attr.name == "value" and attr.t.data_type == 7:
                    try:
                        out[node.output[0]] = numpy_helper.to_array(attr.t)
                    except Exception:  # noqa: BLE001
                        pass
                elif attr.name == "value_int":
                    out[node.output[0]] = attr.i
    return out


def check_onnx_loops(model, where) -> None:
    """Refuse Loop nodes whose trip count is a constant above ``MAX_LOOP_TRIPS`` (they would run for ever)."""
    from workbench.core.onnx_io import graphs

    for graph in graphs(model.graph):
        constants = None
        for node in graph.node:
            if node.op_type != "Loop" or not node.input or not node.input[0]:
                continue
            if constants is None:
                constants = _constants(graph)
            value = constants.get(node.input[0])
            try:
                trips = int(value.reshape(-1)[0]) if hasattr(value, "reshape") else (
                    int(value) if value is not None else None)
            except (IndexError, TypeError, ValueError):
                trips = None
            if trips is not None and trips > MAX_LOOP_TRIPS:
                raise WorkbenchError(f"{where}: the Loop node '{node.name or node.output[0]}' runs {trips:.3g} "
                                     f"times (a constant trip count, limit {MAX_LOOP_TRIPS:.0e}), so the model "
                                     f"would never finish", "re-export the model with a bounded loop")


# ------------------------------------------------------------------------------------------ ONNX Runtime runs

def run_timeout_s() -> float:
    """Seconds one ONNX Runtime run may take: $WORKBENCH_RUN_TIMEOUT_S, default 300 (0 or less: no limit)."""
    try:
        return float(os.environ.get(RUN_TIMEOUT_ENV, "") or DEFAULT_RUN_TIMEOUT_S)
    except ValueError:
        return DEFAULT_RUN_TIMEOUT_S


class _Watchdog:
    """One daemon thread for all guarded sessions: a run past its deadline gets ``RunOptions.terminate``."""

    def __init__(self):
        self.active: dict = {}
        self.lock = threading.Lock()
        self.thread: Optional[threading.Thread] = None

    def watch(self, key, deadline: float, options) -> None:
        self.active[key] = (deadline, options)
        if self.thread is None:
            with self.lock:
                if self.thread is None:
                    self.thread = threading.Thread(target=self._loop, name="workbench-run-watchdog", daemon=True)
                    self.thread.start()

    def _loop(self) -> None:
        while True:
            time.sleep(0.1)
            now = time.monotonic()
            for key, (deadline, options) in list(self.active.items()):
                if now > deadline:
                    options.terminate = True
                    key.fired = True


_WATCHDOG = _Watchdog()


_WORK_FOLDERS: dict = {}  # a working folder's path -> the user's input its models come from


def name_work_folder(folder, original) -> None:
    """Models under ``folder`` (a quantizer's working copies) are named as ``original`` in the guard's message."""
    _WORK_FOLDERS[str(Path(folder).resolve())] = str(original)


def describe_path(path) -> str:
    """``path`` as the user knows it: a quantizer's working copy is named as the input it copies."""
    return _describe(path)


def _describe(path) -> str:
    resolved = Path(path).resolve()
    for folder, original in list(_WORK_FOLDERS.items()):
        if resolved.is_relative_to(folder):
            return f"{original} (its working copy {resolved.name})"
    return str(path)


class _Guard:
    """One session's watchdog entry and its RunOptions (reused, so a guarded run costs well under a microsecond)."""

    def __init__(self, ort):
        self.ort = ort
        self.fired = False
        self.options = self.new_options()

    def new_options(self):
        from workbench.core.quiet import debugging

        options = self.ort.RunOptions()
        if not debugging():
            options.log_severity_level = 4  # a stopped run's "[E:onnxruntime:...]" line: the error says it once
        return options


def _guarded(guard: _Guard, timeout: float, label, call, args, options):
    """``call(*args, options)`` under the watchdog: past ``timeout`` s it is stopped with a one-line error."""
    options = guard.options if options is None else options
    _WATCHDOG.watch(guard, time.monotonic() + timeout, options)
    try:
        return call(*args, options)
    except Exception as err:
        if guard.fired:
            guard.fired, guard.options = False, guard.new_options()
            name = label() if callable(label) else label
            raise WorkbenchError(f"{name}: one ONNX Runtime run took over {timeout:g} s and was stopped",
                                 f"the graph may loop without end; set {RUN_TIMEOUT_ENV} to allow longer runs") \
                from err
        raise
    finally:
        _WATCHDOG.active.pop(guard, None)


def guard_session(session, path) -> None:
    """Make ``session.run`` and ``session.run_with_iobinding`` stop after :func:`run_timeout_s` seconds, with a
    one-line WorkbenchError (ONNX Runtime's RunOptions.terminate, set from a watchdog thread)."""
    import onnxruntime as ort

    raw_run, raw_iobinding = session.run, session.run_with_iobinding
    timeout = run_timeout_s()
    if timeout <= 0:
        return
    guard = _Guard(ort)

    def describe() -> str:
        return _describe(path)

    def run(output_names, input_feed, run_options=None):
        return _guarded(guard, timeout, describe, raw_run, (output_names, input_feed), run_options)

    def run_with_iobinding(iobinding, run_options=None):
        return _guarded(guard, timeout, describe, raw_iobinding, (iobinding,), run_options)

    session.run, session.run_with_iobinding = run, run_with_iobinding


@contextlib.contextmanager
def guard_every_session(label):
    """While it lasts, every ``InferenceSession.run`` (also of sessions a library makes, e.g. ORT's calibrators)
    is under the watchdog; errors name ``label``. Process-wide: use it under the caller's lock."""
    import onnxruntime as ort

    timeout = run_timeout_s()
    cls = ort.InferenceSession
    original = cls.run
    if timeout <= 0:
        yield
        return

    def run(self, output_names, input_feed, run_options=None):
        guard = self.__dict__.get("_workbench_guard")
        if guard is None:
            guard = self.__dict__["_workbench_guard"] = _Guard(ort)
        return _guarded(guard, timeout, str(label), lambda *a: original(self, *a), (output_names, input_feed),
                        run_options)

    cls.run = run
    try:
        yield
    finally:
        cls.run = original
