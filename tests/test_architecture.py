"""The engine never imports Qt; heavy libraries load lazily so `workbench --help` stays fast."""

import subprocess
import sys
import textwrap


def _run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=300)


def test_api_and_cli_import_with_pyside6_blocked():
    proc = _run("""
        import sys
        sys.modules["PySide6"] = None  # any import of PySide6 now raises ImportError
        import workbench.api, workbench.cli
        from workbench.core import registry, recipe, pipeline, report, optimize, validate
        registry.default_registry()
        assert not any(m.startswith("PySide6.") for m in sys.modules)
        print("ok")
    """)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().endswith("ok")


def test_cli_help_does_not_import_torch_or_onnxruntime():
    proc = _run("""
        import sys, contextlib, io
        from workbench.cli import build_parser
        with contextlib.redirect_stdout(io.StringIO()):
            try:
                build_parser().parse_args(["--help"])
            except SystemExit:
                pass
        heavy = [m for m in ("torch", "onnxruntime", "transformers", "PySide6") if m in sys.modules]
        print(heavy)
    """)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def test_no_engine_module_mentions_qt():
    from pathlib import Path

    import workbench

    root = Path(workbench.__file__).parent
    engine = [root / "api.py", root / "cli.py", *sorted((root / "core").rglob("*.py"))]
    offenders = [str(p) for p in engine if "PySide6" in p.read_text(encoding="utf-8")
                 or "PyQt" in p.read_text(encoding="utf-8")]
    assert offenders == []
