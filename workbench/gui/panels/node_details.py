"""The Graph panel's details pane as HTML: a node's op, module, attributes, inputs and outputs with shapes, its file
metadata, and what the current validation says of it (the difference of its outputs against PyTorch, and
``--locate``'s first divergence when it is this node). Texts are translated in the GraphPanel context.
"""

from __future__ import annotations

import html

from PySide6.QtCore import QCoreApplication


def _shape_text(shape) -> str:
    if shape is None:
        return "?"
    return "[" + ", ".join("?" if d is None else str(d) for d in shape) + "]"


def _fmt(value) -> str:
    text = str(value)
    return text if len(text) <= 120 else text[:117] + "…"


def validation_for(details: dict, validation) -> list:
    """``validation``'s OutputDiffs of this node's outputs (matched by tensor name)."""
    if validation is None or not details:
        return []
    names = {o["name"] for o in details.get("outputs", [])}
    return [d for d in getattr(validation, "outputs", []) if getattr(d, "name", None) in names]


def divergence_html(d: dict, validation) -> str:
    """The first divergence from PyTorch (validate --locate) when it is this node, else ''."""
    div = getattr(validation, "divergence", None)
    if not div or div.get("node") != d.get("name"):
        return ""
    e = html.escape
    divergence_title = QCoreApplication.translate("GraphPanel", "First divergence from PyTorch")
    rows = "".join(f"<tr><td>{e(i['name'])}</td><td>{e(i.get('module') or '')}</td>"
                   f"<td>{i['max_rel_diff']:.3g}</td><td>{i['cosine']:.8f}</td></tr>" for i in div["inputs"])
    return (f"<h4 style='color:#b00'>{divergence_title}</h4>"
            f"<div>module <tt>{e(div.get('module') or '')}</tt>: max rel diff {div['max_rel_diff']:.3g}, max "
            f"abs diff {div['max_abs_diff']:.3g}, cosine {div['cosine']:.8f}</div>"
            f"<table cellspacing='4'><tr><th>its inputs</th><th>module</th><th>max rel</th><th>cosine</th></tr>"
            f"{rows}</table><div style='color:#555'>nodes since those inputs: "
            f"{e(', '.join(n['node'] for n in div.get('region', [])))}</div>")


def details_html(d: dict, validation) -> str:
    """The details pane's HTML of node ``d`` (an index's details), with ``validation``'s differences of its outputs."""
    e = html.escape
    attributes_title = QCoreApplication.translate("GraphPanel", "Attributes")
    metadata_title = QCoreApplication.translate("GraphPanel", "Metadata")
    difference_title = QCoreApplication.translate("GraphPanel", "Difference against PyTorch")
    parts = [f"<h3 style='margin:0'>{e(d.get('op_type', ''))}</h3>",
             f"<div style='color:#555'>{e(d.get('name', ''))}"
             f"{' · ' + e(d['domain']) if d.get('domain') not in (None, '', 'ai.onnx') else ''}</div>"]
    if d.get("module"):  # one line, the class first: the path's end is what scrolls out of a narrow pane
        cls = f"{e(d['module_class'])}: " if d.get("module_class") else ""
        parts.append(f"<div style='white-space:nowrap'>module {cls}<tt>{e(d['module'])}</tt></div>")
    attrs = d.get("attributes") or {}
    if attrs:
        rows = "".join(f"<tr><td><b>{e(k)}</b></td><td>{e(_fmt(v))}</td></tr>" for k, v in attrs.items())
        parts.append(f"<h4>{attributes_title}</h4><table cellspacing='2'>{rows}</table>")
    inputs_title = QCoreApplication.translate("GraphPanel", "Inputs")
    outputs_title = QCoreApplication.translate("GraphPanel", "Outputs")
    for title, key in ((inputs_title, "inputs"), (outputs_title, "outputs")):
        rows = "".join(f"<tr><td>{e(t['name'])}</td><td style='color:#555'>{e(t.get('dtype') or '')}</td>"
                       f"<td><tt>{e(_shape_text(t.get('shape')))}</tt></td></tr>" for t in d.get(key, []))
        parts.append(f"<h4>{title}</h4><table cellspacing='2'>{rows or '<tr><td>none</td></tr>'}</table>")
    metadata = d.get("metadata") or {}  # the file's own metadata; the exporter's bookkeeping is left out
    if metadata:
        rows = "".join(f"<tr><td><b>{e(k)}</b></td><td>{e(_fmt(v))}</td></tr>" for k, v in metadata.items())
        parts.append(f"<h4>{metadata_title}</h4><table cellspacing='2'>{rows}</table>")
    parts.append(divergence_html(d, validation))
    diffs = validation_for(d, validation)
    if diffs:
        rows = "".join(
            f"<tr><td>{e(x.name)}</td><td>{x.max_abs_diff:.3g}</td><td>{x.max_rel_diff:.3g}</td>"
            f"<td>{x.cosine:.8f}</td><td style='color:{'#080' if x.passed else '#b00'}'>"
            f"{'pass' if x.passed else 'FAIL'}</td></tr>" for x in diffs)
        parts.append(f"<h4>{difference_title}</h4><table cellspacing='4'><tr><th>output</th>"
                     f"<th>max abs</th><th>max rel</th><th>cosine</th><th></th></tr>{rows}</table>")
    elif validation is not None:
        parts.append("<p style='color:#666'>The validation compared only the model's outputs; none of them "
                     "comes from this node.</p>")
    return "".join(parts)
