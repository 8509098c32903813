"""OpenVINO IR (model.xml + model.bin) for `inspect`: the structure read from the .xml alone (ElementTree, no
OpenVINO, nothing compiled), the .bin only measured. Inputs are the Parameter layers (dynamic dimensions named by
their place, ``dim<i>``, as the openvino runtime names them), outputs the tensors feeding the Result layers,
operator counts by layer type, parameters and bytes by element type from the Const layers, and the metadata the
IR keeps in its rt_info (OpenVINO's version, the ONNX model's ``workbench.*`` stamp under ``framework``).

A .bin missing, or shorter than the weights the .xml places in it (a truncated pair), is one line; so is an .xml
that does not parse.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

from workbench.core.errors import WorkbenchError
from workbench.core.registry import Loader
from workbench.core.results import InspectResult, TensorInfo

# OpenVINO element types: (numpy-style name, bits)
TYPES = {"f32": ("float32", 32), "f16": ("float16", 16), "bf16": ("bfloat16", 16), "f64": ("float64", 64),
         "i64": ("int64", 64), "i32": ("int32", 32), "i16": ("int16", 16), "i8": ("int8", 8), "u8": ("uint8", 8),
         "u16": ("uint16", 16), "u32": ("uint32", 32), "u64": ("uint64", 64), "i4": ("int4", 4), "u4": ("uint4", 4),
         "u1": ("bool1", 1), "boolean": ("bool", 8), "nf4": ("nf4", 4), "f8e4m3": ("float8_e4m3", 8),
         "f8e5m2": ("float8_e5m2", 8)}
REEXPORT = "re-export it (workbench export SRC -o OUT.xml --target openvino) and keep the .xml and .bin together"


def can_load(path: Path) -> bool:
    if not (path.is_file() and path.suffix.lower() == ".xml"):
        return False
    with open(path, "rb") as f:
        return b"<net" in f.read(4096)


def _shape(text: str) -> list:
    return [int(d) if d.strip().lstrip("-").isdigit() and int(d) >= 0 else None for d in text.split(",")] \
        if text.strip() else []


def _count(shape: list) -> int:
    n = 1
    for d in shape:
        n *= d or 0
    return n


def _port_names(layer, port_id: str) -> str:
    for port in layer.iter("port"):
        if port.get("id") == port_id and port.get("names"):
            return port.get("names").split(",")[0].strip()
    return ""


def _rt_info(root) -> dict:
    info = root.find("rt_info")
    out = {}
    for child in (info if info is not None else []):
        if child.get("value") is not None:
            out[child.get("name") or child.tag] = child.get("value")
        for sub in child:
            if sub.get("value") is not None:
                out[sub.tag] = sub.get("value")  # framework/workbench.task, conversion_parameters/...
    return out


def inspect_ir(path: Path) -> InspectResult:
    binary = path.with_suffix(".bin")
    if not binary.is_file():
        raise WorkbenchError(f"{path.name}: its weights file {binary.name} is missing", REEXPORT)
    try:
        root = ET.parse(str(path)).getroot()
    except (ET.ParseError, OSError) as err:
        raise WorkbenchError(f"{path.name}: not a readable OpenVINO IR ({str(err)[:120]})", REEXPORT) from None
    if root.tag != "net" or root.find("layers") is None:
        raise WorkbenchError(f"{path.name}: not an OpenVINO IR (no <net> with layers)", REEXPORT)
    layers = {layer.get("id"): layer for layer in root.find("layers")}
    inputs, outputs, types, params, by_dtype, end = [], [], Counter(), 0, Counter(), 0
    feeds = {e.get("to-layer"): (e.get("from-layer"), e.get("from-port")) for e in root.iter("edge")}
    for lid, layer in layers.items():
        kind, data = layer.get("type"), layer.find("data")
        attrs = data.attrib if data is not None else {}
        if kind == "Parameter":
            shape = _shape(attrs.get("shape", ""))
            name = _port_names(layer, "0") or layer.get("name")
            inputs.append(TensorInfo(name=name, dtype=TYPES.get(attrs.get("element_type"), (attrs.get(
                "element_type", "?"), 0))[0], shape=[d if d is not None else f"dim{i}" for i, d in enumerate(shape)]))
        elif kind == "Result":
            source = feeds.get(lid)
            name = _port_names(layers[source[0]], source[1]) if source and source[0] in layers else ""
            outputs.append(TensorInfo(name=name or layer.get("name"), dtype="?", shape=[]))
        elif kind == "Const":
            dtype, _bits = TYPES.get(attrs.get("element_type"), (attrs.get("element_type", "?"), 0))
            count = _count(_shape(attrs.get("shape", "")) or [1])
            params += count
            by_dtype[dtype] += int(attrs.get("size", 0))
            end = max(end, int(attrs.get("offset", 0)) + int(attrs.get("size", 0)))
        else:
            types[kind] += 1
    size = binary.stat().st_size
    if end > size:
        raise WorkbenchError(f"{path.name}: {binary.name} is {size} bytes, the .xml places weights up to byte {end} "
                             "(truncated, or from another export)", REEXPORT)
    meta = {"ir_version": root.get("version", ""), "name": root.get("name", ""), **_rt_info(root)}
    notes = [f"OpenVINO IR v{meta['ir_version']}: {len(inputs)} inputs, {len(outputs)} outputs, "
             f"{sum(types.values())} operators, {params:,} weights in {binary.name} ({size / 1e6:.2f} MB)"]
    return InspectResult(path=str(path), format="openvino", inputs=inputs, outputs=outputs, op_counts=dict(types),
                         node_count=sum(types.values()), parameters=params, bytes_by_dtype=dict(by_dtype),
                         total_bytes=path.stat().st_size + size, metadata=meta, files=[path.name, binary.name],
                         notes=notes)


def register(registry) -> None:
    registry.add_loader(Loader(name="openvino_files", can_load=can_load, inspect=inspect_ir, load=None))
