"""The window's settings (workbench.gui.settings), kept in QSettings: a stored value that is not one the GUI
offers reads as the default; the recent files list keeps the newest first, each once, at most MAX_RECENT."""

from PySide6.QtCore import QSettings

from workbench.gui.settings import MAX_RECENT, Settings


def test_settings_read_back_and_refuse_unknown_values(tmp_path):
    settings = Settings(QSettings(str(tmp_path / "wb.ini"), QSettings.Format.IniFormat))
    assert settings.theme == "light" and settings.recent_files == []
    settings.theme, settings.language = "dark", "zh_CN"
    again = Settings(QSettings(str(tmp_path / "wb.ini"), QSettings.Format.IniFormat))
    assert (again.theme, again.language) == ("dark", "zh_CN")
    again.q.setValue("theme", "neon")
    again.q.setValue("language", "xx")
    assert again.theme == "light" and again.language in ("en", "zh_CN")  # the system's language
    for i in range(MAX_RECENT + 3):
        again.add_recent(f"/m/{i}.onnx")
    again.add_recent("/m/5.onnx")
    recent = again.recent_files
    assert recent[0] == "/m/5.onnx" and len(recent) == MAX_RECENT and len(set(recent)) == MAX_RECENT
    again.clear_recent()
    assert again.recent_files == []
