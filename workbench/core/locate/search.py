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

from workbench.core.compare import compare, within
from workbench.core.errors import WorkbenchError
from workbench.core.locate.exposed import _candidates, _float_values, _pair_used, _run_exposed
from workbench.core.locate.hooks import _torch_boundaries
from workbench.core.locate.scopes import _inherit, _members, _module, node_module


def locate(path: str, loaded, rtol: float, atol: float, floor: float, batch: int = 2, seq: int = 8,
           provider: str = "cpu", quantized: bool = False, shapes: dict | None = None, *,
           inputs: dict | None = None, reference: dict | None = None, outputs_passed: bool = True,
           inferred=None, run_exposed=None) -> dict:
    """The first diverging boundary value (see the module docstring). Returns {"divergence": dict or None,
    "candidates_checked": n, "points": [...]} where points are all compared boundary values in order.
    ``inputs`` (unpadded) with ``reference`` (:func:`hooked`'s dict of a PyTorch run on them) spare the PyTorch
    run. ``outputs_passed`` (validation's verdict on the outputs) allows dropping a divergence that is gone for
    good (:func:`masked` inside); where the outputs differ none is dropped. ``inferred``: the file's graph after
    shape inference where the caller ran it (validate's checks), so it does not run again. ``run_exposed``: where
    the values come from another runtime than ONNX Runtime (an IR or .mnn converted from this graph, which keeps its
    tensor names), ``run_exposed(inputs, values)`` -> {value: array} of the values that runtime has; the same
    boundaries are compared with PyTorch the same way."""
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
    floats, dims = _float_values(model, inferred)
    shapes = {m: tuple(None if t is None else tuple(t.shape) for t in reference[m][:2]) for m in modules}
    outs, ins, escaping = _candidates(model, scopes, modules, floats, genuine,
                                      {m for m in modules if reference[m][2] is not None}, dims, shapes, members)
    exposed = sorted({v for vs in [*outs.values(), *ins.values(), *escaping.values()] for v in vs})
    if run_exposed is None:
        actual = _run_exposed(str(path), model, exposed, floats, (inputs, loaded.input_names), provider)
    else:
        actual = run_exposed(inputs, exposed)
        if not actual:
            raise WorkbenchError("the artifact keeps none of the ONNX export's tensor names at module boundaries, "
                                 "so no intermediate value could be compared",
                                 "locate on the ONNX export (workbench validate model.onnx --against SRC --locate)")

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
