"""The attention mask of the CUDA preset: the additive bias that the fused attention nodes read (com.microsoft
``Attention`` / ``MultiHeadAttention``, input 5) recomputed from the graph's ``attention_mask`` in as few nodes as
compute the same tensor (:func:`simplify_attention_mask`, after onnxscript's fusion and before fp16).

The dynamo exporter traces transformers' vmap-style mask functions into a subgraph of about 20 nodes (Cast,
Range, Unsqueezes, LessOrEqual, And, Max, Shape, two Expands, Concat, GatherND, And, Where), about 12 small CUDA
kernels a run: measured on an H200 with CUDA graphs, ~30 us of GPT-2-small's 0.65 ms. Neither ONNX Runtime's
transformer optimizer nor onnxscript's rewriter simplifies it, so this is written by hand.

It decides by what the subgraph computes, not by its op sequence (that differs between transformers versions):
the bias's ancestors are cut out as a model of their own, whose only input is a 2-D integer mask, and run on
ONNX Runtime's CPU provider on probe masks (batch 1 and 3; length 1, 2, 7, 16; all ones, right- and left-padded,
random holes, a row of zeros, values other than 0 and 1). A formula could also change past a length the graph
holds as a constant (a sliding window of 4096): the probes then run at the largest integer constant + 2 too, at
batch 1, and a constant past 8190 leaves the graph alone. A candidate formula is kept only if its numpy result
has the same shape and the same bits (-inf, finfo.min and every other fill told apart; NaN never matches) on
every probe:

- causal + key padding (a decoder without past), [B, 1, S, S]: keep where ``j <= i and mask[b, j] != 0``;
- key padding (an encoder), [B, 1, S, S] or [B, 1, 1, S]: keep where ``mask[b, j] != 0``.

A graph it does not understand (another input's values in the bias, an unproven formula, a large initializer in
the subgraph, an opset before 13, any error while looking) is left as it is; so is one whose replacement would not
have fewer nodes than the nodes it frees. Another graph input may be read only for its shape (BERT's
``token_type_ids`` gives the exporter its batch size) when it is declared with the mask's dimensions; the probes
feed it with the mask's shape.

Size: ~390 lines, one rewrite: finding the subgraph, proving a candidate on the probes and splicing the
replacement in are one decision, each step of which refuses on its own.
"""

from __future__ import annotations

PREFIX = "wb_mask_"
MAX_INITIALIZER_BYTES = 1 << 20  # a mask subgraph needs small constants only; a larger one: give up on it
MIN_OPSET = 13  # Unsqueeze takes its axes as an input
_ATTENTION_BIAS = {("com.microsoft", "Attention"): 5, ("com.microsoft", "MultiHeadAttention"): 5}
_BATCHES, _LENGTHS = (1, 3), (1, 2, 7, 16)
# A formula may change only past a length written into the graph as a constant (a sliding window of 4096, a
# chunk size): the probes then also run at that length + 2, up to this one; a larger constant: left alone.
MAX_PROBE_LENGTH = 8192
_SENTINEL = 1 << 31  # INT64_MAX / INT32_MAX-like ends of Slice: not lengths


def _opset(model) -> int:
    return next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 0)


def _bias_tensors(model) -> list:
    """The distinct tensors read as attention_bias by fused attention nodes, in graph order."""
    names: list = []
    for node in model.graph.node:
        index = _ATTENTION_BIAS.get((node.domain, node.op_type))
        if index is not None and len(node.input) > index and node.input[index] and node.input[index] not in names:
            names.append(node.input[index])
    return names


def _subgraph_names(node):
    """Names read by the subgraphs (If / Loop / Scan bodies) of ``node``, nested ones included."""
    from onnx import AttributeProto

    for attr in node.attribute:
        graphs = [attr.g] if attr.type == AttributeProto.GRAPH else list(attr.graphs) \
            if attr.type == AttributeProto.GRAPHS else []
        for graph in graphs:
            for inner in graph.node:
                yield from (n for n in inner.input if n)
                yield from _subgraph_names(inner)


def _use_counts(model) -> dict:
    """How many times each name is read: node inputs, subgraph reads, graph outputs (never removable)."""
    counts: dict = {}
    for node in model.graph.node:
        for name in list(node.input) + list(_subgraph_names(node)):
            if name:
                counts[name] = counts.get(name, 0) + 1
    for out in model.graph.output:
        counts[out.name] = counts.get(out.name, 0) + (1 << 20)
    return counts


def _tensor_bytes(tensor) -> int:
    from onnx import helper

    count = 1
    for d in tensor.dims:
        count *= d
    return count * helper.tensor_dtype_to_np_dtype(tensor.data_type).itemsize


def _ancestors(model, name: str):
    """(ancestor nodes in graph order, graph inputs read, initializers read) of ``name``; None where the
    subgraph reads something it cannot carry (a subgraph attribute, an outer-scope name, a large or external
    initializer, a large Constant)."""
    from onnx import AttributeProto, TensorProto

    producers = {out: i for i, node in enumerate(model.graph.node) for out in node.output if out}
    weights = {t.name: t for t in model.graph.initializer}
    inputs = {i.name for i in model.graph.input}
    seen, found, read, stack = set(), set(), set(), [name]
    while stack:
        current = stack.pop()
        if current in seen or not current:
            continue
        seen.add(current)
        if current in producers:
            index = producers[current]
            node = model.graph.node[index]
            if any(a.type in (AttributeProto.GRAPH, AttributeProto.GRAPHS) or a.type == AttributeProto.TENSOR
                   and _tensor_bytes(a.t) > MAX_INITIALIZER_BYTES for a in node.attribute):
                return None  # a subgraph of its own, or a large Constant
            found.add(index)
            stack.extend(node.input)
        elif current in weights:
            tensor = weights[current]
            if tensor.data_location == TensorProto.EXTERNAL or _tensor_bytes(tensor) > MAX_INITIALIZER_BYTES:
                return None
            read.add(current)
        elif current in inputs:
            continue
        else:
            return None  # an outer-scope name: not a graph of its own
    graph_inputs = {n for n in seen if n in inputs and n not in weights}
    return [model.graph.node[i] for i in sorted(found)], graph_inputs, read


def _is_int_2d(value) -> bool:
    from onnx import TensorProto

    t = value.type.tensor_type
    ints = (TensorProto.INT64, TensorProto.INT32, TensorProto.INT16, TensorProto.INT8, TensorProto.UINT8,
            TensorProto.UINT16, TensorProto.UINT32, TensorProto.UINT64)
    return value.type.HasField("tensor_type") and t.elem_type in ints and t.HasField("shape") \
        and len(t.shape.dim) == 2


def _dims(value) -> list:
    return [d.dim_param or (d.dim_value if d.HasField("dim_value") else None) for d in value.type.tensor_type.shape.dim]


def _mask_input(model, nodes, graph_inputs):
    """(the mask, the inputs read only for their shape), or None: one 2-D integer input may be read for its
    values; any other only by Shape nodes and declared with the mask's dimensions (named or fixed)."""
    values = {i.name: i for i in model.graph.input}
    shape_only = {n for n in graph_inputs if all(node.op_type == "Shape" and node.domain in ("", "ai.onnx")
                                                 for node in nodes if n in node.input)}
    read = [n for n in graph_inputs if n not in shape_only]
    if len(read) != 1 or not _is_int_2d(values[read[0]]):
        return None
    mask = values[read[0]]
    dims = _dims(mask)
    if shape_only and (None in dims or any(not values[n].type.HasField("tensor_type")
                                            or not values[n].type.tensor_type.HasField("shape")
                                            or _dims(values[n]) != dims for n in shape_only)):
        return None
    return mask, sorted(shape_only)


def _extract(model, nodes, inputs, weights, output: str):
    """The ancestor subgraph as a model of its own (the small initializers it reads copied)."""
    from onnx import helper

    graph = helper.make_graph(list(nodes), "wb_mask_probe", list(inputs), [helper.make_empty_tensor_value_info(output)],
                              [t for t in model.graph.initializer if t.name in weights])
    return helper.make_model(graph, opset_imports=list(model.opset_import), ir_version=model.ir_version)


def _reach(model, nodes, weights) -> int:
    """The largest integer constant (by magnitude) the subgraph reads, sentinels left out: a window or chunk
    size that a formula could turn on at."""
    import numpy as np
    from onnx import AttributeProto, numpy_helper

    tensors = [t for t in model.graph.initializer if t.name in weights]
    tensors += [a.t for n in nodes for a in n.attribute if a.type == AttributeProto.TENSOR]
    ints = [abs(a.i) for n in nodes for a in n.attribute if a.type == AttributeProto.INT]
    for t in tensors:
        values = numpy_helper.to_array(t)
        if values.dtype.kind in "iu" and values.size:
            ints.extend(abs(int(v)) for v in values.ravel()[:4096])  # Python ints: no overflow at INT64_MIN
    return max([v for v in ints if v < _SENTINEL], default=0)


def _probe_masks(dtype, dims, reach: int = 0) -> list:
    """Probe masks: every batch and length of the module's docstring, and the length ``reach`` + 2 where that is
    longer (a fixed dimension of the mask: that size only, the one the model takes), each with its paddings and
    holes."""
    import numpy as np

    rng = np.random.default_rng(0)
    masks = []
    fixed = [d if isinstance(d, int) and d > 0 else None for d in dims]
    lengths = _LENGTHS + ((reach + 2,) if reach + 2 > max(_LENGTHS) else ())
    for b in [fixed[0]] if fixed[0] else _BATCHES:
        for s in [fixed[1]] if fixed[1] else lengths:
            if s > max(_LENGTHS) and b > 1 and not fixed[0]:
                continue  # the long probes at batch 1 only: [1, 1, S, S] is already S*S values
            lengths = [(max(1, s // 2), s, 1)[r % 3] for r in range(b)]
            right = np.array([[1] * n + [0] * (s - n) for n in lengths])
            left = right[:, ::-1]
            holes = rng.integers(0, 2, (b, s))
            empty_row = np.ones((b, s), np.int64)
            empty_row[-1] = 0
            masks += [np.ones((b, s)), right, left, holes, empty_row, rng.integers(0, 3, (b, s))]
    return [np.ascontiguousarray(m).astype(dtype) for m in masks]


def _allowed(kind: str, mask):
    """Where the candidate ``kind`` keeps attention (True) for ``mask`` [B, S], in its own shape."""
    import numpy as np

    keys = (mask != 0)[:, None, None, :]  # [B, 1, 1, S]
    s = mask.shape[1]
    if kind == "causal":
        return keys & np.tril(np.ones((s, s), bool))[None, None]
    if kind == "padding_rows":
        return np.broadcast_to(keys, (mask.shape[0], 1, s, s))
    return keys  # "padding"


def _match(masks, outputs):
    """(kind, keep value, fill value) of the candidate that gives every output bit for bit, or None."""
    import numpy as np

    dtype = outputs[0].dtype
    if dtype.kind != "f" or any(o.dtype != dtype for o in outputs):
        return None
    bits = np.dtype(f"u{dtype.itemsize}")
    for kind in ("causal", "padding_rows", "padding"):
        keep, fill, ok = set(), set(), True
        for mask, out in zip(masks, outputs):
            allowed = _allowed(kind, mask)
            if out.shape != allowed.shape or np.isnan(out).any():
                ok = False
                break
            raw = np.ascontiguousarray(out).view(bits)
            keep.update(np.unique(raw[allowed]).tolist())
            fill.update(np.unique(raw[~allowed]).tolist())
            if len(keep) > 1 or len(fill) > 1:
                ok = False
                break
        if ok and len(keep) == 1 and len(fill) == 1 and keep != fill:
            as_value = lambda v: np.array([v], bits).view(dtype)[0]  # noqa: E731
            keep_value, fill_value = as_value(keep.pop()), as_value(fill.pop())
            expected = [np.where(_allowed(kind, m), keep_value, fill_value).astype(dtype) for m in masks]
            if all(np.array_equal(e.view(bits), np.ascontiguousarray(o).view(bits))
                   for e, o in zip(expected, outputs)):
                return kind, keep_value, fill_value
    return None


def _probe(model, nodes, mask, shape_only, weights, bias: str):
    """Run the extracted subgraph on the probes; the matching candidate (see :func:`_match`) or None."""
    import numpy as np
    import onnxruntime as ort
    from onnx import helper

    values = {i.name: i for i in model.graph.input}
    sub = _extract(model, nodes, [mask] + [values[n] for n in shape_only], weights, bias)
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    options.log_severity_level = 3
    session = ort.InferenceSession(sub.SerializeToString(), options, providers=["CPUExecutionProvider"])
    reach = _reach(model, nodes, weights)
    batch, length = [d if isinstance(d, int) and d > 0 else None for d in _dims(mask)]
    if length is None and reach + 2 > MAX_PROBE_LENGTH or (batch or 1) * (reach + 2) ** 2 > MAX_PROBE_LENGTH ** 2:
        return None  # a length-dependent formula could turn on past what the probes can afford to cover
    masks = _probe_masks(helper.tensor_dtype_to_np_dtype(mask.type.tensor_type.elem_type), _dims(mask), reach)
    outputs = []
    for m in masks:
        feeds = {mask.name: m}
        for n in shape_only:
            feeds[n] = np.zeros(m.shape, helper.tensor_dtype_to_np_dtype(values[n].type.tensor_type.elem_type))
        outputs.append(session.run(None, feeds)[0])
    return _match(masks, outputs)


def _replacement(kind: str, mask: str, keep, fill, opset: int, prefix: str):
    """(nodes, initializers, output name) computing candidate ``kind`` from ``mask`` with standard ops."""
    import numpy as np
    from onnx import TensorProto, helper, numpy_helper

    p = prefix
    inits = [numpy_helper.from_array(np.array(keep), f"{p}keep"), numpy_helper.from_array(np.array(fill), f"{p}fill"),
             numpy_helper.from_array(np.array([1, 2], np.int64), f"{p}axes_12")]
    nodes = [helper.make_node("Cast", [mask], [f"{p}bool"], to=TensorProto.BOOL, name=f"{p}cast"),
             helper.make_node("Unsqueeze", [f"{p}bool", f"{p}axes_12"], [f"{p}keys"], name=f"{p}keys")]
    allowed = f"{p}keys"
    if kind != "padding":  # the sequence length: a 1-element shape, and for causal a scalar
        if opset >= 15:
            nodes.append(helper.make_node("Shape", [mask], [f"{p}len"], start=1, end=2, name=f"{p}len"))
        else:
            inits.append(numpy_helper.from_array(np.array([1], np.int64), f"{p}one_1d"))
            nodes += [helper.make_node("Shape", [mask], [f"{p}shape"], name=f"{p}shape"),
                      helper.make_node("Gather", [f"{p}shape", f"{p}one_1d"], [f"{p}len"], axis=0, name=f"{p}len")]
    if kind == "causal":
        inits += [numpy_helper.from_array(np.array(0, np.int64), f"{p}zero"),
                  numpy_helper.from_array(np.array(1, np.int64), f"{p}one"),
                  numpy_helper.from_array(np.array([1], np.int64), f"{p}axes_1")]
        nodes += [helper.make_node("Squeeze", [f"{p}len"], [f"{p}s"], name=f"{p}s"),
                  helper.make_node("Range", [f"{p}zero", f"{p}s", f"{p}one"], [f"{p}j"], name=f"{p}range"),
                  helper.make_node("Unsqueeze", [f"{p}j", f"{p}axes_1"], [f"{p}i"], name=f"{p}i"),
                  helper.make_node("LessOrEqual", [f"{p}j", f"{p}i"], [f"{p}causal"], name=f"{p}causal"),
                  helper.make_node("And", [f"{p}keys", f"{p}causal"], [f"{p}allowed"], name=f"{p}and")]
        allowed = f"{p}allowed"
    elif kind == "padding_rows":  # broadcast over the query rows: Expand to shape [S, 1]
        inits.append(numpy_helper.from_array(np.array([1], np.int64), f"{p}one_col"))
        nodes += [helper.make_node("Concat", [f"{p}len", f"{p}one_col"], [f"{p}rows"], axis=0, name=f"{p}rows"),
                  helper.make_node("Expand", [f"{p}keys", f"{p}rows"], [f"{p}allowed"], name=f"{p}expand")]
        allowed = f"{p}allowed"
    out = f"{p}bias"
    nodes.append(helper.make_node("Where", [allowed, f"{p}keep", f"{p}fill"], [out], name=f"{p}where"))
    return nodes, inits, out


def _freed(model, ancestors, bias: str) -> set:
    """Indices of the ancestor nodes that nothing reads once ``bias``'s readers read another tensor."""
    counts = _use_counts(model)
    index = {id(n): i for i, n in enumerate(model.graph.node)}
    readers = sum(1 for n in model.graph.node for name in n.input if name == bias)
    counts[bias] = counts.get(bias, 0) - readers
    dead: set = set()
    changed = True
    while changed:
        changed = False
        for node in ancestors:
            i = index[id(node)]
            if i in dead or any(counts.get(o, 0) > 0 for o in node.output if o):
                continue
            dead.add(i)
            changed = True
            for name in node.input:
                if name:
                    counts[name] -= 1
    return dead


def _prefix(model, k: int) -> str:
    names = {o for n in model.graph.node for o in n.output} | {t.name for t in model.graph.initializer} \
        | {n.name for n in model.graph.node}
    while any(name.startswith(f"{PREFIX}{k}_") for name in names):
        k += 1
    return f"{PREFIX}{k}_"


def _plan(model, bias: str, k: int):
    """(new nodes, initializers, their output, freed node indices) replacing the subgraph computing ``bias``,
    or None where no candidate is proven or the replacement would not be shorter."""
    if bias in {o.name for o in model.graph.output}:
        return None
    found = _ancestors(model, bias)
    if found is None or not found[0]:
        return None
    nodes, graph_inputs, weights = found
    chosen = _mask_input(model, nodes, graph_inputs)
    if chosen is None:
        return None
    mask, shape_only = chosen
    proven = _probe(model, nodes, mask, shape_only, weights, bias)
    if proven is None:
        return None
    kind, keep, fill = proven
    new_nodes, inits, out = _replacement(kind, mask.name, keep, fill, _opset(model), _prefix(model, k))
    dead = _freed(model, nodes, bias)
    if len(dead) <= len(new_nodes):
        return None  # already as short: a longer replacement would be a regression
    return new_nodes, inits, out, dead


def _apply(model, bias: str, plan) -> None:
    """Point ``bias``'s readers at the new tensor, the new nodes where its producer was, the freed ones gone."""
    new_nodes, inits, out, dead = plan
    where = next(i for i, n in enumerate(model.graph.node) if bias in n.output)
    for node in model.graph.node:
        for i, name in enumerate(node.input):
            if name == bias:
                node.input[i] = out
    read = {name for i in dead for name in model.graph.node[i].input}
    written = {name for i in dead for name in model.graph.node[i].output}
    kept = []
    for i, node in enumerate(model.graph.node):
        if i == where:
            kept.extend(new_nodes)
        if i not in dead:
            kept.append(node)
    del model.graph.node[:]
    model.graph.node.extend(kept)
    model.graph.initializer.extend(inits)
    _drop_unused(model, read, written)


def _drop_unused(model, read: set, written: set) -> None:
    """The initializers that only the freed nodes read, and the value_info of the tensors they wrote."""
    counts = _use_counts(model)
    inits = [t for t in model.graph.initializer if t.name not in read or counts.get(t.name, 0) > 0]
    if len(inits) != len(model.graph.initializer):
        del model.graph.initializer[:]
        model.graph.initializer.extend(inits)
    infos = [v for v in model.graph.value_info if v.name not in written]
    if len(infos) != len(model.graph.value_info):
        del model.graph.value_info[:]
        model.graph.value_info.extend(infos)


def simplify_attention_mask(model) -> int:
    """Recompute each attention_bias of a fused attention node from the graph's 2-D mask input in the fewest
    standard nodes that give the same tensor on every probe (see the module's docstring); returns how many old
    nodes were removed (0: the graph is unchanged)."""
    if _opset(model) < MIN_OPSET:
        return 0
    removed = 0
    for k, bias in enumerate(_bias_tensors(model)):
        try:
            plan = _plan(model, bias, k)
        except Exception:  # noqa: BLE001 - a graph it does not understand is left as it is
            plan = None
        if plan is not None:
            _apply(model, bias, plan)
            removed += len(plan[3])
    return removed
