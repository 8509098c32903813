"""A quantizer's exception (ONNX Runtime's quantizers raise pages of text) as one line with what to try; shared by
the quantize runner and the sensitivity search."""

from __future__ import annotations

from workbench.core.errors import WorkbenchError, first_line


def quantizer_error(mode: str, err: BaseException) -> WorkbenchError:
    if isinstance(err, WorkbenchError):
        return err
    text = first_line(err)
    if "bins" in text or "inhomogeneous" in text:
        hint = ("the calibration saw infinite or uneven values: keep op_types to MatMul, use --method minmax, "
                "or give every sample the same shape")
    elif "GPTQ" in text or "calib" in text.lower():
        hint = "check the calibration data, or use --algorithm rtn"
    else:
        hint = "exclude the node it names (--exclude), narrow --op-types, or try another --mode"
    return WorkbenchError(f"{mode} quantization failed: {text}", hint)
