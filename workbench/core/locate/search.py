"""The first diverging node: PyTorch with forward hooks on every module, ONNX Runtime with the matching
intermediate values exposed as outputs, compared module boundary by module boundary in topological order.

ONNX values are mapped to module paths through the node metadata the dynamo exporter writes
(``pkg.torch.onnx.name_scopes``: ``['', 'model', 'model.encoder', ..., 'linear_1']``) or, for the TorchScript
exporter, through node names (``/model/encoder/layer.0/attention/self/query/MatMul``). A module's output is the last
value computed inside its scope with the shape PyTorch's output has; its input is the first value from outside its
scope that its nodes consume, with the shape of PyTorch's first input. The culprit is the first boundary value
beyond tolerance whose nearest upstream boundary values are all within it; its ``region`` lists the nodes between
them (where the broken node or weight is). The user's file is never touched: the graph is copied to a temp folder.
"""

from __future__ import annotations

import ast
import functools
import tempfile
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from workbench.core import onnx_io
from workbench.core.compare import compare, within
from workbench.core.errors import WorkbenchError

FLOAT_TYPES = (1, 10, 11, 16)  # FLOAT, FLOAT16, DOUBLE, BFLOAT16
TAIL = 4  # values per module scope exposed as output candidates (from the end of the scope)


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


def _first_tensor(value):
    import torch

    if isinstance(value, torch.Tensor):
        return value
    if isinstance(value, (tuple, list)):
        return next((t for t in (_first_tensor(v) for v in value) if t is not None), None)
    if hasattr(value, "values") and callable(value.values):
        return next((t for t in (_first_tensor(v) for v in value.values()) if t is not None), None)
    return None


@contextmanager
def hooked(module):
    """Forward hooks on every submodule while the block runs; yields a dict that holds, after it, {module path:
    (input tensor or None, output tensor or None, every float output where it returns several, else None)}. A
    module called k > 1 times (a shared layer: ALBERT's) gives one entry per call, keyed ``path#i``. validate runs
    its first PyTorch comparison inside it, so locate needs no PyTorch run of its own."""
    import torch

    seen, handles, result = {}, [], {}

    def pre(name):
        def hook(_mod, args, kwargs):
            first = _first_tensor(list(args) + [v for v in kwargs.values()])
            seen.setdefault(name, []).append([first.detach().float().cpu().numpy().copy() if first is not None and
                                              first.is_floating_point() else None, None, None])
        return hook

    def post(name):
        def hook(_mod, _args, _kwargs, output):
            out = _first_tensor(output)
            if name in seen and out is not None and out.is_floating_point():
                seen[name][-1][1] = out.detach().float().cpu().numpy().copy()
                # several tensors out ((cos, sin); a router's (logits, top-k scores, indices), its logits
                # first but its softmax computed last): which ONNX value is PyTorch's first, by value
                if isinstance(output, (tuple, list)) and sum(isinstance(t, torch.Tensor) for t in output) > 1:
                    seen[name][-1][2] = [t.detach().float().cpu().numpy().copy() for t in output
                                         if isinstance(t, torch.Tensor) and t.is_floating_point()]
        return hook

    for name, mod in module.named_modules():
        if not name:
            continue
        handles.append(mod.register_forward_pre_hook(pre(name), with_kwargs=True))
        handles.append(mod.register_forward_hook(post(name), with_kwargs=True))
    try:
        yield result
    finally:
        for h in handles:
            h.remove()
    result.update({(k if len(v) == 1 else f"{k}#{i}"): tuple(c) for k, v in seen.items() for i, c in enumerate(v)})


def _torch_boundaries(module, inputs: dict) -> dict:
    """:func:`hooked`'s dict for one PyTorch run on ``inputs``."""
    import torch

    with hooked(module) as seen, torch.inference_mode():
        module(**inputs)
    return seen


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


def _float_values(model) -> tuple:
    """({value name: elem_type} of the float values the graph knows the type of (after shape inference),
    {value name: its dims, None where symbolic} where it knows the rank)."""
    import onnx

    try:
        inferred = onnx.shape_inference.infer_shapes(model)
    except Exception:  # noqa: BLE001 - a graph shape inference cannot handle: use what the file says
        inferred = model
    g = inferred.graph
    types = {v.name: v.type.tensor_type.elem_type for v in [*g.value_info, *g.output, *g.input]
             if v.type.HasField("tensor_type")}
    dims = {v.name: tuple(d.dim_value if d.HasField("dim_value") else None for d in v.type.tensor_type.shape.dim)
            for v in [*g.value_info, *g.output, *g.input]
            if v.type.HasField("tensor_type") and v.type.tensor_type.HasField("shape")}
    return {k: t for k, t in types.items() if t in FLOAT_TYPES}, dims


def _fits(dims, shape) -> bool:
    """Whether a value of ONNX ``dims`` (None: unknown) can hold PyTorch's tensor of ``shape``."""
    return dims is None or shape is None or (len(dims) == len(shape) and
                                             all(d is None or d == n for d, n in zip(dims, shape)))


def _candidates(model, scopes: list, modules: list, floats: dict, genuine: list, ambiguous=(), dims=None,
                shapes=None) -> tuple:
    """(output candidates {module: [values, last first]}, input candidates {module: [values]}), restricted to
    float values the graph knows the type of; a module returning several tensors gets its last 3*TAIL (its
    first output may be computed well before its last). Values whose inferred shape cannot be PyTorch's
    (``shapes``: {module: (input shape, output shape)}) are left out, so fewer are exposed. An input is only
    taken where both its producer and its consumer carry their own scope (not one inherited by a node added after export, which may sit on either side)."""
    nodes = model.graph.node
    calls = {}
    for key in modules:
        calls[_module(key)] = calls.get(_module(key), 0) + 1
    produced_by = {o: i for i, n in enumerate(nodes) for o in n.output}
    consts = {i.name for i in model.graph.initializer} | {o for n in nodes if n.op_type == "Constant"
                                                           for o in n.output}
    dims, shapes, outs, ins, escaping = dims or {}, shapes or {}, {}, {}, {}
    graph_outputs = {o.name for o in model.graph.output}
    members = _members(scopes)
    for mod in modules:
        in_shape, out_shape = shapes.get(mod, (None, None))
        idx = _call_nodes(members.get(_module(mod), []), mod, calls[_module(mod)])
        if not idx:
            continue
        inside = {o for i in idx for o in nodes[i].output}
        tail = [o for i in reversed(idx) for o in nodes[i].output
                if o in floats and _fits(dims.get(o), out_shape)][:TAIL * (3 if mod in ambiguous else 1)]
        if mod in ambiguous:  # what leaves the module: the outputs its caller uses (a router's top-k weights)
            own = set(idx)
            used = {v for i, n in enumerate(nodes) if i not in own for v in n.input} | graph_outputs
            escaping[mod] = [o for i in reversed(idx) for o in nodes[i].output if o in floats and o in used]
        head = []
        for i in idx:
            for v in nodes[i].input:
                if (v and v not in inside and v not in consts and v in floats and v not in head and genuine[i]
                        and _fits(dims.get(v), in_shape)
                        and v in produced_by and genuine[produced_by[v]]):
                    head.append(v)
            if len(head) >= TAIL:
                break
        outs[mod], ins[mod] = tail, head
    return outs, ins, escaping


def _pair_used(outputs: list, used: list, actual: dict):
    """(PyTorch output, ONNX value) for a module returning several tensors: its last computed value that leaves the
    module, paired with the one PyTorch output of that shape; None where the shape does not single one out."""
    for value in used:
        shape = tuple(actual[value].shape)
        match = [t for t in outputs if tuple(t.shape) == shape]
        if len(match) == 1:
            return match[0], value
    return None


def _run_exposed(path: str, model, values: list, floats: dict, session_feed: dict, provider: str) -> dict:
    import onnx

    from workbench.core import ort

    present = {o.name for o in model.graph.output}
    for v in values:
        if v not in present:
            model.graph.output.append(onnx.helper.make_tensor_value_info(v, floats[v], None))
    with tempfile.TemporaryDirectory(prefix="workbench-locate-") as tmp:
        copy = Path(tmp) / "exposed.onnx"
        onnx_io.save(model, copy)  # its tensors in exposed.onnx.data above onnx_io's threshold
        session = ort.make_session(str(copy), provider, level="basic")  # fusions cannot cross exposed values
        names = [o.name for o in session.get_outputs()]
        results = session.run(names, ort.feed(session, session_feed[0], session_feed[1]))
    return dict(zip(names, results))


def locate(path: str, loaded, rtol: float, atol: float, floor: float, batch: int = 2, seq: int = 8,
           provider: str = "cpu", quantized: bool = False, shapes: dict | None = None, *,
           inputs: dict | None = None, reference: dict | None = None, outputs_passed: bool = True) -> dict:
    """The first diverging boundary value (see the module docstring). Returns {"divergence": dict or None,
    "candidates_checked": n, "points": [...]} where points are all compared boundary values in order.
    ``inputs`` (unpadded) with ``reference`` (:func:`hooked`'s dict of a PyTorch run on them) spare the PyTorch
    run. ``outputs_passed`` (validation's verdict on the outputs) allows dropping a divergence that is gone for
    good (:func:`masked` inside); where the outputs differ none is dropped."""
    import onnx

    model = onnx.load(str(path))  # external data loaded too: the copy is self-contained
    nodes = list(model.graph.node)
    genuine = [node_module(n) for n in nodes]
    scopes = _inherit(genuine, nodes)
    if not any(scopes):
        raise WorkbenchError(f"{path} records no module scopes (no pkg.torch.onnx.name_scopes metadata, no "
                             "/module/path node names), so its values cannot be matched to PyTorch modules",
                             "locate on the model as exported (the default dynamo exporter records them), "
                             "before optimization passes that rename nodes")
    if inputs is None or reference is None:
        inputs = loaded.make_inputs(batch, seq, pad=False, seed=7, shapes=shapes)
        reference = _torch_boundaries(loaded.module, inputs)
    members = _members(scopes)
    modules = [m for m in reference if _module(m) in members]
    floats, dims = _float_values(model)
    shapes = {m: tuple(None if t is None else tuple(t.shape) for t in reference[m][:2]) for m in modules}
    outs, ins, escaping = _candidates(model, scopes, modules, floats, genuine,
                                      {m for m in modules if reference[m][2] is not None}, dims, shapes)
    exposed = sorted({v for vs in [*outs.values(), *ins.values(), *escaping.values()] for v in vs})
    actual = _run_exposed(str(path), model, exposed, floats, (inputs, loaded.input_names), provider)

    producer = {o: i for i, n in enumerate(nodes) for o in n.output}
    points = {}  # value -> {value, module, role, stats, ref}
    for mod in modules:
        ref_in, ref_out, several = reference[mod]
        if several is not None:  # several outputs: compare the one the caller uses, where its shape is unique
            paired = _pair_used(several, [v for v in escaping.get(mod, []) if v in actual], actual)
            if paired is not None:
                ref_out, outs[mod] = paired[0], [paired[1]]
        for role, ref, cands in (("output", ref_out, outs.get(mod, [])), ("input", ref_in, ins.get(mod, []))):
            if ref is None:
                continue
            same = [v for v in cands if v in actual and tuple(actual[v].shape) == tuple(ref.shape)]
            if role == "output" and several is not None and len(same) > 1:  # logits and softmax alike: by value
                same.sort(key=lambda v: compare(actual[v], ref)["max_rel_diff"])
            value = same[0] if same else None
            if value is None or value not in producer or value in points:
                continue
            stats = compare(actual[value], ref)
            ok = within(stats, rtol, atol, floor)
            points[value] = {"value": value, "module": _module(mod), "role": role, "passed": ok, **stats}
    order = sorted(points.values(), key=lambda p: producer[p["value"]])

    def upstream(value):
        """(nearest upstream boundary values, nodes between them and ``value``)."""
        found, region, stack, seen = [], [], [value], set()
        while stack:
            v = stack.pop()
            if v in seen or v not in producer:
                continue
            seen.add(v)
            if v != value and v in points:
                found.append(v)
                continue
            i = producer[v]
            if i not in region:
                region.append(i)
                stack.extend(x for x in nodes[i].input if x)
        return found, sorted(region)

    def describe(point, ups, region, how):
        node = nodes[producer[point["value"]]]
        return {"node": node.name, "op_type": node.op_type, "module": scopes[producer[point["value"]]] or
                point["module"], "value": point["value"], "boundary_of": f"{point['module']} ({point['role']})",
                "max_rel_diff": point["max_rel_diff"], "max_abs_diff": point["max_abs_diff"],
                "cosine": point["cosine"],
                "inputs": [{"name": u, "module": points[u]["module"], "max_rel_diff": points[u]["max_rel_diff"],
                            "cosine": points[u]["cosine"]} for u in ups],
                "region": [{"node": nodes[i].name, "op_type": nodes[i].op_type, "module": scopes[i]}
                           for i in region],
                "candidates_checked": len(order), "how": how}

    def masked(p):
        """Whether ``p``'s divergence is gone for good: its enclosing module's output (computed after it) passes
        and no boundary value after that one fails. That is a value the caller drops or masks (an expert's rows
        for tokens routed elsewhere), or a pairing of a module called a data-dependent number of times that does
        not hold; a divergence that only shrinks below tolerance there (and grows again later) is kept."""
        if not outputs_passed:  # the outputs differ: every divergence is a candidate for the cause
            return False
        parts = p["module"].split(".")
        for n in range(len(parts) - 1, 0, -1):
            parent = ".".join(parts[:n])
            after = [q for q in order if q["module"] == parent and q["role"] == "output"
                     and producer[q["value"]] > producer[p["value"]]]
            if after:
                end = producer[after[0]["value"]]
                return after[0]["passed"] and all(q["passed"] for q in order if producer[q["value"]] > end)
        return False

    divergence = None
    if not quantized:
        for p in order:
            if p["passed"] or masked(p):
                continue
            ups, region = upstream(p["value"])
            if all(points[u]["passed"] for u in ups):
                divergence = describe(p, ups, region, "first boundary value beyond tolerance whose inputs are "
                                                      "within it")
                break
    else:  # rounding everywhere: the value where the error grows the most over its inputs'
        best = None
        for p in order:
            ups, region = upstream(p["value"])
            jump = p["max_rel_diff"] - max((points[u]["max_rel_diff"] for u in ups), default=0.0)
            if best is None or jump > best[0]:
                best = (jump, p, ups, region)
        if best is not None:
            divergence = describe(best[1], best[2], best[3], "largest growth in max rel diff over its inputs "
                                                             "(quantized model: every value drifts a little)")
    return {"divergence": divergence, "candidates_checked": len(order),
            "points": [{k: p[k] for k in ("value", "module", "role", "passed", "max_rel_diff", "cosine")}
                       for p in order]}
