"""ONNX Runtime's side of locate: which intermediate values can stand for a module's input and output (float
values whose inferred shape can be PyTorch's), and one run of the graph with those values exposed as outputs."""

from __future__ import annotations

from workbench.core.locate.scopes import _call_nodes, _members, _module

FLOAT_TYPES = (1, 10, 11, 16)  # FLOAT, FLOAT16, DOUBLE, BFLOAT16
TAIL = 4  # values per module scope exposed as output candidates (from the end of the scope)


def _float_values(model, inferred=None) -> tuple:
    """({value name: elem_type} of the float values the graph knows the type of (after shape inference: validate's,
    ``inferred``, where it ran; else here), {value name: its dims, None where symbolic} where it knows the rank)."""
    import onnx

    if inferred is None:
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
                shapes=None, members: dict | None = None) -> tuple:
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
    members = members if members is not None else _members(scopes)
    consumers: dict = {}
    for i, n in enumerate(nodes):
        for v in n.input:
            consumers.setdefault(v, []).append(i)
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
            escaping[mod] = [o for i in reversed(idx) for o in nodes[i].output if o in floats and (
                o in graph_outputs or any(c not in own for c in consumers.get(o, ())))]
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
    """One run of ``model`` (the user's graph, in memory) with ``values`` added as outputs: handed to ONNX Runtime
    serialized (no temp file) unless its tensors need external data, at the basic level (fusions cannot cross
    exposed values), its thread pool not spinning (one run: a spinning pool only burns CPU after it), in the
    onnxruntime runtime's session (its ``data`` option takes the serialized graph), the one validate runs."""
    import tempfile
    from pathlib import Path

    import onnx
    import onnxruntime

    from workbench.core import onnx_io
    from workbench.core.runtimes.base import RuntimeOptions
    from workbench.core.runtimes.onnxruntime import NAME
    from workbench.core.runtimes.select import open_artifact

    present = {o.name for o in model.graph.output}
    for v in values:
        if v not in present:
            model.graph.output.append(onnx.helper.make_tensor_value_info(v, floats[v], None))
    options = onnxruntime.SessionOptions()
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    with tempfile.TemporaryDirectory(prefix="workbench-locate-") as tmp:
        if onnx_io.is_large(onnx_io.tensor_bytes(model)):  # past protobuf's 2 GB: a file with external data
            copy, data = Path(tmp) / "exposed.onnx", None
            onnx_io.save(model, copy, external=True)
        else:
            copy, data = path, model.SerializeToString()
        extra = {"level": "basic", "session_options": options, "data": data}
        session = open_artifact(str(copy), RuntimeOptions(device=provider, extra=extra), NAME)[1]
        try:
            return session.run(session.feed(session_feed[0], session_feed[1]))
        finally:
            session.close()
