"""Judging generated tokens against PyTorch's: the agreement rate, the first diverging step, and the verdict (greedy
tokens must be identical; sampled ones are reported, not judged). Shared by decoder-only and seq2seq generation."""

from __future__ import annotations


def agreement(tokens: list, reference: list) -> dict:
    """{'rate': equal positions / positions, 'first_divergence': first differing position or None}."""
    n = max(len(tokens), len(reference))
    same = sum(1 for a, b in zip(tokens, reference) if a == b)
    first = next((i for i, (a, b) in enumerate(zip(tokens, reference)) if a != b), None)
    if first is None and len(tokens) != len(reference):
        first = min(len(tokens), len(reference))
    return {"rate": same / n if n else 1.0, "first_divergence": first}


def judge(tokens: list, reference: list, greedy: bool, runtime: str = "onnxruntime", codec=None) -> dict:
    """:func:`agreement` of ``tokens`` with PyTorch's ``reference``, judged: greedy decoding is deterministic, so
    any difference fails ('passed' False, 'reason' naming the first diverging step and both tokens, exit 1 in the
    CLI); sampled tokens are not judged by identity (two runtimes' probabilities differ in the last bits, and a
    draw near a boundary may go either way), so they always pass, with the rate reported."""
    agree = {**agreement(tokens, reference), "torch_tokens": reference, "expect_identical": bool(greedy)}
    first = agree["first_divergence"]
    agree["passed"], agree["reason"] = True, None
    if greedy and first is not None:
        ours = tokens[first] if first < len(tokens) else None
        theirs = reference[first] if first < len(reference) else None
        agree["diverging"] = {"step": first, "model": ours, "torch": theirs}

        def show(token):
            if token is None:
                return "nothing (it had stopped at end-of-sequence)"
            return f"token {token}" + (f" {codec.decode([token])!r}" if codec is not None else "")

        name = "ONNX Runtime" if runtime == "onnxruntime" else runtime
        agree["passed"] = False
        agree["reason"] = (f"greedy tokens differ from PyTorch at step {first} (0 is the prefill's token): {name} "
                           f"gave {show(ours)}, PyTorch {show(theirs)}; {agree['rate'] * 100:.1f}% identical")
    return agree
