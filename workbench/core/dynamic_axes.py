"""Dynamic-axes specs: ``INPUT:AXIS=NAME`` on the command line, ``{input: {axis: name}}`` everywhere else."""

from __future__ import annotations

import re

from workbench.core.errors import WorkbenchError

_SPEC = re.compile(r"^\s*([A-Za-z_][\w.]*)\s*:\s*(-?\d+)\s*=\s*([A-Za-z_][\w]*)\s*$")


def parse_dynamic(specs: list[str] | tuple) -> dict:
    """['input_ids:0=batch', 'input_ids:1=seq'] -> {'input_ids': {0: 'batch', 1: 'seq'}}."""
    axes: dict = {}
    for text in specs:
        match = _SPEC.match(text or "")
        if not match:
            raise WorkbenchError(f"bad dynamic axis '{text}'", "write INPUT:AXIS=NAME, e.g. input_ids:1=sequence")
        name, axis, dim = match.group(1), int(match.group(2)), match.group(3)
        axes.setdefault(name, {})[axis] = dim
    return axes


TEXT_INPUTS = (("input_ids", [-1, -2]), ("attention_mask", [-1, -2]))  # when nothing is known about the model


def default_axes(inputs=None) -> dict:
    """The default dynamic axes: batch (-1) on every input the model is fed, and its sequence (-2): named
    ``sequence`` on text inputs, ``length`` on audio ones (samples); an image's height and width stay fixed.

    ``inputs`` is [InputInfo] (LoadedModel.inputs) or [(name, shape)]; None means a text model whose inputs are
    not known yet. The CLI, the API and the GUI's axes table all take their defaults from here.
    """
    axes = {}
    for item in inputs if inputs is not None else TEXT_INPUTS:
        name, shape = (item.name, item.shape) if hasattr(item, "name") else item
        second = "length" if getattr(item, "role", "text") == "audio" else "sequence"
        dims = {axis: "batch" if size == -1 else second for axis, size in enumerate(shape) if size in (-1, -2)}
        if dims:
            axes[name] = dims
    return axes


def normalize(axes: dict, inputs: dict) -> dict:
    """Check names and axes against the example inputs ({name: tensor}); negative axes count from the end."""
    out: dict = {}
    for name, dims in (axes or {}).items():
        if name not in inputs:
            raise WorkbenchError(f"dynamic axis for unknown input '{name}'",
                                 f"the model's inputs are: {', '.join(inputs)}")
        rank = inputs[name].dim()
        if isinstance(dims, (list, tuple)):  # the torch.onnx style [0, 1] -> generated names
            dims = {int(a): f"{name}_dim{int(a)}" for a in dims}
        norm = {}
        for axis, dim in dims.items():
            axis = int(axis)
            real = axis + rank if axis < 0 else axis
            if not 0 <= real < rank:
                raise WorkbenchError(f"input '{name}' has {rank} axes, axis {axis} does not exist",
                                     f"use an axis from 0 to {rank - 1}")
            if not str(dim).isidentifier():
                raise WorkbenchError(f"dimension name '{dim}' is not an identifier", "use names like batch, seq")
            norm[real] = str(dim)
        out[name] = norm
    return out


def to_dynamic_shapes(axes: dict, input_names: list) -> dict:
    """torch.export dynamic_shapes: one shared Dim per name, so inputs that share a name must agree."""
    import torch

    dims: dict = {}
    shapes = {}
    for name in input_names:
        spec = {}
        for axis, dim_name in axes.get(name, {}).items():
            if dim_name not in dims:
                dims[dim_name] = torch.export.Dim(dim_name)
            spec[axis] = dims[dim_name]
        shapes[name] = spec or None
    return shapes
