"""Weight compression of an OpenVINO model with NNCF (``--target openvino --quant int8|int4``).

Data-free (no ``--calibration``): ``nncf.compress_weights`` stores the MatMul/Gather weights as int8 (asymmetric,
per output channel) or int4 (asymmetric, in groups of ``GROUP_SIZE``, ``RATIO`` of the layers: the rest, the ones
whose int4 error NNCF measures largest, stay int8, as do the embeddings and the last layer; layers whose width the
group does not divide are adjusted to a smaller group).

The int4 settings are measured, not NNCF's defaults: real all-MiniLM-L6-v2, cosine vs the fp32 IR over the whole
output (sequence 128, random tokens / 8 real sentences), data-free (/tmp runs of 2026-12-02, see
benchmarks/results/openvino_ir.md for the validated numbers):

    INT4_SYM  group 128 ratio 1.0 (the earlier default)   0.929 / 0.949   16.9 MB
    INT4_ASYM group  64 ratio 0.8                          0.963 / 0.979   18.2 MB
    INT4_ASYM group  32 ratio 0.8 (this default)           0.974 / 0.983   18.5 MB
    INT4_ASYM group  64 ratio 0.6                          0.975 / 0.988   19.1 MB
    (int8 weights for comparison: 0.999, 22.3 MB; the int8 embeddings are 63% of MiniLM's parameters)

so int4's 0.95 floor holds with a margin on the model where the old setting missed it. With data, AWQ + scale
estimation gave 0.966 / 0.984 and GPTQ 0.976 / 0.996 at 4x the time (not offered).

Data-aware (``--calibration``, the same folder of .npz samples or .txt of lines that ``quantize --mode
int8-static`` reads, read by the same reader against the ONNX export's inputs): int8 becomes NNCF's post-training
quantization (``nncf.quantize``: weights and activations in int8, OpenVINO's counterpart of ORT static
quantization); int4 compresses weights with the data's statistics (AWQ where the pattern is there, scale estimation).
"""

from __future__ import annotations

from workbench.core.errors import WorkbenchError, first_line

QUANTS = ("int8", "int4")
GROUP_SIZE = 32  # int4: see the measurements above
RATIO = 0.8  # int4: the share of the ratio-defining layers in int4, the others int8


def check_quant(quant) -> None:
    if quant not in (None, "none") and quant not in QUANTS:
        raise WorkbenchError(f"--quant {quant} is not offered for OpenVINO IR",
                             f"use one of: {', '.join(QUANTS)} (NNCF weight compression), or leave it out")


def _dataset(calibration: str, onnx_path: str, ov_inputs: list):
    """The calibration samples as an nncf.Dataset of {OpenVINO input name: array} (ONNX names map 1:1)."""
    import nncf

    from workbench.core.quantize.calibration import make_reader

    reader = make_reader(calibration, onnx_path)
    names = {name for port in ov_inputs for name in port.get_names()}
    samples = [{k: v for k, v in feed.items() if k in names} for feed in reader.samples]
    return nncf.Dataset(samples), f"{reader.description}", len(samples)


def compress(model, quant: str, calibration=None, onnx_path=None) -> tuple:
    """(compressed model, notes). ``onnx_path``: the ONNX the model came from (needed for calibration)."""
    import nncf
    from nncf.quantization.advanced_parameters import AdvancedCompressionParameters

    if calibration and not onnx_path:
        raise WorkbenchError("data-aware compression reads the calibration samples against the ONNX export's inputs",
                             "leave out --exporter openvino (convert through ONNX), or leave out --calibration")
    dataset, described, count = _dataset(calibration, onnx_path, model.inputs) if calibration else (None, "", 0)
    try:
        if quant == "int8" and dataset is not None:
            out = nncf.quantize(model, dataset, subset_size=count)
            note = f"int8 weights and activations (nncf.quantize, calibrated on {described})"
        elif quant == "int8":
            out = nncf.compress_weights(model, mode=nncf.CompressWeightsMode.INT8_ASYM)
            note = "int8 weights (nncf.compress_weights INT8_ASYM, per channel, data-free)"
        else:
            advanced = AdvancedCompressionParameters(group_size_fallback_mode=nncf.GroupSizeFallbackMode.ADJUST,
                                                     min_adjusted_group_size=16)
            extra = dict(dataset=dataset, subset_size=count, awq=True, scale_estimation=True) if count else {}
            out = nncf.compress_weights(model, mode=nncf.CompressWeightsMode.INT4_ASYM, group_size=GROUP_SIZE,
                                        ratio=RATIO, advanced_parameters=advanced, **extra)
            how = (f"layers chosen by their activations, AWQ + scale estimation on {described}" if dataset is not None
                   else "data-free, layers chosen by their weights' int4 error")
            note = (f"int4 weights (nncf.compress_weights INT4_ASYM, group {GROUP_SIZE}, {RATIO:.0%} of the layers, "
                    f"the others int8; {how})")
    except WorkbenchError:
        raise
    except Exception as err:  # noqa: BLE001 - NNCF raises its own and backend types
        raise WorkbenchError(f"NNCF could not compress the model to {quant}: {first_line(err)}",
                             "leave out --quant (fp32/fp16 IR), or check the calibration samples") from err
    return out, [note + f"; NNCF {nncf.__version__}"]
