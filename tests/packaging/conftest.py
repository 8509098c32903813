"""Headless Qt for the bundle's self-test (set before PySide6 is imported), private settings."""

import os
import tempfile

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("XDG_CONFIG_HOME", tempfile.mkdtemp(prefix="workbench-packaging-settings-"))
