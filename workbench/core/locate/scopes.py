"""Module scopes of ONNX nodes: which PyTorch module path each node was exported from (dynamo's
``pkg.torch.onnx.name_scopes`` metadata, or TorchScript-exporter node names), inherited by nodes added after export,
and the nodes inside each module (one call's, for a module called several times)."""

from __future__ import annotations

import ast
import functools


@functools.lru_cache(maxsize=65536)
def _scope_path(value: str) -> str | None:
    """The module path in a name_scopes string (many nodes share one: parsed once)."""
    try:
        scopes = ast.literal_eval(value)
    except (ValueError, SyntaxError):
        return None
    paths = [s for s in scopes[:-1] if s and not s.startswith("_")]
    return paths[-1] if paths else None


def node_module(node) -> str | None:
    """The module path a node was exported from, or None."""
    for prop in node.metadata_props:
        if prop.key == "pkg.torch.onnx.name_scopes":
            return _scope_path(prop.value)
    if node.name.startswith("/") and node.name.count("/") >= 2:  # TorchScript exporter: /model/layer.0/Op
        return ".".join(p for p in node.name.split("/")[1:-1] if p) or None
    return None


def _inherit(scopes: list, nodes: list) -> list:
    """Nodes without a scope (added after export: quantization, casts) take their first consumer's, so that a
    quantized MatMul's helper nodes stay inside the Linear they replace; except where that consumer's scope holds
    the scope their inputs come from (a quantized output projection, whose result leaves its module for the
    residual Add of the parent): those nodes end their inputs' module, whose output they compute."""
    consumers, producer = {}, {}
    for i, n in enumerate(nodes):
        for v in n.input:
            consumers.setdefault(v, []).append(i)
        for v in n.output:
            producer[v] = i
    up = list(scopes)  # the deepest scope the inputs come from, through unscoped nodes
    for i, n in enumerate(nodes):
        if up[i] is None:
            found = [up[producer[v]] for v in n.input if v in producer and up[producer[v]]]
            up[i] = max(found, key=lambda s: s.count("."), default=None)
    down = list(scopes)
    for i in reversed(range(len(nodes))):
        if down[i] is None:
            down[i] = next((down[j] for o in nodes[i].output for j in consumers.get(o, []) if down[j]), None)
    return [s if s is not None else up[i] if up[i] and down[i] and up[i] != down[i] and _in(up[i], down[i])
            else down[i] for i, s in enumerate(scopes)]


def _in(path: str | None, module: str) -> bool:
    return path is not None and (path == module or path.startswith(module + "."))


def _module(key: str) -> str:
    """The module path of a boundary key (``path`` or ``path#call``)."""
    return key.split("#")[0]


def _call_nodes(idx: list, key: str, calls: int) -> list:
    """The nodes of one call of a module called ``calls`` times: its scope's nodes split into runs of adjacent
    nodes, the i-th run where there are exactly ``calls`` runs (graph order follows call order); else none."""
    if "#" not in key:
        return idx
    runs = [[idx[0]]] if idx else []
    for a, b in zip(idx, idx[1:]):
        runs[-1].append(b) if b == a + 1 else runs.append([b])
    return runs[int(key.split("#")[1])] if len(runs) == calls else []


def _members(scopes: list) -> dict:
    """{module path: indices of the nodes inside it (its own and its submodules'), in graph order}."""
    members: dict = {}
    for i, scope in enumerate(scopes):
        if scope:
            parts = scope.split(".")
            for n in range(1, len(parts) + 1):
                members.setdefault(".".join(parts[:n]), []).append(i)
    return members
