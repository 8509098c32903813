"""Longer fuzzing of the hand-written parsers: the properties of tests/trust/test_fuzz_headers.py with many more
examples (hypothesis, batches of fresh random examples until each target's share of the time is spent).

    python tools/fuzz.py --minutes 5              # all targets, the time split between them
    python tools/fuzz.py --minutes 1 --target onnx

Prints, per target, the examples run and any failure (the shrunk input and the exception); exit code 1 when
something failed.
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "trust"))

from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import test_fuzz_headers as props  # noqa: E402


def targets() -> dict:
    """name -> (strategy, check taking one drawn value)."""
    return {
        "safetensors": (props.SAFETENSORS_INPUTS, props.check_safetensors),
        "safetensors-valid": (props.valid_file(), props.check_valid_safetensors),
        "parse-shape": (props.SHAPE_TEXT | st.text(max_size=40), props.check_parse_shape),
        "shape-round-trip": (st.tuples(st.lists(st.integers(1, 10 ** 12), min_size=1, max_size=8),
                                       st.sampled_from(["x", "X", ","])),
                             lambda args: props.check_shape_round_trip(*args)),
        "cli-shapes": (st.lists(st.text(max_size=8) | st.builds(lambda n, s: f"{n}={s}", st.text(max_size=8),
                                                                props.SHAPE_TEXT), max_size=6),
                       props.check_cli_shapes),
        "onnx": (props.ONNX_INPUTS, props.check_onnx),
    }


def fuzz(name: str, strategy, check, seconds: float, batch: int) -> dict:
    """Run batches of ``batch`` examples until ``seconds`` pass or one fails (hypothesis then shrinks it)."""
    count = [0]

    def counted(value):
        count[0] += 1
        check(value)

    deadline = time.monotonic() + seconds
    failure = None
    while time.monotonic() < deadline and failure is None:
        run = settings(max_examples=batch, deadline=None, database=None, derandomize=False, print_blob=True,
                       phases=[Phase.generate, Phase.shrink],
                       suppress_health_check=list(HealthCheck))(given(strategy)(counted))
        try:
            run()
        except Exception as err:  # noqa: BLE001 - a finding
            failure = "".join(traceback.format_exception_only(type(err), err)).strip().splitlines()[0]
            tb = traceback.format_exc()
            print(tb[-3000:], file=sys.stderr)
    return {"target": name, "examples": count[0], "failure": failure}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=5.0, help="total time, split evenly between the targets")
    parser.add_argument("--target", action="append", choices=sorted(targets()), help="only these (repeatable)")
    parser.add_argument("--batch", type=int, default=2000, help="examples per hypothesis run")
    args = parser.parse_args(argv)
    chosen = {k: v for k, v in targets().items() if not args.target or k in args.target}
    share = args.minutes * 60 / len(chosen)
    results = []
    for name, (strategy, check) in chosen.items():
        started = time.monotonic()
        r = fuzz(name, strategy, check, share, args.batch)
        r["seconds"] = round(time.monotonic() - started, 1)
        results.append(r)
        print(f"{name:18s} {r['examples']:8d} examples in {r['seconds']:6.1f} s  "
              f"{'FAILED: ' + r['failure'] if r['failure'] else 'ok'}", flush=True)
    total = sum(r["examples"] for r in results)
    failed = [r for r in results if r["failure"]]
    print(f"total: {total} examples, {len(failed)} target(s) with findings")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
