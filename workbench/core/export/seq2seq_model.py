"""The export side of the encoder-decoder model (seq2seq.py): the two wrapped modules (encoder + cross-attention
cache, decoder step over a past) with flat, named tensor parameters for the exporters, their input and output
names, dynamic axes and example decoder inputs, all following the cache layout loading/seq2seq.py reads from the
model.
"""

from __future__ import annotations

from workbench.core.loading.seq2seq import Seq2SeqInfo, cache_kwarg, cache_of, cache_tensors, encoder_output

def encoder_names(info: Seq2SeqInfo) -> tuple:
    ins = [info.main_input] + (["attention_mask"] if info.encoder_mask and info.main_input == "input_ids" else [])
    outs = ["last_hidden_state"] + [f"present.{i}.encoder.{k}" for i in range(info.layers) for k in ("key", "value")]
    return ins, outs


def decoder_names(info: Seq2SeqInfo) -> tuple:
    ins = ["decoder_input_ids", "encoder_hidden_states"] + (["encoder_attention_mask"] if info.encoder_mask else [])
    ins += [f"past_key_values.{i}.{part}.{k}" for i in range(info.layers) for part in ("decoder", "encoder")
            for k in ("key", "value")]
    outs = ["logits"] + [f"present.{i}.decoder.{k}" for i in range(info.layers) for k in ("key", "value")]
    return ins, outs


def _arg(name: str) -> str:
    return name.replace(".", "_")


def _generated(params: list, body: str):
    namespace: dict = {}
    exec(f"def forward(self, {', '.join(params)}):\n    {body}\n", namespace)  # noqa: S102 - generated names only
    return namespace["forward"]


def encoder_module(model, info: Seq2SeqInfo):
    """(last_hidden_state, *cross keys/values): the encoder, then one decoder step on the start token that fills
    the cross-attention cache (its logits are dropped)."""
    import torch
    from transformers import DynamicCache, EncoderDecoderCache

    names = encoder_names(info)[0]
    kwarg = cache_kwarg(model)

    class EncoderWithCrossCache(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.model = model

        def step(self, inputs: dict):
            hidden = self.model.get_encoder()(**inputs, return_dict=True).last_hidden_state
            start = torch.full((hidden.shape[0], 1), info.start_token, dtype=torch.int64, device=hidden.device)
            mask = {"attention_mask": inputs["attention_mask"]} if "attention_mask" in inputs else {}
            cache = EncoderDecoderCache(DynamicCache(), DynamicCache())
            out = self.model(encoder_outputs=encoder_output(hidden), decoder_input_ids=start, use_cache=True,
                             return_dict=True, **{kwarg: cache}, **mask)
            cross = cache_of(out).cross_attention_cache
            return (hidden, *cache_tensors(cross))

    EncoderWithCrossCache.forward = _generated(names, f"return self.step(dict({', '.join(f'{n}={n}' for n in names)}))")
    return EncoderWithCrossCache().eval()


def decoder_module(model, info: Seq2SeqInfo):
    """(logits, *self-attention presents) for one decoding step over the given past."""
    import torch
    from transformers import DynamicCache, EncoderDecoderCache

    names = [_arg(n) for n in decoder_names(info)[0]]
    fixed = 3 if info.encoder_mask else 2
    kwarg = cache_kwarg(model)

    class DecoderWithPast(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.model = model

        def step(self, ids, hidden, mask, flat: list):
            own = DynamicCache(ddp_cache_data=[(flat[4 * i], flat[4 * i + 1]) for i in range(info.layers)])
            cross = DynamicCache(ddp_cache_data=[(flat[4 * i + 2], flat[4 * i + 3]) for i in range(info.layers)])
            cache = EncoderDecoderCache(own, cross)
            out = self.model(encoder_outputs=encoder_output(hidden), decoder_input_ids=ids, use_cache=True,
                             return_dict=True,
                             **{kwarg: cache}, **({"attention_mask": mask} if mask is not None else {}))
            own = cache_of(out).self_attention_cache
            return (out.logits, *cache_tensors(own))

    mask = names[2] if info.encoder_mask else "None"
    DecoderWithPast.forward = _generated(names, f"return self.step({names[0]}, {names[1]}, {mask}, "
                                                f"[{', '.join(names[fixed:])}])")
    return DecoderWithPast().eval()


def encoder_axes(info: Seq2SeqInfo) -> dict:
    seq = {1: "encoder_sequence"} if info.source_dynamic and info.main_input == "input_ids" else {}
    frames = {2: "encoder_frames"} if info.source_dynamic and info.main_input != "input_ids" else {}
    axes = {info.main_input: {0: "batch", **seq, **frames}}
    if "attention_mask" in encoder_names(info)[0]:
        axes["attention_mask"] = {0: "batch", **seq}
    return axes


def decoder_axes(info: Seq2SeqInfo) -> dict:
    """{wrapper parameter: {axis: name}}; the encoder length is dynamic only where the encoder's input is."""
    enc = {1: "encoder_sequence"} if info.source_dynamic else {}
    axes = {"decoder_input_ids": {0: "batch", 1: "decoder_sequence"}, "encoder_hidden_states": {0: "batch", **enc}}
    if info.encoder_mask:
        axes["encoder_attention_mask"] = {0: "batch", **enc}
    for i in range(info.layers):
        for k in ("key", "value"):
            axes[_arg(f"past_key_values.{i}.decoder.{k}")] = {0: "batch", 2: "past_decoder_sequence"}
            axes[_arg(f"past_key_values.{i}.encoder.{k}")] = {0: "batch", **({2: "encoder_sequence"} if enc else {})}
    return axes


def decoder_inputs(info: Seq2SeqInfo, hidden, mask, cross: list, steps: int, past: int, seed: int = 0,
                   dtype=None) -> dict:
    """Decoder inputs keyed by the wrapper's parameters: random ids and a random self-attention past."""
    import torch

    gen = torch.Generator().manual_seed(seed)
    batch = hidden.shape[0]
    out = {"decoder_input_ids": torch.randint(0, info.vocab, (batch, steps), generator=gen),
           "encoder_hidden_states": hidden}
    if info.encoder_mask:
        out["encoder_attention_mask"] = mask
    for i, (kh, kd, vh, vd) in enumerate(info.self_layout):
        for kind, heads, dim in (("key", kh, kd), ("value", vh, vd)):
            out[_arg(f"past_key_values.{i}.decoder.{kind}")] = torch.randn(batch, heads, past, dim,
                                                                            generator=gen).to(hidden.dtype)
        out[_arg(f"past_key_values.{i}.encoder.key")] = cross[2 * i]
        out[_arg(f"past_key_values.{i}.encoder.value")] = cross[2 * i + 1]
    return out
