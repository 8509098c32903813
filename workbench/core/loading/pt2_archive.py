"""torch.export archives (.pt2), read as data for ``inspect`` and loaded as a program only with ``--trust-code``.

Reading (:func:`read_archive`, :func:`inspect_export`) opens the zip and parses its JSON: the serialized
ExportedProgram (``models/<name>.json``: graph, signature, tensor metadata) and the weights / constants configs.
Pickled members (sample inputs, pickled weights) are only checked with ``torch.load(weights_only=True)``; nothing in
the file is deserialized into code and torch.export.load is never called.

Loading (:func:`load_exported_program`) is running the user's program. Before torch sees the file: an
AOTInductor package (``data/aotinductor/``: a native shared library torch would dlopen) or a custom / opaque
object is refused, and every node target in the JSON graph is held to :mod:`program_ops`' allow-list. Then only
the ExportedProgram is deserialized (torch's ``_load_exported_programs``, never the AOTI loader), with every
pickle in it held to weights-only, and the loaded graph is checked again.

Size: over 300 lines because reading the archive as data and the refusals before loading it as a program share
the parsed Pt2Archive; splitting them would pass its internals between two modules.
"""

from __future__ import annotations

import io
import json
import pickle
import threading
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from workbench.core.errors import WorkbenchError, first_line
from workbench.core.loading import program_ops, torch_pickle
from workbench.core.results import InspectResult, TensorInfo

AOTI_DIR = "data/aotinductor/"
MAX_JSON_BYTES = 256 * 1024 * 1024
READ_HINT = "re-export it with torch.export.save in this PyTorch version"
AOTI_HINT = ("save the ExportedProgram alone with torch.export.save (no AOTInductor package); the workbench "
             "never loads compiled native code from a model file")
# torch._export.serde.schema.ScalarType -> (dtype name, bytes per element)
SCALAR_TYPES = {1: ("uint8", 1), 2: ("int8", 1), 3: ("int16", 2), 4: ("int32", 4), 5: ("int64", 8),
                6: ("float16", 2), 7: ("float32", 4), 8: ("float64", 8), 9: ("complex32", 4), 10: ("complex64", 8),
                11: ("complex128", 16), 12: ("bool", 1), 13: ("bfloat16", 2), 28: ("uint16", 2),
                29: ("float8_e4m3fn", 1), 30: ("float8_e5m2", 1), 31: ("float8_e4m3fnuz", 1),
                32: ("float8_e5m2fnuz", 1), 33: ("float8_e8m0fnu", 1), 34: ("uint32", 4), 35: ("uint64", 8)}


@dataclass
class Pt2Archive:
    """What a .pt2 holds, read as data."""

    path: Path
    prefix: str  # the archive's top folder ("model/"), "" when none
    names: list
    programs: dict = field(default_factory=dict)  # model name -> parsed models/<name>.json
    weights: dict = field(default_factory=dict)  # model name -> {fqn: payload meta}
    constants: dict = field(default_factory=dict)

    def member(self, relative: str) -> str:
        return self.prefix + relative

    @property
    def relative_names(self) -> list:
        return [n[len(self.prefix):] for n in self.names if n.startswith(self.prefix)]

    @property
    def aoti_members(self) -> list:
        return [n for n in self.relative_names if n.startswith(AOTI_DIR)]


def _prefix(names: list) -> str:
    for name in names:
        if name == "archive_format" or name.endswith("/archive_format"):
            return name[: -len("archive_format")]
    for name in names:
        if "/models/" in name and name.endswith(".json"):
            return name[: name.index("models/")]
    return ""


def _json(z: zipfile.ZipFile, path: Path, name: str):
    info = z.getinfo(name)
    if info.file_size > MAX_JSON_BYTES:
        raise WorkbenchError(f"{path}: {name} is {info.file_size / 2**20:.0f} MB, more than a serialized program "
                             f"holds", READ_HINT)
    try:
        return json.loads(z.read(name))
    except (ValueError, UnicodeDecodeError) as err:
        raise WorkbenchError(f"{path}: {name} is not valid JSON ({str(err)[:120]})", READ_HINT) from None


def read_archive(path: Path) -> Pt2Archive:
    """Parse the archive's zip directory and JSON members; nothing is built or run."""
    path = Path(path)
    try:
        with zipfile.ZipFile(path) as z:
            names = z.namelist()
            archive = Pt2Archive(path=path, prefix=_prefix(names), names=names)
            for rel in archive.relative_names:
                if rel.startswith("models/") and rel.endswith(".json"):
                    model = rel[len("models/"):-len(".json")]
                    archive.programs[model] = _json(z, path, archive.member(rel))
                    for kind, store in (("weights", archive.weights), ("constants", archive.constants)):
                        config = archive.member(f"data/{kind}/{model}_{kind}_config.json")
                        if config in names:
                            store[model] = dict((_json(z, path, config) or {}).get("config") or {})
    except (OSError, zipfile.BadZipFile, KeyError) as err:
        raise WorkbenchError(f"{path}: not a readable torch.export archive ({err})", READ_HINT) from None
    if not archive.programs:
        raise WorkbenchError(f"{path}: no serialized program (models/*.json) in the archive", READ_HINT)
    return archive


# ------------------------------------------------------------------------------------------------ as data

def _dims(sizes) -> list:
    out = []
    for size in sizes or []:
        if isinstance(size, dict) and "as_int" in size:
            out.append(int(size["as_int"]))
        elif isinstance(size, dict) and "as_expr" in size:
            expr = size["as_expr"]
            out.append(str(expr.get("expr_str", "?") if isinstance(expr, dict) else expr))
        else:
            out.append("?")
    return out


def _tensor(name: str, meta) -> tuple:
    """(TensorInfo, numel, bytes) from serialized tensor metadata."""
    meta = meta or {}
    dtype, size = SCALAR_TYPES.get(meta.get("dtype"), (f"dtype#{meta.get('dtype')}", 0))
    shape = _dims(meta.get("sizes"))
    numel = 1
    for d in shape:
        numel = numel * d if isinstance(d, int) else 0
    return TensorInfo(name, dtype, shape), numel, numel * size


def _arg_name(arg) -> Optional[str]:
    """The tensor name of a signature argument: {"as_tensor": {"name": "x"}} or {"name": "x"}."""
    if isinstance(arg, dict):
        if isinstance(arg.get("name"), str):
            return arg["name"]
        for value in arg.values():
            found = _arg_name(value)
            if found:
                return found
    return None


def _io(program: dict) -> tuple:
    graph = program.get("graph_module", {}).get("graph", {})
    values = graph.get("tensor_values", {}) or {}
    signature = program.get("graph_module", {}).get("signature", {}) or {}

    def infos(specs, key):
        out = []
        for spec in specs or []:
            if isinstance(spec, dict) and key in spec:
                name = _arg_name(spec[key].get("arg"))
                if name is None:
                    continue
                info = _tensor(name, values.get(name))[0] if name in values else TensorInfo(name, "?", [])
                out.append(info)
        return out

    return infos(signature.get("input_specs"), "user_input"), infos(signature.get("output_specs"), "user_output")


def _program_problems(archive: Pt2Archive) -> list:
    """What would stop the workbench from running this program, in words (empty when nothing)."""
    problems = []
    if archive.aoti_members:
        problems.append(f"it carries an AOTInductor package ({archive.aoti_members[0]}: compiled native code), "
                        f"which the workbench never loads")
    for model, constants in archive.constants.items():
        for fqn, meta in constants.items():
            name = str((meta or {}).get("path_name", ""))
            if not name.startswith("tensor_"):
                problems.append(f"constant '{fqn}' is a custom or opaque object ({name}), which the workbench "
                                f"does not load")
                break
    for program in archive.programs.values():
        try:
            for target in program_ops.export_targets(program.get("graph_module", {})):
                program_ops.check_export_target(archive.path, target)
            program_ops.check_program_strings(archive.path, program)
        except WorkbenchError as err:
            problems.append(err.what.split(": ", 1)[-1])
    return problems


def _check_pickles(archive: Pt2Archive) -> None:
    """Pickled members (sample inputs, pickled weights) must load weights-only: refused otherwise, nothing runs."""
    import torch

    pickled = [archive.member(f"data/sample_inputs/{m}.pt") for m in archive.programs]
    for kind, store in (("weights", archive.weights), ("constants", archive.constants)):
        for configs in store.values():
            pickled += [archive.member(f"data/{kind}/{meta.get('path_name')}") for meta in configs.values()
                        if isinstance(meta, dict) and meta.get("use_pickle")]
    with zipfile.ZipFile(archive.path) as z:
        for name in pickled:
            if name not in archive.names:
                continue
            data = z.read(name)
            try:
                torch.load(io.BytesIO(data), weights_only=True, map_location="cpu")
            except pickle.UnpicklingError as err:
                culprit = torch_pickle.culprit_in_pickle(data, str(err)) or "a pickled object"
                raise WorkbenchError(
                    f"{archive.path} needs full unpickling (it references {culprit} in {name}), which can run "
                    f"arbitrary code; the workbench refuses to load it", torch_pickle.REFUSE_HINT) from None
            except Exception:  # noqa: BLE001 - a damaged member: torch.export would fail on it too; inspect goes on
                pass


def inspect_export(path: Path) -> InspectResult:
    archive = read_archive(path)
    _check_pickles(archive)
    infos, params, by_dtype = [], 0, {}
    for store in (archive.weights, archive.constants):
        for configs in store.values():
            for fqn, meta in configs.items():
                meta = meta or {}
                if meta.get("tensor_meta") is None:
                    continue
                info, numel, nbytes = _tensor(fqn, meta.get("tensor_meta"))
                infos.append(info)
                params += numel
                by_dtype[info.dtype] = by_dtype.get(info.dtype, 0) + nbytes
    program = archive.programs.get("model") or next(iter(archive.programs.values()))
    inputs, outputs = _io(program)
    problems = [f"{path.name}: {p}" for p in _program_problems(archive)]
    notes = [f"{path.name} is a program: export, validate and bench run it only with --trust-code"]
    return InspectResult(path=str(path), format="torch-export", tensors=infos, parameters=params,
                         bytes_by_dtype=by_dtype, total_bytes=sum(by_dtype.values()), files=[str(path)],
                         inputs=inputs, outputs=outputs, problems=problems, notes=notes,
                         metadata={k: v for k, v in (("torch_version", program.get("torch_version")),)
                                   if isinstance(v, str)})


# --------------------------------------------------------------------------------------------- as a program

def precheck(archive: Pt2Archive) -> None:
    """Refusals decided from the archive's data alone, before torch reads it."""
    if archive.aoti_members:
        raise WorkbenchError(f"{archive.path} carries an AOTInductor package ({archive.aoti_members[0]}: compiled "
                             f"native code that loading would run)", AOTI_HINT)
    unknown = [n for n in archive.relative_names if n.startswith("data/") and
               not n.startswith(("data/weights/", "data/constants/", "data/sample_inputs/"))]
    if unknown:
        raise WorkbenchError(f"{archive.path}: unexpected member {unknown[0]} in the archive", READ_HINT)
    for constants in archive.constants.values():
        for fqn, meta in constants.items():
            name = str((meta or {}).get("path_name", ""))
            if not name.startswith("tensor_"):
                raise WorkbenchError(f"{archive.path}: constant '{fqn}' is a custom or opaque object ({name}); "
                                     f"loading it would run code the workbench cannot check", READ_HINT)
    for program in archive.programs.values():
        for target in program_ops.export_targets(program.get("graph_module", {})):
            program_ops.check_export_target(archive.path, target)
        program_ops.check_program_strings(archive.path, program)


_export_lock = threading.Lock()


class _NoPickle:
    """Stands in for the pickle module inside torch's .pt2 reader: opaque pickled objects are refused."""

    def __getattr__(self, name):
        return getattr(pickle, name)

    @staticmethod
    def loads(*_args, **_kwargs):
        raise pickle.UnpicklingError("GLOBAL <a pickled opaque object> refused")

    load = loads


def _deserialize(path: Path):
    """The ExportedProgram "model" only: torch's program reader, not load_pt2 (which also loads AOTI packages)."""
    import torch

    try:
        from torch.export.pt2_archive._package import PT2ArchiveReader, _load_exported_programs
    except ImportError:  # another torch: torch.export.load (the AOTI package was refused above)
        return torch.export.load(str(path))
    with PT2ArchiveReader(str(path)) as reader:
        programs = _load_exported_programs(reader, reader.get_file_names(), None)
    if "model" not in programs:
        raise WorkbenchError(f"{path}: the archive holds no program named 'model' ({', '.join(programs)})",
                             READ_HINT)
    return programs["model"]


def load_exported_program(path: Path, trust_code: bool):
    """The ExportedProgram of a .pt2, for running: refused without ``trust_code`` and as described above."""
    import torch
    from torch.export.pt2_archive import _package

    path = Path(path)
    archive = read_archive(path)
    precheck(archive)
    _check_pickles(archive)
    program_ops.require_trust(path, "torch.export", trust_code)
    real_load = torch.load

    def weights_only_load(*args, **kwargs):
        kwargs["weights_only"] = True
        return real_load(*args, **kwargs)

    with _export_lock:
        saved_pickle = _package.pickle
        torch.load, _package.pickle = weights_only_load, _NoPickle()
        try:
            ep = _deserialize(path)
        except pickle.UnpicklingError as err:
            match = torch_pickle.GLOBAL_IN_ERROR.search(str(err))
            culprit = match.group(1) if match else "a pickled object"
            raise WorkbenchError(
                f"{path} needs full unpickling (it references {culprit}), which can run arbitrary code; "
                f"the workbench refuses to load it", torch_pickle.REFUSE_HINT) from None
        except WorkbenchError:
            raise
        except Exception as err:  # noqa: BLE001
            first = first_line(err, 160)
            raise WorkbenchError(f"{path}: not a readable torch.export archive ({first})", READ_HINT) from None
        finally:
            torch.load, _package.pickle = real_load, saved_pickle
    program_ops.check_fx_graphs(path, ep)
    return ep


def export_io(ep) -> tuple:
    """User inputs and outputs of a loaded program, dtype and shape from the graph's metadata."""
    def info(node_name: str, fallback: str):
        node = nodes.get(node_name)
        val = node.meta.get("val") if node is not None else None
        if hasattr(val, "shape"):
            shape = [int(d) if isinstance(d, int) or str(d).isdigit() else str(d) for d in val.shape]
            return TensorInfo(fallback, str(val.dtype).removeprefix("torch."), shape)
        return TensorInfo(fallback, type(val).__name__ if val is not None else "?", [])

    nodes = {n.name: n for n in ep.graph.nodes}
    inputs = [info(name, name) for name in ep.graph_signature.user_inputs]
    outputs = [info(name, name) for name in ep.graph_signature.user_outputs if isinstance(name, str)]
    return inputs, outputs
