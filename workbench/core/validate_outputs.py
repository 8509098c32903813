"""What validate compares, output by output: the artifact's outputs paired with PyTorch's (by name, else by
position), why a failing output failed in words (missing, another shape, the differences), the nodes that compute
the outputs (only those say whether a model is quantized) and ``--shape`` items checked against the model."""

from __future__ import annotations

from workbench.core.errors import WorkbenchError


def checked_given(given: dict, loaded) -> dict:
    """``--shape`` items checked against the PyTorch model's inputs: a name it does not take or a wrong number of
    axes is refused in one line (never fed as an empty or misshapen tensor)."""
    ranks = {info.name: len(info.dims(2, 8)) for info in loaded.inputs}
    for name, dims in given.items():
        if name not in ranks:
            raise WorkbenchError(f"--shape {name}: the model has no input '{name}' (its inputs: "
                                 f"{', '.join(ranks) or 'none'})", "name one of its inputs")
        if len(dims) != ranks[name]:
            raise WorkbenchError(f"--shape {name}={dims_text(dims)}: '{name}' has {ranks[name]} axes, "
                                 f"not {len(dims)}", "give one size per axis, batch first")
    return given


def failure_reason(outputs: list, rtol: float, floor: float, problems: dict | None = None) -> str | None:
    """Why the first failing output failed: its own problem (missing, another shape) where it has one, else its
    differences against the limits."""
    bad = next((o for o in outputs if not o.passed), None)
    if bad is None:
        return None
    if problems and bad.name in problems:
        return problems[bad.name]
    return (f"output '{bad.name}' differs from PyTorch: max rel diff {bad.max_rel_diff:.3g} (rtol {rtol:g}), "
            f"cosine {bad.cosine:.6f} (floor {floor:g})")


def live_nodes(graph) -> list:
    """The nodes whose results reach a graph output (a node computing nothing used, e.g. a dangling
    DequantizeLinear, says nothing about what the model computes)."""
    needed = {o.name for o in graph.output}
    live = []
    for node in reversed(graph.node):  # ONNX graphs are topologically sorted
        if any(o in needed for o in node.output):
            live.append(node)
            needed.update(i for i in node.input if i)
            for attr in node.attribute:  # a subgraph's outer-scope reads (If/Loop/Scan bodies)
                for sub in ([attr.g] if attr.HasField("g") else []) + list(attr.graphs):
                    needed.update(i for n in sub.node for i in n.input if i)
    return live[::-1]


def pair_outputs(torch_names: list, actual: dict) -> tuple:
    """([(PyTorch name, ONNX name, value)], [PyTorch names the artifact lacks]): by name where the artifact keeps
    PyTorch's names (its order then does not matter), else by position."""
    if set(torch_names) <= set(actual):
        return [(n, n, actual[n]) for n in torch_names], []
    items = list(actual.items())
    pairs = [(n, onnx_name, value) for n, (onnx_name, value) in zip(torch_names, items)]
    return pairs, list(torch_names[len(items):])


def dims_text(shape) -> str:
    return "x".join(str(d) for d in shape) or "scalar"
