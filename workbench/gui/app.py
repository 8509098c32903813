"""Entry point of the desktop GUI: ``workbench-gui [PATH] [--demo]`` and ``workbench gui [PATH] [--demo]``."""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
from typing import Optional, Sequence


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="workbench-gui", description="Model Workbench desktop application.")
    parser.add_argument("path", nargs="?", help="a checkpoint, model folder, ONNX file or recipe to open")
    parser.add_argument("--demo", action="store_true",
                        help="build a tiny demo model and walk through every step of the pipeline")
    parser.add_argument("--theme", choices=("light", "dark"), help="colour theme (saved for next time)")
    parser.add_argument("--lang", choices=("en", "zh_CN"), help="interface language (saved for next time)")
    return parser


def create_application(argv: Sequence[str] = ()):
    """The QApplication (reused when one exists), with QtWebEngine's requirements met before it is created."""
    from PySide6.QtCore import QCoreApplication, Qt
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is not None:
        return app
    try:  # QtWebEngine must be imported, and contexts shared, before the application object exists
        import PySide6.QtWebEngineWidgets  # noqa: F401

        QCoreApplication.setAttribute(Qt.AA_ShareOpenGLContexts)
    except ImportError:
        pass
    from workbench.gui.settings import APPLICATION, ORGANIZATION

    QCoreApplication.setOrganizationName(ORGANIZATION)
    QCoreApplication.setApplicationName(APPLICATION)
    return QApplication([sys.argv[0] if sys.argv else "workbench-gui", *argv])


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the GUI; returns the exit code (``sys.exit(main())``)."""
    multiprocessing.freeze_support()
    args = build_parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    if sys.platform.startswith("linux") and not os.environ.get("DISPLAY") and not os.environ.get(
            "WAYLAND_DISPLAY") and not os.environ.get("QT_QPA_PLATFORM"):
        print("workbench-gui: no display found (DISPLAY / WAYLAND_DISPLAY); set QT_QPA_PLATFORM=offscreen to run "
              "without one", file=sys.stderr)
        return 2
    try:
        import PySide6  # noqa: F401
    except ImportError:
        print("workbench-gui: PySide6 is not installed; run `pip install model-workbench[gui]`", file=sys.stderr)
        return 2
    app = create_application()
    from workbench.gui import theme
    from workbench.gui.i18n.translators import install_translator
    from workbench.gui.main_window import MainWindow
    from workbench.gui.settings import Settings

    settings = Settings()
    if args.theme:
        settings.theme = args.theme
    if args.lang:
        settings.language = args.lang
    theme.apply_theme(settings.theme, app)
    install_translator(settings.language, app)
    app.setWindowIcon(theme.icon("app"))
    window = MainWindow(settings)
    window.show()
    if args.demo:
        window.start_demo()
    elif args.path:
        if args.path.lower().endswith((".toml", ".yaml", ".yml")):
            window.show_panel("report")
            window.report_panel.load_recipe(args.path)
        else:
            window.open_path(args.path)
    code = app.exec()
    window.shutdown()
    return int(code)


if __name__ == "__main__":
    sys.exit(main())
