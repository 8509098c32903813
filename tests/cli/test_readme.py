"""The README keeps its promises: its links and the repository paths it names exist, every option its CLI
synopsis lists is one the command takes, every example command parses, and (--runslow) the CLI examples block
runs, as written, on the built-in demo model (`model_dir`)."""

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
REPO_DIRS = ("docs", "benchmarks", "tools", "workbench", "tests", "packaging", "resources", "plugins")


def code_lines() -> list[str]:
    """Lines of the README's code blocks (indented by 4 or fenced), continuation lines joined."""
    lines, fenced = [], False
    for raw in README.splitlines():
        if raw.strip().startswith("```"):
            fenced = not fenced
            continue
        if fenced or raw.startswith("    "):
            lines.append(raw.rstrip())
    return lines


def commands() -> list[str]:
    """Each `workbench ...` command of the code blocks, a synopsis's wrapped option lines joined to it."""
    out = []
    for line in code_lines():
        text = line.strip()
        if text.startswith("workbench "):
            out.append(text)
        elif out and text.startswith("[") and line.startswith("        "):  # a synopsis continued
            out[-1] += " " + text
    return out


def test_links_and_named_paths_exist():
    missing = []
    for target in re.findall(r"\]\(([^)\s]+)\)", README):
        path = target.split("#")[0]
        if path and not target.startswith(("http://", "https://", "mailto:")) and not (ROOT / path).exists():
            missing.append(target)
    for path in re.findall(r"`((?:%s)/[^`\s]*)`" % "|".join(REPO_DIRS), README):
        path = path.rstrip(".,;:)")
        if not any(c in path for c in "*<>{}") and not (ROOT / path).exists():
            missing.append(path)
    assert not missing, f"README names paths that do not exist: {missing}"


def test_synopsis_options_exist():
    from workbench.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    unknown = []
    for command in commands():
        name = command.split()[1]
        assert name in sub.choices, f"README shows `workbench {name}`, which the CLI does not have"
        known = set(sub.choices[name]._option_string_actions)
        unknown += [f"{name} {opt}" for opt in re.findall(r"(?<![\w-])(--?[a-z][\w-]*)", command.split(" ", 2)[-1])
                    if opt not in known]
    assert not unknown, f"README lists options the CLI does not take: {sorted(set(unknown))}"


def test_example_commands_parse():
    from workbench.cli import build_parser

    parser = build_parser()
    examples = [c for c in commands() if "[" not in c and "|" not in c]
    assert len(examples) >= 10
    for command in examples:
        argv = shlex.split(command.split("  #")[0])[1:]
        try:
            parser.parse_args(argv)
        except SystemExit as exit_:
            pytest.fail(f"README example does not parse ({exit_.code}): {command}")


def examples_block() -> list[str]:
    """The CLI section's `Examples:` block, in order."""
    block = README.split("Examples:", 1)[1].lstrip("\n")
    lines = []
    for line in block.splitlines():
        if not line.startswith("    "):
            break
        lines.append(line.strip().split("  #")[0].strip())
    return lines


@pytest.mark.slow  # 2 exports, validate, int8 search, bench of the MoE demo: 74 s CPU, 6 min wall on shared cores
def test_the_examples_run_on_the_demo_model(tiny_models, tmp_path):
    import os

    lines = examples_block()
    assert [line.split()[1] for line in lines] == ["inspect", "export", "export", "validate", "quantize", "bench"]
    os.symlink(tiny_models("deepseek_v3"), tmp_path / "model_dir")
    for line in lines:
        argv = shlex.split(line)[1:]
        if argv[0] == "bench":
            argv += ["--iterations", "5", "--warmup", "1"]  # the README's command, fewer runs
        proc = subprocess.run([sys.executable, "-m", "workbench", *argv, "--quiet"], cwd=tmp_path,
                              capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, f"{line}\n{proc.stderr}"
        assert proc.stdout.strip(), line
    assert (tmp_path / "out" / "model.int8.onnx").is_file() and (tmp_path / "out" / "b1.onnx").is_file()
