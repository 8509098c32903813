"""The GUI's side of --trust-code: a TorchScript file, a torch.export archive or a ``model.py:Class`` is a program,
and a job that would run one starts only after the user said yes in a dialog that names the file.

:func:`confirm_programs` is called by ``PanelBase.start_job`` for every job (one rule for every panel); the
benchmark panel, whose PyTorch runs are not jobs, calls :func:`allow` itself. Consent is remembered per path for
the session (``AppState.trusted_programs``).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Optional

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QMessageBox, QWidget

SOURCE_FIELDS = ("source", "against", "compare_torch")


def program_kind(path: str) -> Optional[str]:
    from workbench.core.loading import program_kind as kind

    try:
        return kind(path)
    except OSError:
        return None


def ask_to_run(parent: Optional[QWidget], path: str, kind: str) -> bool:
    """"This file is a program ... run it?" True only when the user chooses to run it (the default is No)."""
    tr = QCoreApplication.translate
    name = Path(str(path).rpartition(":")[0] if kind == "Python code" else str(path)).name
    title = tr("Trust", "Run the code in {0}?").format(name)
    text = tr("Trust", "{0} is a program ({1}), not just weights. Exporting, validating or benchmarking it runs the "
                       "code it contains, with your permissions: it could read, change or delete your files.\n\n"
                       "{2}\n\nRun it? Only do this for files you trust (the command line needs --trust-code)."
              ).format(name, kind, path)
    answer = QMessageBox.question(parent, title, text, QMessageBox.Yes | QMessageBox.No, QMessageBox.No)
    return answer == QMessageBox.Yes


def allow(parent: Optional[QWidget], state, path: str) -> Optional[bool]:
    """True: a program the user allows to run; False: not a program (nothing to allow); None: the user said no."""
    kind = program_kind(path)
    if kind is None:
        return False
    trusted = getattr(state, "trusted_programs", None)
    if trusted is not None and str(path) in trusted:
        return True
    if not ask_to_run(parent, str(path), kind):
        return None
    if trusted is not None:
        trusted.add(str(path))
    return True


def confirm_programs(parent: Optional[QWidget], state, args: tuple) -> Optional[tuple]:
    """``args`` with every program source of the job's spec given ``trust_code=True`` once the user allowed it;
    None when the user declined (the job must not start)."""
    from workbench.core.specs import ModelSource

    spec = args[0] if args else None
    if not dataclasses.is_dataclass(spec):
        return args
    changes = {}
    for name in SOURCE_FIELDS:
        source = getattr(spec, name, None)
        if not isinstance(source, ModelSource) or source.trust_code:
            continue
        allowed = allow(parent, state, source.path)
        if allowed is None:
            return None
        if allowed:
            changes[name] = dataclasses.replace(source, trust_code=True)
    return (dataclasses.replace(spec, **changes), *args[1:]) if changes else args
