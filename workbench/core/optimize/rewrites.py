"""Graph rewrites of the CUDA preset (cuda.py, steps 3 and 4 of its docstring), on a ModelProto: the 2-D Reshape
that onnxscript's MultiHeadAttention rule takes from a Gemm put back, and large matrix products padded to an
aligned output width and sliced back."""

from __future__ import annotations

ALIGN_MULTIPLE = 8  # pad matrix-product outputs to a multiple of this many columns (0: off)
ALIGN_MIN_WIDTH = 256  # ... when they are at least this wide (narrow ones cost little)


def repair_gemm_inputs(model) -> int:
    """Reshape to 2-D every Gemm input that a com.microsoft node (a fused attention) produces; returns how many.

    Gemm takes rank-2 inputs only; the fused MultiHeadAttention returns (B, S, D) where the graph had (B*S, D).
    The Reshape costs no copy in ONNX Runtime. Stale shape annotations of those values are dropped.
    """
    import numpy as np
    from onnx import helper, numpy_helper

    producers = {out: node for node in model.graph.node for out in node.output}
    weights = {t.name: t for t in model.graph.initializer}
    nodes, fixed, stale = [], 0, set()
    for node in model.graph.node:
        source = producers.get(node.input[0]) if node.op_type == "Gemm" and node.input else None
        if source is not None and source.domain == "com.microsoft" and node.input[1] in weights:
            trans_a = next((a.i for a in node.attribute if a.name == "transA"), 0)
            trans_b = next((a.i for a in node.attribute if a.name == "transB"), 0)
            dims = weights[node.input[1]].dims
            if trans_a or len(dims) != 2:
                nodes.append(node)
                continue
            k = dims[1] if trans_b else dims[0]
            shape_name = f"wb_gemm_shape_{fixed}"
            flat = f"{node.input[0]}_wb_2d_{fixed}"
            model.graph.initializer.append(numpy_helper.from_array(np.array([-1, k], np.int64), shape_name))
            nodes.append(helper.make_node("Reshape", [node.input[0], shape_name], [flat],
                                          name=f"wb_gemm_reshape_{fixed}"))
            stale.add(node.input[0])
            node.input[0] = flat
            fixed += 1
        nodes.append(node)
    if fixed:
        del model.graph.node[:]
        model.graph.node.extend(nodes)
        kept = [v for v in model.graph.value_info if v.name not in stale]
        del model.graph.value_info[:]
        model.graph.value_info.extend(kept)
    return fixed


def bias_bare_gemms(model) -> int:
    """Give every two-input Gemm with a 2-D weight initializer an explicit zero bias C; returns how many.

    The exporter folds zero biases away (a fresh GPT-2's Conv1D layers), and ONNX Runtime's GPT-2 fusion
    (onnx_model_gpt2.postprocess) then reads ``gemm.input[2]`` and stops with "list index out of range", so the
    whole transformer fusion was skipped. A zero C (beta 1) leaves the result unchanged.
    """
    import numpy as np
    from onnx import numpy_helper

    weights = {t.name: t for t in model.graph.initializer}
    added = 0
    for node in model.graph.node:
        if node.op_type != "Gemm" or len(node.input) != 2 or node.input[1] not in weights:
            continue
        weight = numpy_helper.to_array(weights[node.input[1]])
        if weight.ndim != 2 or weight.dtype.kind != "f":
            continue
        trans_b = next((a.i for a in node.attribute if a.name == "transB"), 0)
        name = f"wb_gemm_zero_bias_{added}"
        model.graph.initializer.append(
            numpy_helper.from_array(np.zeros(weight.shape[0] if trans_b else weight.shape[1], weight.dtype), name))
        node.input.append(name)
        added += 1
    return added


def _weight_axis(node) -> int | None:
    """The axis of the weight (input 1) that is the product's output width N, or None for other nodes."""
    trans_b = next((a.i for a in node.attribute if a.name == "transB"), 0)
    if node.op_type == "MatMul" and node.domain in ("", "ai.onnx"):
        return 1
    if node.op_type in ("Gemm", "FusedMatMul") and node.domain in ("", "ai.onnx", "com.microsoft"):
        return 0 if trans_b else 1
    return None


def pad_matmul_outputs(model, multiple: int = 8, min_width: int = ALIGN_MIN_WIDTH) -> list:
    """Pad the constant weight of each wide matrix product whose output width N is not a multiple of
    ``multiple`` to the next multiple (zeros), and slice the output back to N. Returns [(node name, N, padded)].

    A weight is padded along N only where every other use of it stays right: a Gather along axis 0 when the
    rows are padded (an embedding table tied to the LM head: the new rows are never looked up). A Gemm bias of
    width N is padded with it.
    """
    import numpy as np
    from onnx import helper, numpy_helper

    if multiple <= 1:
        return []
    weights = {t.name: t for t in model.graph.initializer}
    users: dict = {}
    for node in model.graph.node:
        for name in node.input:
            users.setdefault(name, []).append(node)
    done, new_nodes = [], []
    for node in model.graph.node:
        new_nodes.append(node)
        axis = _weight_axis(node)
        if axis is None or len(node.input) < 2 or node.input[1] not in weights:
            continue
        tensor = weights[node.input[1]]
        if len(tensor.dims) != 2 or tensor.dims[axis] % multiple == 0 or tensor.dims[axis] < min_width:
            continue
        others = [u for u in users[node.input[1]] if u is not node]
        if any(not (axis == 0 and u.op_type == "Gather" and u.input[0] == node.input[1]
                    and next((a.i for a in u.attribute if a.name == "axis"), 0) == 0) for u in others):
            continue
        bias = node.input[2] if node.op_type == "Gemm" and len(node.input) > 2 and node.input[2] else None
        if bias is not None and (bias not in weights or len(users[bias]) > 1):
            continue
        width = tensor.dims[axis]
        pad = -width % multiple
        array = numpy_helper.to_array(tensor)
        widths = [(0, pad), (0, 0)] if axis == 0 else [(0, 0), (0, pad)]
        tensor.CopyFrom(numpy_helper.from_array(np.pad(array, widths), tensor.name))
        if bias is not None:
            b = numpy_helper.to_array(weights[bias])
            if b.ndim == 1 and b.shape[0] == width:
                weights[bias].CopyFrom(numpy_helper.from_array(np.pad(b, (0, pad)), bias))
        out = node.output[0]
        node.output[0] = f"{out}_wb_padded"
        ends = f"{out}_wb_width"
        model.graph.initializer.extend([numpy_helper.from_array(np.array([0], np.int64), f"{ends}_start"),
                                        numpy_helper.from_array(np.array([width], np.int64), ends),
                                        numpy_helper.from_array(np.array([-1], np.int64), f"{ends}_axis")])
        new_nodes.append(helper.make_node("Slice", [node.output[0], f"{ends}_start", ends, f"{ends}_axis"], [out],
                                          name=f"{node.name or out}_wb_slice"))
        done.append((node.name, width, width + pad))
    if done:
        del model.graph.node[:]
        model.graph.node.extend(new_nodes)
        del model.graph.value_info[:]  # recorded widths of the padded tensors are stale; shapes are re-inferred
    return done
