"""The mnn target's graph rewrites before MNNConvert: each works around one MNN fault, found on the runtime coverage
list (benchmarks/results/runtime_coverage.md), and computes the same as the graph it rewrites for every input.
prepare_onnx (targets/mnn.py) applies them in turn."""

from __future__ import annotations


def non_negative_gather_nd(model) -> int:
    """MNN's GatherND takes a negative index for out of range and gives zeros (ONNX counts it from the end):
    Falcon's fused-QKV split, ``qkv[..., [-2], :]``, exports as GatherND(indices [[-2]]) and its keys and values came
    out 0 in MNN. Constant negative indices become their non-negative equals where the graph's value_info (the dynamo
    exporter writes it) or ONNX shape inference fixes the indexed dimensions. Returns the nodes changed."""
    import numpy as np
    from onnx import numpy_helper

    inits = {i.name: i for i in model.graph.initializer}
    nodes = [n for n in model.graph.node if n.op_type == "GatherND" and len(n.input) > 1 and n.input[1] in inits
             and (numpy_helper.to_array(inits[n.input[1]]) < 0).any()]
    if not nodes:
        return 0
    dims = _known_dims(model)
    changed = 0
    for node in nodes:
        batch = next((a.i for a in node.attribute if a.name == "batch_dims"), 0)
        index = numpy_helper.to_array(inits[node.input[1]])
        sizes = (dims.get(node.input[0]) or [])[batch:batch + index.shape[-1]]
        if len(sizes) != index.shape[-1] or None in sizes:
            continue
        name = f"{node.input[1]}_non_negative_{changed}"
        model.graph.initializer.append(numpy_helper.from_array(
            np.where(index < 0, index + np.asarray(sizes, dtype=index.dtype), index).astype(index.dtype), name))
        node.input[1] = name
        changed += 1
    return changed


def _known_dims(model) -> dict:
    """{value name: its dims, None where unknown}: what the graph's value_info, inputs and outputs say (the dynamo
    exporter writes them), each dimension fixed where either they or ONNX shape inference with data propagation
    (on a copy without that value_info, which it would otherwise keep: a Reshape to a computed shape, such as
    Falcon's key heads, stays unknown there) fixes it."""
    import onnx

    def read(infos) -> dict:
        return {v.name: [d.dim_value if d.HasField("dim_value") else None for d in v.type.tensor_type.shape.dim]
                for v in infos if v.type.HasField("tensor_type") and v.type.tensor_type.HasField("shape")}

    graph = model.graph
    dims = read([*graph.value_info, *graph.input, *graph.output])
    try:
        copy = onnx.ModelProto()
        copy.CopyFrom(model)
        del copy.graph.value_info[:]
        inferred = read(onnx.shape_inference.infer_shapes(copy, data_prop=True).graph.value_info)
    except Exception:  # noqa: BLE001 - inference is a help here, not a requirement (a graph past 2 GB, an odd op)
        inferred = {}
    for name, found in inferred.items():
        known = dims.get(name)
        dims[name] = found if known is None or len(known) != len(found) else [
            k if k is not None else f for k, f in zip(known, found)]
    return dims


def expand_broadcast_matmul(model) -> int:
    """MNN's MatMul, in a shape-mutable module, goes wrong on a batched MatMul that broadcasts a leading dimension
    (one side's head axis fixed at 1, the other's larger: multi-query attention, Falcon's one key head for all
    query heads) once a call with every leading dimension 1 has run: at a larger batch after it the result is
    garbage (values up to FLT_MAX), while a fresh module at that batch is right (measured on a one-op graph,
    MNN 3.6.1). The broadcast side gets an explicit ``Expand`` to the other side's leading dimensions, so MNN's
    MatMul never broadcasts (the same values: ONNX MatMul broadcasts exactly so). Where the graph does not say
    the ranks, or no leading dimension is fixed at 1 against a larger or unknown one, the node is left as it is.
    Returns the MatMuls changed."""
    import numpy as np
    from onnx import helper, numpy_helper

    def is_matmul(node) -> bool:
        return node.op_type == "MatMul" and node.domain in ("", "ai.onnx") and len(node.input) == 2

    matmuls = [n for n in model.graph.node if is_matmul(n)]
    if not matmuls:
        return 0
    dims = _known_dims(model)

    def broadcasts(mine, other) -> bool:
        return any(a == 1 and b != 1 for a, b in zip(mine[:-2], other[:-2]))

    names = {o for n in model.graph.node for o in n.output} | {i.name for i in model.graph.initializer}
    nodes, changed = [], 0
    for node in model.graph.node:
        a, b = (dims.get(v) for v in node.input) if is_matmul(node) else (None, None)
        if a is not None and b is not None and len(a) == len(b) >= 3:
            for side, mine, other in ((0, a, b), (1, b, a)):
                if not broadcasts(mine, other):
                    continue
                value, partner = node.input[side], node.input[1 - side]
                base = f"{value}_mnn_expand_{changed}"
                while any(x.startswith(base) for x in names):
                    base += "_"
                for suffix, number in (("zero", 0), ("minus2", -2), ("end", np.iinfo(np.int64).max)):
                    model.graph.initializer.append(numpy_helper.from_array(np.array([number], np.int64),
                                                                           f"{base}_{suffix}"))
                # Shape + Slice (any opset from 10), not Shape's start/end attributes (opset 15 on)
                nodes += [helper.make_node("Shape", [partner], [f"{base}_partner"]),
                          helper.make_node("Slice", [f"{base}_partner", f"{base}_zero", f"{base}_minus2"],
                                           [f"{base}_lead"]),
                          helper.make_node("Shape", [value], [f"{base}_own"]),
                          helper.make_node("Slice", [f"{base}_own", f"{base}_minus2", f"{base}_end"],
                                           [f"{base}_rows"]),
                          helper.make_node("Concat", [f"{base}_lead", f"{base}_rows"], [f"{base}_shape"], axis=0),
                          helper.make_node("Expand", [value, f"{base}_shape"], [base])]
                names.add(base)
                node.input[side] = base
                changed += 1
        nodes.append(node)
    if changed:
        del model.graph.node[:]
        model.graph.node.extend(nodes)
    return changed


def scatter_elements_attributes(model) -> int:
    """MNN's converter reads only the first of ScatterElements' ``axis`` and ``reduction`` attributes (its loop stops
    at either; MNN 3.6.1, tools/converter OnnxScatterElements): the dynamo exporter writes ``reduction="none"``
    before ``axis=1`` (DeepSeek-V3's router, ``group_mask.scatter_(1, group_idx, 1)``), so the scatter went to axis
    0 and the router picked other experts (logits cosine 0.993). ``reduction="none"`` is the default and is
    dropped; ``axis=0`` beside a reduction likewise. A reduction on another axis cannot reach MNN and is refused in
    one line. Returns the nodes changed."""
    from workbench.core.errors import WorkbenchError

    changed = 0
    for node in model.graph.node:
        if node.op_type != "ScatterElements" or node.domain not in ("", "ai.onnx"):
            continue
        attrs = {a.name: a for a in node.attribute}
        reduction = attrs["reduction"].s.decode() if "reduction" in attrs else "none"
        axis = attrs["axis"].i if "axis" in attrs else 0
        drop = {"reduction"} if reduction == "none" else {"axis"} if axis == 0 else None
        if drop is None:
            raise WorkbenchError(f"MNN cannot convert ScatterElements node '{node.name}' (axis {axis}, reduction "
                                 f"{reduction}): its converter reads only one of the two attributes",
                                 "run the model on ONNX Runtime or OpenVINO, or scatter along axis 0")
        if drop & attrs.keys():
            keep = [a for a in node.attribute if a.name not in drop]
            del node.attribute[:]
            node.attribute.extend(keep)
            changed += 1
    return changed
