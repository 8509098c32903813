"""The engine never imports Qt; heavy libraries load lazily so `workbench --help` stays fast."""

import subprocess
import sys
import textwrap
from pathlib import Path


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


def oversized_without_reason(root, limit: int = 300) -> list:
    """The modules under ``root`` longer than ``limit`` lines whose docstring has no "Size:" line saying why."""
    import ast

    found = []
    for path in sorted(root.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        if len(text.splitlines()) > limit and "Size:" not in (ast.get_docstring(ast.parse(text)) or ""):
            found.append(f"{path.relative_to(root)} ({len(text.splitlines())} lines)")
    return found


def test_every_module_over_300_lines_says_why_in_its_docstring(tmp_path):
    import workbench

    assert oversized_without_reason(Path(workbench.__file__).parent) == []
    (tmp_path / "long.py").write_text('"""split later"""\n' + "x = 1\n" * 300, encoding="utf-8")
    (tmp_path / "said.py").write_text('"""Size: one table."""\n' + "x = 1\n" * 300, encoding="utf-8")
    (tmp_path / "short.py").write_text('"""short"""\n' + "x = 1\n" * 299, encoding="utf-8")
    assert oversized_without_reason(tmp_path) == ["long.py (301 lines)"]


# Layers (gui above cli above api above core, core free of api/cli/gui/Qt, core without import cycles) are
# import-linter contracts in pyproject.toml; these tests run `lint-imports` on them, so CI does.
ROOT = __import__("pathlib").Path(__file__).resolve().parents[1]


def _lint_imports(*args: str, cwd=ROOT, env=None) -> subprocess.CompletedProcess:
    import os
    import shutil
    from pathlib import Path

    exe = Path(sys.executable).with_name("lint-imports")
    exe = str(exe) if exe.exists() else shutil.which("lint-imports")
    assert exe, "lint-imports is missing: pip install -c constraints.txt -e '.[test]'"
    return subprocess.run([exe, "--no-cache", "--no-logo", *args], capture_output=True, text=True, timeout=300,
                          cwd=cwd, env={**os.environ, **(env or {})})


def test_import_contracts_are_kept():
    proc = _lint_imports(str(ROOT / "pyproject.toml"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert " 0 broken" in proc.stdout
    # every contract in pyproject.toml was checked (a contract that failed to load would not be listed)
    import tomllib

    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["importlinter"]["contracts"]
    assert len(contracts) >= 3
    for contract in contracts:
        assert f"{contract['name']} KEPT" in proc.stdout, proc.stdout


def test_a_broken_layer_contract_is_caught(tmp_path):
    # the real layers upside down: core above gui. The GUI imports the engine, so this must be reported broken.
    config = tmp_path / "inverted.toml"
    config.write_text('[tool.importlinter]\nroot_package = "workbench"\n\n[[tool.importlinter.contracts]]\n'
                      'name = "core above gui"\ntype = "layers"\nlayers = ["workbench.core", "workbench.gui"]\n',
                      encoding="utf-8")
    proc = _lint_imports(str(config))
    assert proc.returncode != 0
    assert "core above gui BROKEN" in proc.stdout
    assert "workbench.gui is not allowed to import workbench.core" in proc.stdout


def test_an_import_cycle_is_caught(tmp_path):
    # the engine's acyclic contract, applied to a tiny package whose two modules import each other (inside
    # functions, as the engine's lazy imports do): lint-imports must report the cycle
    import tomllib

    pkg = tmp_path / "cyclic" / "core"
    pkg.mkdir(parents=True)
    (tmp_path / "cyclic" / "__init__.py").write_text("", encoding="utf-8")
    (pkg / "__init__.py").write_text("", encoding="utf-8")
    (pkg / "a.py").write_text("def f():\n    from cyclic.core import b\n    return b\n", encoding="utf-8")
    (pkg / "b.py").write_text("def g():\n    from cyclic.core import a\n    return a\n", encoding="utf-8")
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["importlinter"]["contracts"]
    acyclic = next(c for c in contracts if c["type"] == "acyclic_siblings")
    assert acyclic["ancestors"] == ["workbench.core"]
    config = tmp_path / "cycle.toml"
    config.write_text('[tool.importlinter]\nroot_package = "cyclic"\n\n[[tool.importlinter.contracts]]\n'
                      f'name = "{acyclic["name"]}"\ntype = "acyclic_siblings"\nancestors = ["cyclic.core"]\n',
                      encoding="utf-8")
    proc = _lint_imports(str(config), cwd=tmp_path, env={"PYTHONPATH": str(tmp_path)})
    assert proc.returncode != 0, proc.stdout + proc.stderr
    assert f"{acyclic['name']} BROKEN" in proc.stdout
    assert ".a -> .b" in proc.stdout or ".b -> .a" in proc.stdout
