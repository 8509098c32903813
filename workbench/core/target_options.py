"""What a target lets the user choose, as data: the GUI's Export panel builds its controls from these, the GUI's
command line uses ``flag``, and the recipe's ``[export]`` key is ``field`` (an :class:`ExportSpec` field), so a
target added later (a plugin included) gets its controls with no GUI change. Qt-free.

A :class:`Choice` may need a runtime (``needs``: a registered runtime's name, e.g. llama.cpp's quantizer for
K-quants): where that runtime is not available the choice is shown disabled with the runtime's install hint.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Choice:
    value: str
    summary: str = ""  # plain words: what it costs and what it gives (size vs quality)
    needs: str = ""  # a registered runtime this choice needs (its availability gates it)


@dataclass(frozen=True)
class TargetOption:
    field: str  # the ExportSpec field and [export] recipe key ("quant", "dtype")
    label: str
    choices: tuple  # (Choice, ...)
    default: str  # what the target uses when the field is left unset
    flag: str = ""  # the `workbench export` flag ("--quant"); "" for fields the CLI already writes (dtype)
    help: str = ""  # one line under the control
    # the default follows another field where the target says so: (field, {its value: this option's value})
    follows: tuple = ()
    # "choice": one of ``choices`` (a string); "int": one of ``choices`` (digits), the field holds the int;
    # "path": a file or folder the user names (no choices; "" is unset), e.g. calibration data
    kind: str = "choice"

    def cast(self, value):
        """The field's value for a control's text ("" of a path option: unset)."""
        if self.kind == "path":
            return value or None
        return int(value) if self.kind == "int" else value

    def values(self) -> tuple:
        return tuple(c.value for c in self.choices)

    def choice(self, value) -> Choice | None:
        return next((c for c in self.choices if c.value == str(value)), None)

    def implied(self, spec_fields: dict) -> str:
        """The value the target uses when the field is unset, given the other fields (``follows``)."""
        if self.follows:
            other, mapping = self.follows
            return dict(mapping).get(spec_fields.get(other), self.default)
        return self.default


@dataclass(frozen=True)
class TargetForm:
    """A target's options and the ExportSpec fields it does not use (the GUI disables their controls)."""

    options: tuple = ()  # (TargetOption, ...)
    unused: tuple = field(default_factory=tuple)  # ExportSpec field names, e.g. ("exporter", "opset")


# A converted model's weights (OpenVINO IR, MNN): the exact fp32 file or fp16 halves, computed in the device's
# precision; and the "no compression" choice of their quant options. Shared so every target words them alike.
FLOAT_WEIGHTS = TargetOption("dtype", "Weights", (
    Choice("fp32", "32-bit weights: the exact model, the largest file"),
    Choice("fp16", "16-bit weights: half the file, computed in the device's precision (practically lossless)")),
    "fp32")
NO_COMPRESSION = Choice("none", "no compression: the weights as --dtype says")


def available_runtime(name: str, registry) -> tuple:
    """(available, hint) of the runtime ``name`` in ``registry`` (a workbench.core.registry.Registry: passed in, the
    registry imports this module); a runtime that is not registered is unavailable."""
    runtime = registry.runtimes.get(name)
    if runtime is None:
        return False, f"no runtime '{name}' is registered (workbench runtimes lists them)"
    state = runtime.availability()
    return bool(state.available), state.hint
