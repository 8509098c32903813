"""Dynamic axes as a contract: after an export, read the file's input and output shapes back (graph header only,
external data is not loaded, so files above 2 GB work) and compare them with the axes that were asked.

A dimension asked dynamic that the file has fixed is an error that names the cause and the fix. torch.onnx's
dynamo exporter "refines" the dynamic shapes from torch.export's suggested fixes when the model specialised a
dimension, so without this check the export succeeds with fixed sizes and the report states axes the file lacks.
"""

from __future__ import annotations

from workbench.core.errors import WorkbenchError


def _dims(value) -> list:
    """[int or name] for one graph value; '?' for a dimension with neither (dynamic, unnamed)."""
    shape = value.type.tensor_type.shape if value.type.HasField("tensor_type") else None
    if shape is None:
        return []
    return [d.dim_param if d.HasField("dim_param") else d.dim_value if d.HasField("dim_value") else "?"
            for d in shape.dim]


def read_shapes(path) -> tuple[dict, dict]:
    """({input: [dim or name]}, {output: [dim or name]}) as the ONNX file states them."""
    import onnx

    model = onnx.load(str(path), load_external_data=False)
    inits = {i.name for i in model.graph.initializer}
    inputs = {v.name: _dims(v) for v in model.graph.input if v.name not in inits}
    outputs = {v.name: _dims(v) for v in model.graph.output}
    return inputs, outputs


def is_static(shapes: dict) -> bool:
    """True when every dimension of every value is a fixed size."""
    return all(isinstance(d, int) for dims in shapes.values() for d in dims)


def _shared(failed: list, asked: dict, examples: dict) -> list:
    """[(input, axis, dim name)]: static axes of other inputs with the same example size as a fixed dimension."""
    pairs = []
    for name, axis, dim, size in failed:
        for other, shape in examples.items():
            if other == name:
                continue
            for a, s in enumerate(shape):
                if s == size and a not in (asked.get(other) or {}) and (other, a, dim) not in pairs:
                    pairs.append((other, a, dim))
                    break
    return pairs


def _cause(failed: list, asked: dict, examples: dict) -> str:
    """Why the exporter fixed these dimensions ([(input, axis, dim name, example size)]), and the fix."""
    if any(size == 1 for *_, size in failed):
        return ("the example input has size 1 on that axis and a size of 1 is specialised; give an example size "
                "of 2 or more (--batch, --seq or --shape)")
    shared = _shared(failed, asked, examples)
    if shared:
        listed = ", ".join(dict.fromkeys(o for o, _, _ in shared))
        fix = " ".join(f"{o}:{a}={d}" for o, a, d in shared)
        return (f"{listed} share{'s' if len(set(o for o, _, _ in shared)) == 1 else ''} that size on static axes, "
                f"so torch.export equated the dimensions and fixed them all; add --dynamic {fix} (or leave "
                f"--dynamic out: the defaults make batch and sequence dynamic on every input)")
    return ("the model's code fixes that size (torch.export specialised it, e.g. a reshape to a constant); leave "
            "the axis out of --dynamic to export it static, or change the model")


def check_dynamic(path, asked: dict, examples: dict) -> tuple[dict, dict]:
    """Read the file's shapes back and compare with ``asked`` ({onnx input: {axis: name}}); ``examples`` are
    the example inputs' shapes ({onnx input: [sizes]}). Returns (input_shapes, output_shapes); raises
    WorkbenchError when a dimension asked dynamic is fixed in the file."""
    inputs, outputs = read_shapes(path)
    failed = []
    for name, dims in (asked or {}).items():
        got = inputs.get(name)
        if got is None:  # the exporter dropped an input the graph does not use
            continue
        for axis, dim in sorted((int(a), d) for a, d in dims.items()):
            if axis < len(got) and isinstance(got[axis], int):
                size = (examples.get(name) or [])[axis] if axis < len(examples.get(name) or []) else got[axis]
                failed.append((name, axis, dim, size))
    if failed:
        what = ", ".join(f"{n}:{a}={d}" for n, a, d, _ in failed)
        fixed = ", ".join(f"{n}:{a} to {s}" for n, a, _, s in failed)
        raise WorkbenchError(f"dynamic axes {what} were asked but the exported file fixes {fixed}",
                             _cause(failed, asked, examples))
    return inputs, outputs
