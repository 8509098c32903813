"""The bundle's one executable: ``model-workbench`` opens the GUI, ``model-workbench --self-test`` runs the headless
self-test (workbench/gui/selftest.py), ``model-workbench cli COMMAND ...`` is the ``workbench`` command line."""

import multiprocessing
import sys


def main() -> int:
    multiprocessing.freeze_support()  # the GUI's jobs run in spawned children: the bundle re-runs itself for them
    args = sys.argv[1:]
    if args[:1] == ["--self-test"]:
        from workbench.gui.selftest import main as selftest_main

        return selftest_main(args[1:])
    if args[:1] == ["cli"]:
        from workbench.cli import main as cli_main

        return cli_main(args[1:])
    from workbench.gui.app import main as gui_main

    return gui_main(args)


if __name__ == "__main__":
    sys.exit(main())
