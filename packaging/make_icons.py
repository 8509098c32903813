"""Render the app's SVG icon (workbench/gui/resources/icons/app.svg) to packaging/workbench.png (256 px, Linux),
workbench.ico (Windows) and workbench.icns (macOS): QtSvg draws it, Pillow writes the icon formats.
`python packaging/make_icons.py` (needs the gui extra; headless is fine)."""

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SVG = HERE.parent / "workbench" / "gui" / "resources" / "icons" / "app.svg"


def render(size: int, out: Path) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication([])  # noqa: F841 - QImage painting needs one
    image = QImage(size, size, QImage.Format_ARGB32)
    image.fill(Qt.transparent)
    painter = QPainter(image)
    QSvgRenderer(str(SVG)).render(painter)
    painter.end()
    if not image.save(str(out)):
        raise SystemExit(f"make_icons: could not write {out}")


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PIL import Image

    png = HERE / "workbench.png"
    render(1024, HERE / "workbench-1024.png")
    big = Image.open(HERE / "workbench-1024.png")
    big.resize((256, 256), Image.LANCZOS).save(png)
    big.save(HERE / "workbench.ico", sizes=[(16, 16), (32, 32), (48, 48), (64, 64), (128, 128), (256, 256)])
    big.save(HERE / "workbench.icns")
    (HERE / "workbench-1024.png").unlink()
    print(f"wrote {png.name}, workbench.ico, workbench.icns in {HERE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
