"""Two fusions of the CUDA preset that neither ONNX Runtime's transformer optimizer nor onnxscript's ORT rules
make on the graphs the dynamo exporter writes for GPT-2-style blocks (written by hand for that reason; both
work on a ModelProto after onnxscript's fusion and before fp16):

- :func:`pack_qkv_attention`: one packed projection ``MatMul(x, W[D, 3D]) -> Add(b) -> Split(3)`` feeding a
  ``MultiHeadAttention`` becomes ONNX Runtime's ``Attention(x, W, b, attention_bias=...)``, the op BERT's
  three projections already get from onnxscript (its rule matches three MatMuls, not one split in three). On
  CUDA that removes the bias Add and the Split kernels of every layer: Attention adds the bias while it lays out
  Q, K and V for the attention kernel (measured on an H200: 24 of GPT-2-small's 164 kernels, 0.06 ms a run);
- :func:`fold_gemm_biases`: a ``Gemm(A, W, b)`` whose only consumer (through a Reshape) is a
  ``SkipLayerNormalization`` without a bias becomes ``MatMul(A, W)``, and ``b`` that SkipLayerNormalization's
  bias input: ONNX Runtime's Gemm first broadcasts the bias into the output (a kernel of its own, 12 a run on
  GPT-2), SkipLayerNormalization adds it while it normalizes.
"""

from __future__ import annotations


def _attr(node, name, default=None):
    from onnx import helper

    for a in node.attribute:
        if a.name == name:
            return helper.get_attribute_value(a)
    return default


def _consumers(model) -> dict:
    users: dict = {}
    for node in model.graph.node:
        for name in node.input:
            if name:
                users.setdefault(name, []).append(node)
    for out in model.graph.output:
        users.setdefault(out.name, []).append(None)  # a graph output counts as a consumer nothing may remove
    return users


def _only_user(users: dict, name: str, node) -> bool:
    return users.get(name, []) == [node]


def _input(node, i: int) -> str:
    return node.input[i] if len(node.input) > i else ""


def _equal_thirds(split, weights) -> bool:
    """Whether a Split cuts its input in three equal parts along the last axis of a rank-3 tensor."""
    from onnx import numpy_helper

    if len(split.output) != 3 or _attr(split, "axis", 0) not in (2, -1):
        return False
    sizes = _input(split, 1)
    if sizes:  # opset >= 13: the sizes are an input
        return sizes in weights and len(set(numpy_helper.to_array(weights[sizes]).tolist())) == 1
    listed = _attr(split, "split")  # opset < 13: an attribute
    if listed:
        return len(set(listed)) == 1
    return _attr(split, "num_outputs", 3) == 3


def pack_qkv_attention(model) -> int:
    """Rewrite MatMul -> Add -> Split(3) -> MultiHeadAttention into com.microsoft Attention; returns how many.

    Only where nothing else reads the intermediate values and the MultiHeadAttention has no bias, key padding
    mask or past of its own (its attention_bias, causal and padding mask in one, is passed on unchanged).
    """
    from onnx import helper, numpy_helper

    weights = {t.name: t for t in model.graph.initializer}
    producers = {out: node for node in model.graph.node for out in node.output}
    users = _consumers(model)
    drop, replace, packed = set(), {}, 0
    for mha in model.graph.node:
        if mha.op_type != "MultiHeadAttention" or mha.domain != "com.microsoft":
            continue
        q, k, v = (_input(mha, i) for i in range(3))
        split = producers.get(q)
        if split is None or split.op_type != "Split" or list(split.output) != [q, k, v]:
            continue
        if any(_input(mha, i) for i in (3, 4, 6, 7)) or any(o for o in list(mha.output)[1:]):
            continue
        if not _equal_thirds(split, weights) or not all(_only_user(users, o, mha) for o in (q, k, v)):
            continue
        add = producers.get(_input(split, 0))
        if add is None or add.op_type != "Add" or not _only_user(users, add.output[0], split):
            continue
        bias_name = next((i for i in add.input if i in weights), None)
        matmul = producers.get(next((i for i in add.input if i != bias_name), ""))
        if bias_name is None or matmul is None or matmul.op_type != "MatMul" or matmul.domain not in ("", "ai.onnx"):
            continue
        w_name = _input(matmul, 1)
        if w_name not in weights or not _only_user(users, matmul.output[0], add):
            continue
        w, b = weights[w_name], weights[bias_name]
        heads = _attr(mha, "num_heads")
        if len(w.dims) != 2 or w.dims[1] % 3 or list(b.dims) != [w.dims[1]] or not heads \
                or (w.dims[1] // 3) % heads:
            continue
        bias = bias_name
        if len(users.get(bias_name, [])) > 1:  # a bias shared with another node: Attention gets its own copy
            bias = f"{bias_name}_wb_qkv_{packed}"
            model.graph.initializer.append(numpy_helper.from_array(numpy_helper.to_array(b), bias))
        attrs = {"num_heads": heads}
        for name in ("scale", "mask_filter_value", "unidirectional"):
            value = _attr(mha, name)
            if value is not None:
                attrs[name] = value
        node = helper.make_node("Attention", [_input(matmul, 0), w_name, bias, "", "", _input(mha, 5)],
                                [mha.output[0]], name=f"{mha.name or mha.output[0]}_wb_packed", domain="com.microsoft",
                                **attrs)
        while node.input and not node.input[-1]:
            node.input.pop()
        replace[id(mha)] = node
        drop.update({id(matmul), id(add), id(split)})
        packed += 1
    if packed:
        nodes = [replace.get(id(n), n) for n in model.graph.node if id(n) not in drop]
        del model.graph.node[:]
        model.graph.node.extend(nodes)
    return packed


def fold_gemm_biases(model) -> int:
    """Move the bias of each Gemm that (directly or through one Reshape) feeds a bias-less
    SkipLayerNormalization into that node's bias input, the Gemm becoming a MatMul; returns how many."""
    import numpy as np
    from onnx import helper, numpy_helper

    weights = {t.name: t for t in model.graph.initializer}
    users = _consumers(model)
    replace, folded = {}, 0
    for gemm in model.graph.node:
        if gemm.op_type != "Gemm" or gemm.domain not in ("", "ai.onnx") or len(gemm.input) != 3:
            continue
        if _attr(gemm, "transA", 0) or _attr(gemm, "alpha", 1.0) != 1.0 or _attr(gemm, "beta", 1.0) != 1.0:
            continue
        w_name, b_name = gemm.input[1], gemm.input[2]
        if w_name not in weights or b_name not in weights or len(weights[w_name].dims) != 2:
            continue
        width = weights[w_name].dims[0 if _attr(gemm, "transB", 0) else 1]
        if list(weights[b_name].dims) != [width]:
            continue
        after = users.get(gemm.output[0], [])
        if len(after) != 1 or after[0] is None:
            continue
        skip = after[0]
        if skip.op_type == "Reshape":  # (B*S, N) back to (B, S, N): the last axis stays N
            later = users.get(skip.output[0], [])
            if len(later) != 1 or later[0] is None:
                continue
            skip = later[0]
        if skip.op_type != "SkipLayerNormalization" or skip.domain != "com.microsoft" or _input(skip, 4):
            continue
        if after[0] is not skip and after[0].input[0] != gemm.output[0]:
            continue  # the Gemm's output is the Reshape's shape, not its data
        w_use = w_name
        if _attr(gemm, "transB", 0):  # MatMul has no transB: the weight, transposed once, under a new name
            w_use = f"{w_name}_wb_t_{folded}"
            model.graph.initializer.append(
                numpy_helper.from_array(np.ascontiguousarray(numpy_helper.to_array(weights[w_name]).T), w_use))
        replace[id(gemm)] = helper.make_node("MatMul", [gemm.input[0], w_use], [gemm.output[0]],
                                             name=f"{gemm.name or gemm.output[0]}_wb_matmul")
        while len(skip.input) < 4:
            skip.input.append("")  # beta absent: keep the positions
        skip.input.append(b_name)
        folded += 1
    if folded:
        nodes = [replace.get(id(n), n) for n in model.graph.node]
        del model.graph.node[:]
        model.graph.node.extend(nodes)
    return folded
