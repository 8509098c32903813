"""The Deploy step: an artifact, a language and a folder; Generate writes the deployment kit's program (the same
``workbench deploy`` the CLI runs, through workbench.api) and shows its files and how to build and run it."""

from __future__ import annotations

import shlex
from pathlib import Path

from PySide6.QtWidgets import QComboBox, QFormLayout, QGroupBox, QLabel

from workbench.gui.panels.base import PanelBase, PathEdit

LANGS = (("python", "Python"), ("cpp", "C++ (CMake)"), ("java", "Java (Maven)"), ("csharp", "C# (.NET)"))


def _deploy(artifact: str, output: str, lang: str, force: bool, progress=None, cancel=None):
    from workbench import api

    return api.deploy(artifact, output, lang, force=force)


class DeployPanel(PanelBase):
    step = "deploy"

    def __init__(self, api_state, parent=None):
        super().__init__(api_state, parent)
        self.box = QGroupBox(self)
        form = QFormLayout(self.box)
        self.artifact_edit = PathEdit("open", "Models (*.onnx *.xml *.gguf *.enc)", self)
        self.lang_combo = QComboBox(self)
        for key, text in LANGS:
            self.lang_combo.addItem(text, key)
        self.output_edit = PathEdit("folder", "", self)
        self.artifact_label, self.lang_label, self.output_label = QLabel(self), QLabel(self), QLabel(self)
        form.addRow(self.artifact_label, self.artifact_edit)
        form.addRow(self.lang_label, self.lang_combo)
        form.addRow(self.output_label, self.output_edit)
        self.body().addWidget(self.box)
        self.result_label = self.banner("resultBanner")
        self.body().addWidget(self.result_label)
        self.body().addStretch(1)
        self.body().addLayout(self.make_action_row(self.tr("Generate"), "export"))
        self.run_button.clicked.connect(self.generate)
        api_state_onnx = getattr(api_state, "onnxChanged", None)
        if api_state_onnx is not None:
            api_state_onnx.connect(self._artifact_changed)
        self._fill_texts()

    def _fill_texts(self) -> None:
        self.set_header(self.tr("Deploy"), self.tr("Write a small program that loads the artifact with its runtime, "
                                                   "feeds inputs of its names, shapes and types, and prints the "
                                                   "outputs: a starting point for your service."))
        self.box.setTitle(self.tr("Program"))
        self.run_button.setText(self.tr("Generate"))
        self.artifact_label.setText(self.tr("Artifact"))
        self.lang_label.setText(self.tr("Language"))
        self.output_label.setText(self.tr("Output folder"))
        self.artifact_edit.setToolTip(self.tr("An exported .onnx, OpenVINO .xml, .gguf, or a model encrypted with "
                                              "workbench encrypt (.enc)"))
        self.lang_combo.setToolTip(self.tr("ONNX files: Python, C++, Java or C#; OpenVINO: Python or C++; "
                                           "GGUF: Python"))
        self.output_edit.setToolTip(self.tr("A new folder; the program's files are written into it"))

    def retranslate(self) -> None:
        super().retranslate()
        self._fill_texts()

    def _artifact_changed(self, path: str) -> None:
        if path and not self.artifact_edit.text():
            self.artifact_edit.setText(path)
            self.output_edit.setText(str(Path(path).with_name(Path(path).stem + "-deploy")))

    def settings(self) -> tuple[str, str, str]:
        artifact, output = self.artifact_edit.text(), self.output_edit.text()
        if not artifact:
            raise ValueError(self.tr("Choose an artifact first"))
        if not output:
            raise ValueError(self.tr("Choose an output folder first"))
        return artifact, output, self.lang_combo.currentData()

    def cli_command(self) -> str:
        artifact, output, lang = self.settings()
        return f"workbench deploy {shlex.quote(artifact)} -o {shlex.quote(output)} --lang {lang}"

    def generate(self):
        from workbench.gui.panels.base import show_error

        try:
            artifact, output, lang = self.settings()
        except ValueError as err:
            show_error(self, self.tr("Deploy"), str(err))
            return None
        force = Path(output, "workbench-deploy.json").is_file()
        return self.start_job(self.tr("Deploy"), _deploy, artifact, output, lang, force, process=False,
                              on_success=self.show_result)

    def show_result(self, result) -> None:
        self.result_label.setText(self.tr("Wrote {0} into {1}. Build and run: {2}").format(
            ", ".join(result.files), result.folder, result.build))
        self.result_label.show()
