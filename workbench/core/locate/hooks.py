"""PyTorch's side of locate: forward hooks on every submodule, recording each call's input and output.

It calls the module itself rather than the torch runtime's session: the hooks must sit on the live module's
submodules, which a session's run (named numpy inputs, the final outputs) does not expose."""

from __future__ import annotations

from contextlib import contextmanager


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
