"""Simplified Chinese texts of the GUI, keyed by the English source text; fills workbench_zh_CN.ts.

Run through update.sh (lupdate -> this script -> lrelease). Exits non-zero when a source text has no translation,
so a new string cannot ship untranslated.

Size: a table, not code: the English -> Chinese pair of every message of the GUI (534), in the one place
the translator and update.sh read them; the code around it is ~30 lines.
"""

import sys
import xml.etree.ElementTree as ET

ZH = {
    # the Deploy step (workbench/gui/panels/deploy_panel.py)
    "Deploy": "部署",
    "Generate": "生成",
    "Program": "程序",
    "Artifact": "产物",
    "Output folder": "输出文件夹",
    "Write a small program that loads the artifact with its runtime, feeds inputs of its names, shapes and types, "
    "and prints the outputs: a starting point for your service.":
        "生成一个小程序：用产物对应的运行时加载它，按其输入的名称、形状和类型提供输入，并打印输出，作为你的服务的起点。",
    "An exported .onnx, OpenVINO .xml, .gguf, or a model encrypted with workbench encrypt (.enc)":
        "导出的 .onnx、OpenVINO .xml、.gguf，或用 workbench encrypt 加密的模型（.enc）",
    "ONNX files: Python, C++, Java or C#; OpenVINO: Python or C++; GGUF: Python":
        "ONNX 文件：Python、C++、Java 或 C#；OpenVINO：Python 或 C++；GGUF：Python",
    "A new folder; the program's files are written into it": "一个新文件夹，程序的文件写入其中",
    "Choose an artifact first": "请先选择产物",
    "Choose an output folder first": "请先选择输出文件夹",
    "Wrote {0} into {1}. Build and run: {2}": "已将 {0} 写入 {1}。构建并运行：{2}",
    # one line under each control group (workbench/gui/panels/group_hints.py)
    "What the file holds, read from its headers.": "文件里有什么，从文件头读取。",
    "The model's own settings (config.json).": "模型自身的设置（config.json）。",
    "Every weight: its name, number type and shape.": "每个权重：名称、数值类型和形状。",
    "How the model becomes an ONNX file: the exporter, the ONNX version and the number type.":
        "模型如何变成 ONNX 文件：导出器、ONNX 版本和数值类型。",
    "The example inputs the model is traced with; their sizes are only an example.":
        "追踪模型所用的示例输入；其尺寸仅为示例。",
    "Dimensions that may change at run time (batch, sequence); a fixed one takes one size only.":
        "运行时可以变化的维度（批大小、序列长度）；固定的维度只接受一种尺寸。",
    "The ONNX file and PyTorch run the same inputs; their outputs must agree.":
        "ONNX 文件与 PyTorch 使用相同的输入运行，二者的输出必须一致。",
    "Which graph rewrites to apply; the result is a new file, the model stays as it is.":
        "要应用哪些计算图改写；结果是一个新文件，原模型保持不变。",
    "Each ticked type becomes a smaller file; how close it stays to fp32 is measured.":
        "每个勾选的类型都会生成一个更小的文件，并测量它与 fp32 的接近程度。",
    "How much each node's output moves when only that node is int8: the first ones to keep fp32.":
        "只把某个节点量化为 int8 时其输出变化多少：变化最大的应最先保留 fp32。",
    "How the weights are rounded, and which data calibrates the rounding.": "权重如何取整，以及用哪些数据校准取整。",
    "Each ticked variant is timed in a process of its own, on the same input sizes.":
        "每个勾选的版本都在各自的进程中、以相同的输入尺寸计时。",
    "Every step's settings in one TOML file: run it here or with workbench run.":
        "把每一步的设置写进一个 TOML 文件：可在这里运行，也可用 workbench run 运行。",
    "Each engine ticked here answers the same prompt in a column of its own.":
        "这里勾选的每个引擎都在各自的一栏中回答同一个提示词。",
    "The text every engine continues; greedy answers are compared token by token.":
        "每个引擎都从这段文本接着写；贪心解码的回答会逐个词元比较。",
    # Jobs dock: elapsed and remaining time (workbench/gui/docks.py)
    "{0} · ~{1} left": "{0} · 剩余约 {1}",
    "Time since the job started": "任务开始后经过的时间",
    "Time since the job started, and the time left estimated from its progress so far":
        "任务开始后经过的时间，以及按目前进度估计的剩余时间",
    # first-run page (workbench/gui/panels/welcome.py)
    "Start here": "从这里开始",
    "Open a model to inspect it, then take it step by step down the list on the left: export to ONNX, validate "
    "against PyTorch, optimize, quantize, benchmark, report. New to this? Run the demo: it builds a tiny model and "
    "runs every step on it in about a minute, in a folder of its own.":
        "打开一个模型进行检查，然后按左侧列表逐步处理：导出为 ONNX、与 PyTorch 对比验证、优化、量化、基准测试、"
        "报告。第一次使用？运行演示：它会构建一个很小的模型，在单独的文件夹中用大约一分钟跑完每一步。",
    "Open a model…": "打开模型…",
    "Run the demo": "运行演示",
    "A checkpoint (.safetensors, .pt, .bin) or an .onnx file (Ctrl+O)":
        "检查点文件（.safetensors、.pt、.bin）或 .onnx 文件（Ctrl+O）",
    "Open a model folder…": "打开模型文件夹…",
    "A Hugging Face model folder (config.json and weights)": "Hugging Face 模型文件夹（config.json 和权重）",
    "Build a tiny model and run export, validate, quantize, benchmark and report on it; nothing of yours is touched":
        "构建一个很小的模型并对它运行导出、验证、量化、基准测试和报告；不会改动您的任何文件",
    "None yet: the models you open are listed here.": "暂无：您打开过的模型会列在这里。",
    # sweep report view (workbench/gui/sweep_view.py)
    "Open s&weep report…": "打开扫描报告(&W)…",
    "Show a sweep's curves and table, live while it runs": "显示扫描的曲线和表格，运行期间实时更新",
    "model": "模型",
    "variant": "变体",
    "batch": "批大小",
    "sequence": "序列长度",
    "threads": "线程数",
    "items/s": "条/秒",
    "cosine": "余弦相似度",
    "size MB": "大小（MB）",
    "status": "状态",
    "Sweep report": "扫描报告",
    "Max p50 latency": "最大 p50 延迟",
    "Min cosine": "最小余弦相似度",
    "no limit": "不限",
    "Latency against throughput (batch along each curve)": "延迟与吞吐量（每条曲线上的点为不同批大小）",
    "No sweep open": "尚未打开扫描",
    "Open the output folder of a sweep (workbench sweep SWEEP.toml -o DIR).":
        "请打开一次扫描的输出文件夹（workbench sweep SWEEP.toml -o DIR）。",
    "Sweep: {0}": "扫描：{0}",
    "finished": "已完成",
    "{0} of {1} cells done, {2} failed ({3})": "已完成 {0}/{1} 个单元，{2} 个失败（{3}）",
    "ok": "成功",
    "FAILED: {0}": "失败：{0}",
    "(reused)": "（复用）",
    "no cell fits the budget": "没有单元满足预算",
    "batch {0}, threads {1}: p50 {2} ms, {3} items/s, cosine {4}":
        "批大小 {0}，线程数 {1}：p50 {2} 毫秒，{3} 条/秒，余弦相似度 {4}",
    "Recommended": "推荐配置",
    "Curves of": "曲线所属模型",
    "Open the output folder of a sweep": "打开扫描的输出文件夹",
    # demo
    "Building a tiny demo language model (random weights, a few hundred kB).":
        "正在构建一个微型演示语言模型（随机权重，只有几百 KB）。",
    "Step 1: loading the model and checking it for problems.": "第 1 步：加载模型并检查是否存在问题。",
    "Step 2: exporting to ONNX, a format that many runtimes and devices understand.":
        "第 2 步：导出为 ONNX——一种众多推理引擎和设备都支持的格式。",
    "Step 3: checking that the ONNX model computes the same numbers as PyTorch.":
        "第 3 步：检查 ONNX 模型的计算结果是否与 PyTorch 一致。",
    "Step 4: making an 8-bit version that is smaller and usually faster.":
        "第 4 步：生成 8 位量化版本，体积更小，通常也更快。",
    "Step 5: measuring how fast the model runs.": "第 5 步：测量模型的运行速度。",
    "Demo: watch the workbench take a model from PyTorch to a fast, small ONNX model.":
        "演示：看工作台如何把 PyTorch 模型变成小巧、快速的 ONNX 模型。",
    "Demo finished: every step succeeded. Open the Graph tab to explore the model.":
        "演示完成：所有步骤均已成功。打开“计算图”标签页即可浏览模型。",
    "The demo stopped at '{0}': the step could not start.": "演示在“{0}”处停止：该步骤无法启动。",
    "The demo stopped at '{0}': see the Jobs and Log panes.": "演示在“{0}”处停止：请查看“任务”和“日志”面板。",
    "Using the demo model built earlier in {0}.": "使用之前在 {0} 中构建的演示模型。",
    "Build the demo model": "构建演示模型",
    # export
    "Export": "导出",
    "Convert the loaded model for a runtime: ONNX, or another target of the Target list (GGUF for llama.cpp, "
    "OpenVINO IR, ...) with that target's own options. For ONNX the dynamo exporter is tried first and falls back "
    "to the legacy exporter when it fails (the reason is reported). Example sizes of 2 or more keep dynamic axes "
    "dynamic.":
        "将已加载的模型转换为某个运行时所需的格式：ONNX，或“目标格式”列表中的其他目标（用于 llama.cpp 的 GGUF、"
        "OpenVINO IR 等），并使用该目标自己的选项。对于 ONNX，优先使用 dynamo 导出器，失败时回退到旧版导出器"
        "（并报告原因）。示例尺寸取 2 或以上，动态维度才能保持动态。",
    "Exporter": "导出器",
    "(no model loaded)": "（尚未加载模型）",
    "ONNX models (*.onnx)": "ONNX 模型 (*.onnx)",
    "exporter default": "导出器默认值",
    "Fold constants": "常量折叠",
    "Source:": "来源：",
    "Output:": "输出：",
    "Exporter:": "导出器：",
    "Target:": "目标格式：",
    "Opset:": "Opset 版本：",
    "Dtype:": "数据类型：",
    "Inputs and outputs": "输入与输出",
    "automatic (e.g. input_ids, attention_mask)": "自动（例如 input_ids, attention_mask）",
    "automatic (e.g. logits)": "自动（例如 logits）",
    "Input names:": "输入名称：",
    "Output names:": "输出名称：",
    "Example batch:": "示例批大小：",
    "Example sequence:": "示例序列长度：",
    "Leave names empty to use the model's own.": "名称留空则使用模型自带的名称。",
    "Dynamic axes": "动态维度",
    "Input": "输入",
    "Axis": "维度",
    "Name": "名称",
    "Add axis": "添加维度",
    "Remove": "删除",
    "Batch and sequence": "批大小和序列长度",
    "Make batch (axis 0) and sequence (axis 1) dynamic on input_ids and attention_mask":
        "将 input_ids 和 attention_mask 的批大小（维度 0）和序列长度（维度 1）设为动态",
    "An empty table lets the exporter make batch and sequence dynamic on every input.":
        "表格为空时，导出器会把每个输入的批大小和序列长度设为动态。",
    "Dynamic axis row {0} needs both an input and a name.": "动态维度第 {0} 行需要同时填写输入和名称。",
    "Load a model first (Load step).": "请先加载模型（“加载”步骤）。",
    "Choose where to write the exported model.": "请选择导出模型的保存位置。",
    "Export {0}": "导出 {0}",
    "Exported with the {0} exporter in {1:.1f} s: {2}": "已用 {0} 导出器完成导出，耗时 {1:.1f} 秒：{2}",
    "Fell back to the legacy exporter: {0}": "已回退到旧版导出器：{0}",
    "Inputs: {0} — outputs: {1}": "输入：{0} — 输出：{1}",
    # jobs dock
    "Cancel": "取消",
    "queued": "排队中",
    "running": "运行中",
    "done": "完成",
    "failed": "失败",
    "cancelled": "已取消",
    "Clear finished": "清除已结束",
    "finished at {0}": "于 {0} 完成",
    "cancelled at {0}": "于 {0} 取消",
    "No jobs yet. Long actions (inspect, export, validate, quantize, benchmark) appear here.":
        "暂无任务。耗时操作（检查、导出、验证、量化、基准测试）会显示在这里。",
    "{0} running": "{0} 个运行中",
    "Idle": "空闲",
    # load
    "Load a model": "加载模型",
    "Open a checkpoint (.safetensors, .pt, .bin), a Hugging Face model folder or an ONNX file, or drop it on the "
    "window. Only headers are read where the format allows.":
        "打开检查点（.safetensors、.pt、.bin）、Hugging Face 模型文件夹或 ONNX 文件，也可以直接拖放到窗口中。"
        "在格式允许时只读取文件头。",
    "Inspect": "检查",
    "Path of a checkpoint, model folder or .onnx file": "检查点、模型文件夹或 .onnx 文件的路径",
    "Open file…": "打开文件…",
    "Open folder…": "打开文件夹…",
    "Summary": "概要",
    "Format:": "格式：",
    "Parameters:": "参数量：",
    "Size:": "大小：",
    "By dtype:": "按数据类型：",
    "Tensors:": "张量数：",
    "GGUF advice:": "GGUF 建议：",
    "none (no GGUF conversion for this model)": "无（此模型没有 GGUF 转换）",
    "none fits the {0} available": "可用的 {0} 放不下任何类型",
    "{0}, needs ~{1}": "{0}，约需 {1}",
    "{0} in llama.cpp, of the {1} available; measured fidelity {2:.4f}; workbench advise {3} explains why":
        "llama.cpp 中的 {0}（可用 {1}）；实测保真度 {2:.4f}；workbench advise {3} 会说明原因",
    "workbench advise {0} explains why": "workbench advise {0} 会说明原因",
    "Configuration": "配置",
    "Key": "键",
    "Value": "值",
    "Tensors": "张量",
    "Filter by name (words, or /regex/)": "按名称筛选（关键词或 /正则表达式/）",
    "Dtype": "数据类型",
    "Shape": "形状",
    "Elements": "元素数",
    "Size": "大小",
    "Open a model file": "打开模型文件",
    "Models (*.safetensors *.pt *.pth *.bin *.pt2 *.onnx *.ckpt);;All files (*)":
        "模型 (*.safetensors *.pt *.pth *.bin *.pt2 *.onnx *.ckpt);;所有文件 (*)",
    "Open a model folder": "打开模型文件夹",
    "Inspect {0}": "检查 {0}",
    "nodes": "节点数",
    "<b>Before you export, fix these:</b>": "<b>导出前请先解决以下问题：</b>",
    "No problems found: the model is ready to export.": "未发现问题：模型可以导出。",
    "Notes:": "说明：",
    "{0} of {1} tensors shown": "显示 {0} / {1} 个张量",
    "Open a model first.": "请先打开模型。",
    # main window
    "Model Workbench": "模型工作台",
    "The benchmark panel is not available": "基准测试面板不可用",
    "Load": "加载",
    "Validate": "验证",
    "Optimize": "优化",
    "Quantize": "量化",
    "Benchmark": "基准测试",
    "Report": "报告",
    "The graph view is not available": "计算图视图不可用",
    "Pipeline": "流程",
    "Graph": "计算图",
    "Jobs": "任务",
    "Log": "日志",
    "&Open file…": "打开文件(&O)…",
    "Open a checkpoint or an ONNX file": "打开检查点或 ONNX 文件",
    "Open &folder…": "打开文件夹(&F)…",
    "Open a Hugging Face model folder": "打开 Hugging Face 模型文件夹",
    "Open &recipe…": "打开配方(&R)…",
    "&Save recipe…": "保存配方(&S)…",
    "&Quit": "退出(&Q)",
    "&Export": "导出(&E)",
    "Export the loaded model to ONNX": "将已加载的模型导出为 ONNX",
    "&Validate": "验证(&V)",
    "Compare the ONNX model with PyTorch": "将 ONNX 模型与 PyTorch 进行比较",
    "&Quantize": "量化(&Q)",
    "Build the ticked quantized variants": "构建勾选的量化版本",
    "&Benchmark": "基准测试(&B)",
    "Benchmark the current model": "对当前模型进行基准测试",
    "Run the &demo": "运行演示(&D)",
    "Build a tiny model and walk through every step": "构建一个微型模型并演示每个步骤",
    "&About Model Workbench": "关于模型工作台(&A)",
    "&File": "文件(&F)",
    "Recent files": "最近打开",
    "&Run": "运行(&R)",
    "&View": "视图(&V)",
    "Theme": "主题",
    "Light": "浅色",
    "Dark": "深色",
    "Language": "语言",
    "&Help": "帮助(&H)",
    "Main toolbar": "主工具栏",
    "No model loaded": "尚未加载模型",
    "Open a model (Ctrl+O), drop one on the window, or run the demo.":
        "打开模型（Ctrl+O）、将模型拖放到窗口中，或运行演示。",
    "The graph view could not open {0}: {1}": "计算图视图无法打开 {0}：{1}",
    "Model: {0}": "模型：{0}",
    "ONNX: {0}": "ONNX：{0}",
    "{0} job(s) running": "{0} 个任务运行中",
    "Node {0} ({1})": "节点 {0}（{1}）",
    "(none)": "（无）",
    "Clear the list": "清空列表",
    "The language changes the next time Model Workbench starts.": "界面语言将在下次启动模型工作台时切换。",
    "not installed": "未安装",
    "Restart now": "立即重启",
    "Later": "稍后",
    "Take a trained model to deployment: export, validate, optimize, quantize, benchmark.":
        "把训练好的模型带到部署：导出、验证、优化、量化、基准测试。",
    "About Model Workbench": "关于模型工作台",
    "Jobs are running": "有任务正在运行",
    "{0} job(s) are still running. Cancel them and quit?": "仍有 {0} 个任务在运行。要取消它们并退出吗？",
    "Some jobs did not stop in time.": "部分任务未能及时停止。",
    # optimize
    "Simplify the graph (onnxslim), apply ONNX Runtime's graph optimizations and fuse transformer blocks where the "
    "model type is known. The result is a new variant; the current model is not replaced.":
        "简化计算图（onnxslim），应用 ONNX Runtime 的图优化，并在已知模型类型时融合 Transformer 模块。"
        "结果是一个新的版本，不会替换当前模型。",
    "Step": "步骤",
    "Applied": "已应用",
    "Nodes before": "优化前节点数",
    "Nodes after": "优化后节点数",
    "Detail": "详情",
    "Operator": "算子",
    "Before": "之前",
    "After": "之后",
    "Change": "变化",
    "Use as current model": "设为当前模型",
    "Settings": "设置",
    "Simplify (onnxslim)": "简化（onnxslim）",
    "Transformer fusion": "Transformer 融合",
    "Validate against PyTorch afterwards": "完成后与 PyTorch 对比验证",
    "Input model:": "输入模型：",
    "Level:": "级别：",
    "Export a model first, or choose an ONNX file.": "请先导出模型，或选择一个 ONNX 文件。",
    "Choose where to write the optimized model.": "请选择优化后模型的保存位置。",
    "Optimize {0}": "优化 {0}",
    "Nodes: {0} before, {1} after ({2:.1f}% fewer).": "节点数：优化前 {0}，优化后 {1}（减少 {2:.1f}%）。",
    # panel base
    "Copy as CLI command": "复制为命令行",
    "Put the equivalent `workbench` command line on the clipboard": "将等效的 `workbench` 命令行复制到剪贴板",
    "Save as recipe…": "另存为配方…",
    "Write these settings to a TOML recipe for `workbench run`": "将这些设置写入 TOML 配方，供 `workbench run` 使用",
    "Copied: {0}": "已复制：{0}",
    "Command copied to the clipboard": "命令已复制到剪贴板",
    "Save recipe": "保存配方",
    "Recipes (*.toml)": "配方 (*.toml)",
    "Recipe saved to {0}": "配方已保存到 {0}",
    "Started: {0}": "已开始：{0}",
    "Could not show the result: {0}": "无法显示结果：{0}",
    "Finished: {0} ({1:.1f} s)": "已完成：{0}（{1:.1f} 秒）",
    "Failed: {0}: {1}": "失败：{0}：{1}",
    "{0} failed": "{0} 失败",
    "Cancelled: {0}": "已取消：{0}",
    "Browse…": "浏览…",
    "Choose a path": "选择路径",
    # quantize
    "Tick the variants to build; each runs as its own job. Fidelity compares every variant's outputs with the "
    "unquantized model (cosine 1.0 = identical).":
        "勾选要构建的版本，每个版本作为独立任务运行。保真度将每个版本的输出与未量化模型比较（余弦相似度 1.0 表示完全一致）。",
    "int8 dynamic (weights int8, activations quantized at run time)": "int8 动态（权重为 int8，激活在运行时量化）",
    "int8 static (QDQ, needs calibration data)": "int8 静态（QDQ，需要校准数据）",
    "fp16 (half-precision weights and compute)": "fp16（半精度权重与计算）",
    "int4 weight-only (MatMulNBits)": "int4 仅权重（MatMulNBits）",
    "int8 weight-only": "int8 仅权重",
    "Variant": "版本",
    "State": "状态",
    "Size before": "原大小",
    "Size after": "新大小",
    "Ratio": "比例",
    "Cosine": "余弦相似度",
    "Max abs diff": "最大绝对误差",
    "Output": "输出",
    "Variants": "量化版本",
    "calibration data: .txt, or a folder of .npy/.npz": "校准数据：.txt 文件，或 .npy/.npz 文件夹",
    "File…": "文件…",
    "Folder…": "文件夹…",
    "beside the input model": "与输入模型相同的位置",
    "Per-channel weights (more accurate)": "逐通道量化权重（更精确）",
    "Node names to keep in float, separated by commas or lines (e.g. /lm_head/MatMul)":
        "保持浮点精度的节点名称，用逗号或换行分隔（例如 /lm_head/MatMul）",
    "Output folder:": "输出文件夹：",
    "Exclude nodes:": "排除节点：",
    "Calibration data": "校准数据",
    "Calibration data (*.txt *.npy *.npz);;All files (*)": "校准数据 (*.txt *.npy *.npz);;所有文件 (*)",
    "Export a model first, or type the path of an ONNX file.": "请先导出模型，或输入 ONNX 文件的路径。",
    "Tick at least one variant.": "请至少勾选一个版本。",
    "int8 static needs calibration data: choose a file or a folder.": "int8 静态量化需要校准数据：请选择文件或文件夹。",
    "Quantize {0}": "量化 {0}",
    # report
    "A recipe is the whole pipeline in one TOML file. Run it here or with `workbench run`; the report collects "
    "every step's results and plots.":
        "配方是把整个流程写在一个 TOML 文件里。可以在这里运行，也可以用 `workbench run` 运行；报告汇总每一步的结果和图表。",
    "Run recipe": "运行配方",
    "Open in browser": "在浏览器中打开",
    "Recipe": "配方",
    "Recipes (*.toml *.yaml *.yml)": "配方 (*.toml *.yaml *.yml)",
    "empty: the settings of every step, as they are now": "留空：使用各步骤当前的设置",
    "Load recipe…": "加载配方…",
    "Save recipe…": "保存配方…",
    "Recipe file:": "配方文件：",
    "No report yet. Run a recipe, or run the demo (Help > Run the demo).":
        "还没有报告。请运行配方，或运行演示（帮助 > 运行演示）。",
    "Open recipe": "打开配方",
    "Recipe loaded: {0}": "已加载配方：{0}",
    "Load a model or a recipe first.": "请先加载模型或配方。",
    "Run recipe {0}": "运行配方 {0}",
    "Recipe finished: {0} steps, report in {1}": "配方运行完成：共 {0} 个步骤，报告位于 {1}",
    "Failed steps: {0}": "失败的步骤：{0}",
    # validate
    "Run the ONNX checker and shape inference, then feed the same inputs to PyTorch and ONNX Runtime at each shape "
    "below and compare every output (padded positions are ignored).":
        "运行 ONNX 检查器和形状推断，然后在下面列出的每种形状下向 PyTorch 和 ONNX Runtime 输入相同的数据，"
        "逐一比较所有输出（忽略填充位置）。",
    "Max rel diff": "最大相对误差",
    "Result": "结果",
    "What to compare": "比较对象",
    "default for the dtype (1e-4 for fp32)": "按数据类型的默认值（fp32 为 1e-4）",
    "default for the dtype (1e-5 for fp32)": "按数据类型的默认值（fp32 为 1e-5）",
    "batch x sequence pairs, separated by commas": "批大小 x 序列长度，多组用逗号分隔",
    "ONNX model:": "ONNX 模型：",
    "Against (PyTorch):": "对照模型（PyTorch）：",
    "Relative tolerance:": "相对容差：",
    "Absolute tolerance:": "绝对容差：",
    "Shapes (batch x sequence):": "形状（批大小 x 序列长度）：",
    "Choose the PyTorch model to compare against.": "请选择用于对照的 PyTorch 模型。",
    "Tolerances must be numbers such as 1e-4.": "容差必须是数字，例如 1e-4。",
    "Write shapes as batch x sequence pairs, e.g. 2x8, 3x13.": "形状请写成“批大小 x 序列长度”，例如 2x8, 3x13。",
    "Validate {0}": "验证 {0}",
    "pass": "通过",
    "FAIL": "未通过",
    "PASSED: ONNX Runtime matches PyTorch on every output.": "通过：ONNX Runtime 的每个输出都与 PyTorch 一致。",
    "FAILED: some outputs differ from PyTorch beyond the tolerances.": "未通过：部分输出与 PyTorch 的差异超出容差。",
    "Shapes tried: {0}. Tolerances: rtol {1:g}, atol {2:g}. Checker: {3}. Shape inference: {4}.":
        "测试的形状：{0}。容差：rtol {1:g}，atol {2:g}。检查器：{3}。形状推断：{4}。",
    # chat
    "Chat": "对话",
    "Ask the model something and watch PyTorch, ONNX Runtime and every quantized variant answer token by token, "
    "side by side. Under each answer: its speed, and whether it picks the same tokens as PyTorch.":
        "向模型提个问题，看 PyTorch、ONNX Runtime 和每个量化版本并排逐个词元地作答。每个回答下方显示速度，"
        "以及它选出的词元是否与 PyTorch 相同。",
    "Who answers": "由谁回答",
    "a folder written by Export for chat (model.onnx with past key values, plus the tokenizer)":
        "由“导出用于对话”生成的文件夹（带历史键值缓存的 model.onnx 及分词器）",
    "Export for chat": "导出用于对话",
    "Export the loaded PyTorch model as a decoder with past key values (task text-generation-with-past) into the "
    "output folder": "将已加载的 PyTorch 模型导出为带历史键值缓存的解码器（任务 text-generation-with-past），"
                     "保存到输出文件夹",
    "ONNX decoder folder:": "ONNX 解码器文件夹：",
    "Also answer with PyTorch from": "同时用 PyTorch 回答，模型来自",
    "PyTorch:": "PyTorch：",
    "Add variant…": "添加变体…",
    "Quantized variants:": "量化变体：",
    "Prompt": "提示词",
    "Encoder-decoder model (translation, summary): single turn, the text above is its input and each column shows its output; no chat template":
        "编码器-解码器模型（翻译、摘要）：单轮对话，上方文本是它的输入，每一栏显示它的输出；不使用对话模板",
    "Text to translate or summarise, then Ctrl+Enter or Send": "输入要翻译或摘要的文本，然后按 Ctrl+Enter 或点击“发送”",
    "Type a prompt, then Ctrl+Enter or Send": "输入提示词，然后按 Ctrl+Enter 或点击“发送”",
    "Max new tokens:": "最多新词元数：",
    "Greedy (most likely token)": "贪心（取最可能的词元）",
    "Sampling": "采样",
    "Temperature:": "温度：",
    "Seed:": "随机种子：",
    "Send": "发送",
    "Ctrl+Enter": "Ctrl+Enter",
    "Stop": "停止",
    "Add a quantized decoder": "添加量化解码器",
    "PyTorch": "PyTorch",
    "ONNX Runtime fp32": "ONNX Runtime fp32",
    "ONNX Runtime {0}": "ONNX Runtime {0}",
    "Load a Hugging Face model (for PyTorch) or choose an ONNX decoder folder: one answer column appears for each.":
        "加载一个 Hugging Face 模型（用于 PyTorch）或选择一个 ONNX 解码器文件夹：每个都会出现一列回答。",
    "Load a Hugging Face model first: the chat decoder is exported from it.":
        "请先加载一个 Hugging Face 模型：对话用的解码器由它导出。",
    "Decoder ready for chat: {0}": "对话解码器已就绪：{0}",
    "Type a prompt first.": "请先输入提示词。",
    "Load a Hugging Face model or choose an ONNX decoder folder first.":
        "请先加载一个 Hugging Face 模型或选择一个 ONNX 解码器文件夹。",
    "Chat: {0}": "对话：{0}",
    "loading the model…": "正在加载模型…",
    "answering…": "正在回答…",
    "Failed: {0}": "失败：{0}",
    "sampled: not compared token for token": "采样生成：不逐词元比较",
    "no PyTorch answer to compare with": "没有可比较的 PyTorch 回答",
    "PyTorch gave no answer to compare with": "PyTorch 没有给出可比较的回答",
    "stopped": "已停止",
    "no answer": "无回答",
    "Choose an ONNX decoder folder first.": "请先选择一个 ONNX 解码器文件夹。",
    "waiting": "等待中",
    "tokens/s: –   first token: –": "词元/秒：–   首个词元：–",
    "tokens/s: {0:.1f}   first token: {1}   tokens: {2}": "词元/秒：{0:.1f}   首个词元：{1}   词元数：{2}",
    "✓ same tokens as PyTorch ({0} of {0})": "✓ 与 PyTorch 的词元相同（{0}/{0}）",
    "✗ differs at token {0} ({1:.0%} same as PyTorch)": "✗ 从第 {0} 个词元起不同（与 PyTorch {1:.0%} 一致）",
    "the reference the others are compared with": "其他各列与之比较的基准",
    # state that follows reality (issue 17): failed loads, verdicts, read-back shapes
    "Verdict": "结论",
    "{0}: cosine {1:.4f} (no floor known for this precision)": "{0}：余弦相似度 {1:.4f}（此精度没有已知下限）",
    "fail — {0}: cosine {1:.4f}, below the {2:g} floor": "不合格 — {0}：余弦相似度 {1:.4f}，低于下限 {2:g}",
    "warning — {0}: cosine {1:.4f}, passes its {2:g} floor by less than {3:g}":
        "警告 — {0}：余弦相似度 {1:.4f}，仅比下限 {2:g} 高出不到 {3:g}",
    "pass — {0}: cosine {1:.4f}, at or above the {2:g} floor": "合格 — {0}：余弦相似度 {1:.4f}，达到下限 {2:g}",
    "<b>Could not load {0}:</b> {1}": "<b>无法加载 {0}：</b>{1}",
    "this model": "此模型",
    "Load a model first: the last load failed ({0})": "请先加载模型：上次加载失败（{0}）",
    "Details…": "详细信息…",
    "The technical details of the failure (for a bug report)": "失败的技术细节（用于报告问题）",
    "scalar": "标量",
    "(fixed size)": "（固定尺寸）",
    "Inputs in the file: {0}": "文件中的输入：{0}",
    "Outputs in the file: {0}": "文件中的输出：{0}",
    # quantize results (sensitivity, min cosine)
    "Min cosine {0} ({1}): plain int8 {2:.6f} → {3:.6f}; {4} node(s) kept in fp32.":
        "最小余弦相似度 {0}（{1}）：纯 int8 {2:.6f} → {3:.6f}；{4} 个节点保留为 fp32。",
    "Size {0} → {1}.": "大小 {0} → {1}。",
    "Latency p50 {0:.3f} → {1:.3f} ms ({2:.2f}×, CPU).": "延迟 p50 {0:.3f} → {1:.3f} 毫秒（{2:.2f}×，CPU）。",
    "Trust": "信任",
    "Node": "节点",
    "Op": "算子",
    "Sensitivity (cosine drop)": "敏感度（余弦相似度下降）",
    "Weights": "权重",
    "Kept fp32": "保留 fp32",
    "cosine {0:.6f} with only this node quantized": "仅量化此节点时余弦相似度为 {0:.6f}",
    "Per-node sensitivity (int8)": "逐节点敏感度（int8）",
    "Re-quantize with ticked nodes in fp32": "将勾选的节点保留为 fp32 并重新量化",
    "{0} node(s) ticked to stay fp32 ({1} of weights)": "已勾选 {0} 个节点保留为 fp32（占权重的 {1}）",
    "Re-quantized with {0} node(s) in fp32: cosine {1:.6f}, {2}": "已重新量化，{0} 个节点保留为 fp32：余弦相似度 {1:.6f}，{2}",
    # quantize options
    "default: {0}": "默认：{0}",
    "The variant's file-name part in a recipe run: quantized/model.NAME.onnx":
        "配方运行时该版本文件名中的部分：quantized/model.NAME.onnx",
    "Name:": "名称：",
    "Weights per quantization block: a power of two from 16 up": "每个量化块的权重数：16 及以上的 2 的幂",
    "Block size:": "块大小：",
    "rtn: round to nearest; hqq: half-quadratic (asymmetric); gptq: error-correcting, needs calibration data":
        "rtn：就近取整；hqq：半二次量化（非对称）；gptq：误差补偿，需要校准数据",
    "Algorithm:": "算法：",
    "Symmetric (no zero point)": "对称（无零点）",
    ".txt of lines, or a folder of .npy/.npz": "按行书写的 .txt，或存放 .npy/.npz 的文件夹",
    "Calibration data:": "校准数据：",
    "default: the model's folder": "默认：模型所在文件夹",
    "Folder with the tokenizer for a .txt calibration file (the command line's --tokenizer; recipes use the "
    "source's)": "用于 .txt 校准文件的分词器所在文件夹（即命令行的 --tokenizer；配方使用来源模型的分词器）",
    "Tokenizer:": "分词器：",
    "How activation ranges are chosen from the calibration data": "如何根据校准数据确定激活值范围",
    "Calibration method:": "校准方法：",
    "Calibration samples:": "校准样本数：",
    "Min cosine:": "最小余弦相似度：",
    "limit": "限制",
    "Unticked: at most a quarter of the candidate nodes stay in float32": "不勾选时：最多四分之一的候选节点保留为 float32",
    "Max nodes in fp32:": "fp32 节点数上限：",
    "default operators, e.g. MatMul, Gemm": "默认算子，例如 MatMul、Gemm",
    "Operator types:": "算子类型：",
    "require": "强制",
    "off": "关闭",
    "int8 dynamic keeps the most sensitive nodes in float32 until the fidelity cosine reaches this floor. "
    "Unticked: aims for 0.99 and keeps plain int8 if it cannot; ticked: required (the job fails if it cannot be "
    "reached); 0 = off.":
        "int8 动态量化会把最敏感的节点保留为 float32，直到保真度余弦相似度达到此下限。不勾选：以 0.99 为目标，"
        "达不到则保留纯 int8；勾选：强制要求（达不到时任务失败）；0 = 关闭。",
    "Options of:": "选项：",
    "Recipe: quantize mode {0} is not one the panel offers; left out": "配方：面板不提供量化模式 {0}，已忽略",
    "Recipe: a second {0} variant ({1}) cannot be shown; the panel keeps the first":
        "配方：无法显示第二个 {0} 版本（{1}）；面板保留第一个",
    "not started": "未开始",
    # jobs that were not started
    "Replace existing files?": "替换已有文件？",
    "These files already exist and will be replaced:\n\n{0}\n\nReplace them?": "以下文件已存在，将被替换：\n\n{0}\n\n要替换吗？",
    "Not started: {0} (its model is a program and was not allowed to run)": "未启动：{0}（其模型是程序，未被允许运行）",
    "Not started: {0} (kept the existing files)": "未启动：{0}（保留已有文件）",
    "Kept the existing {0}: choose another output folder.": "已保留现有的 {0}：请选择其他输出文件夹。",
    "Not started: the recipe's model is a program and was not allowed to run": "未启动：配方中的模型是程序，未被允许运行",
    "Not started: the recipe would replace existing files": "未启动：配方将替换已有文件",
    "the recipe sets trust_code = true": "配方设置了 trust_code = true",
    # validate --locate
    "Show in the graph": "在计算图中显示",
    "Locate the first difference (compare every module with PyTorch)": "定位第一处差异（逐个模块与 PyTorch 比较）",
    "No module diverges from PyTorch ({0} compared).": "没有模块与 PyTorch 出现偏差（已比较 {0} 个）。",
    "none": "无",
    "First difference: node {0} ({1}) in {2}: max rel diff {3:.3g}, cosine {4:.6f}; its inputs' max rel diff: {5}.":
        "第一处差异：{2} 中的节点 {0}（{1}）：最大相对误差 {3:.3g}，余弦相似度 {4:.6f}；其输入的最大相对误差：{5}。",
    # benchmark panel
    "CUDA: {0}": "CUDA：{0}",
    "Batch size of the example inputs": "示例输入的批大小",
    "Sequence length (text models)": "序列长度（文本模型）",
    "Timed runs per variant (after warm-up)": "每个版本的计时运行次数（预热之后）",
    "Untimed runs before timing": "计时前不计时的预热运行次数",
    "Intra-op threads (0: the runtime's default)": "算子内线程数（0：使用运行时的默认值）",
    "default": "默认",
    "Provider": "执行提供程序",
    "Batch": "批大小",
    "Sequence": "序列长度",
    "Iterations": "迭代次数",
    "Warm-up": "预热",
    "Threads": "线程数",
    "Run": "运行",
    "Save charts as PNG…": "将图表保存为 PNG…",
    "Save charts as PNG": "将图表保存为 PNG",
    "PNG image (*.png)": "PNG 图片 (*.png)",
    "Logarithmic latency axis": "对数延迟坐标轴",
    "Read fast and slow variants on one chart": "在同一张图上看清快慢不同的版本",
    "Ready": "就绪",
    "p50 ms": "p50（毫秒）",
    "p95 ms": "p95（毫秒）",
    "p99 ms": "p99（毫秒）",
    "mean ms": "平均（毫秒）",
    "std ms": "标准差（毫秒）",
    "throughput /s": "吞吐量（每秒）",
    "peak RSS MB": "峰值 RSS（MB）",
    "GPU peak MB": "GPU 峰值（MB）",
    "runs": "运行次数",
    "(load a model first)": "（请先加载模型）",
    "{0} left out: {1} is a program and was not allowed to run": "已跳过 {0}：{1} 是程序，未被允许运行",
    "Cancelling…": "正在取消…",
    "{0}: loading and warm-up…": "{0}：正在加载并预热…",
    "{0}: run {1}/{2}": "{0}：第 {1}/{2} 次运行",
    "failed: {0}": "失败：{0}",
    "{0} variant(s) done": "{0} 个版本",  # inside "Finished: {0}" (已完成：6 个版本)
    "{0}, {1} failed": "{0}，{1} 个失败",
    "Finished: {0}": "已完成：{0}",
    # graph panel
    "No ONNX model yet: export or open one to see its graph.": "还没有 ONNX 模型：导出或打开一个模型即可查看其计算图。",
    "Filter nodes by name or op type": "按名称或算子类型筛选节点",
    "Select a node in the graph or the list.": "在计算图或列表中选择一个节点。",
    " · the graph opens when shown": " · 显示时打开计算图",
    " · loading graph…": " · 正在加载计算图…",
    "Cannot show {0}:\n{1}": "无法显示 {0}：\n{1}",
    "{0} nodes": "{0} 个节点",
    "{0} of {1} nodes": "{0} / {1} 个节点",
    "Inputs": "输入",
    "Outputs": "输出",
    "Attributes": "属性",
    "Metadata": "元数据",
    "First divergence from PyTorch": "与 PyTorch 的第一处偏差",
    "Difference against PyTorch": "与 PyTorch 的差异",
    # benchmark charts
    "Latency per iteration": "每次迭代的延迟",
    "Nothing measured yet: choose the variants and press Run": "尚未测量：请选择要测的变体，然后点击“运行”",
    "iteration": "迭代",
    "latency (ms)": "延迟（毫秒）",
    "pale: runs · solid: p50 · dashed: p95, rolling {0}": "浅色：每次运行 · 实线：p50 · 虚线：p95，滚动窗口 {0}",
    "Memory": "内存",
    "time since start (s)": "开始后的时间（秒）",
    "solid: RSS, dashed: GPU": "实线：RSS，虚线：GPU",
    # report panel: the report of the session's finished steps
    "Run every step of the recipe again, in one job": "在一个任务中重新运行配方的每一步",
    "Build report": "生成报告",
    "Write report.html from the steps finished in this session (nothing runs again)":
        "根据本次会话中已完成的步骤写出 report.html（不会重新运行任何步骤）",
    "{0} steps finished in this session ({1}). Build report writes report.html from their results; nothing runs "
    "again.": "本次会话已完成 {0} 个步骤（{1}）。“生成报告”会根据它们的结果写出 report.html，不会重新运行任何步骤。",
    "No report yet: finish a step (Export, Validate, Optimize, Quantize, Benchmark) and build the report from it, "
    "run a recipe, or run the demo (Help > Run the demo).":
        "还没有报告：完成一个步骤（导出、验证、优化、量化、基准测试）后据此生成报告，或运行配方，"
        "或运行演示（帮助 > 运行演示）。",
    "No step has finished in this session yet: export, validate, optimize, quantize or benchmark a model first "
    "(or run a recipe).": "本次会话还没有完成任何步骤：请先对模型进行导出、验证、优化、量化或基准测试（或运行配方）。",
    "Not built: kept the existing {0}": "未生成：保留了现有的 {0}",
    "Build report in {0}": "在 {0} 中生成报告",
    "Report built from {0} finished steps ({1}), in {2}": "已根据 {0} 个完成的步骤（{1}）生成报告，位于 {2}",
    "No report to open yet: build the report (or run a recipe) first.": "还没有可打开的报告：请先生成报告（或运行配方）。",
    "{0} no longer exists: build the report again.": "{0} 已不存在：请重新生成报告。",
    "The desktop could not open {0} in a browser (no default browser is set up here): open the file by hand.":
        "桌面环境无法在浏览器中打开 {0}（此处没有设置默认浏览器）：请手动打开该文件。",
    "Opened {0} in the browser": "已在浏览器中打开 {0}",
    "The report collects the results and plots of the steps finished in this session (Build report; nothing runs "
    "again), or of a recipe: the whole pipeline in one TOML file, run here or with `workbench run`.":
        "报告汇总本次会话中已完成步骤的结果和图表（“生成报告”，不会重新运行任何步骤），或汇总一个配方的结果："
        "配方是把整个流程写在一个 TOML 文件里，可以在这里运行，也可以用 `workbench run` 运行。",
    "Benchmark {0}": "基准测试 {0}",
    ", {0:.1f} s": "，{0:.1f} 秒",
    "Finished: Benchmark {0} (p50 {1:.3f} ms, p95 {2:.3f} ms, peak RSS {3:.0f} MB of its own process{4})":
        "已完成：基准测试 {0}（p50 {1:.3f} 毫秒，p95 {2:.3f} 毫秒，其自身进程的峰值 RSS {3:.0f} MB{4}）",
    "Failed: Benchmark {0}: {1}": "失败：基准测试 {0}：{1}",
    "Cancelled: Benchmark ({0})": "已取消：基准测试（{0}）",
    # export: targets and their options
    "{0} options": "{0} 选项",
    "The {0} target does not use this setting.": "{0} 目标不使用此设置。",
    "{0} files (*{1})": "{0} 文件 (*{1})",
    # benchmark: a runtime per variant
    "Runtime": "运行时",
    "no registered runtime opens this file": "没有已注册的运行时能打开此文件",
    # chat: runtime artifacts (GGUF in llama.cpp)
    "{0} (cannot answer here: {1})": "{0}（无法在此回答：{1}）",
    "{0} does not generate text": "{0} 不能生成文本",
    "{0} is not installed here": "此处未安装 {0}",
    "Models ({0})": "模型 ({0})",
    # the recipe's other destinations (panels/recipe_variants.py, Export's "Add to recipe")
    "Other destinations in the recipe": "配方中的其他目标",
    "GGUF, OpenVINO and MNN artifacts the recipe also writes, validates and benchmarks: add them in Export (Add to "
    "recipe), or load a recipe that has them.":
        "配方还会写出、验证并基准测试的 GGUF、OpenVINO 和 MNN 产物：在“导出”中添加（添加到配方），或加载包含它们的配方。",
    "Remove the selected entry from the recipe": "从配方中删除所选条目",
    "Add to recipe": "添加到配方",
    "Add this target with these options to the recipe as one more artifact: a recipe run writes, validates and "
    "benchmarks it beside the others (listed in Report)":
        "将此目标及其选项作为又一个产物添加到配方：运行配方时会与其他产物一起写出、验证并基准测试它（列在“报告”中）",
    "Added to the recipe: {0}": "已添加到配方：{0}",
    # llama.cpp's KV cache type and a batch run as its sequences (Benchmark and Chat panels)
    "llama.cpp KV cache": "llama.cpp 键值缓存",
    "llama.cpp KV cache:": "llama.cpp 键值缓存：",
    "f16 (default)": "f16（默认）",
    "The KV cache type llama.cpp runs the .gguf variants with: f16 is what a deployment runs; f32 keeps the cache "
    "at full precision (validation uses it to measure the file)":
        "llama.cpp 运行 .gguf 变体所用的键值缓存类型：f16 是部署时的实际情况；f32 以全精度保存缓存（验证用它来衡量文件本身）",
    "The KV cache type llama.cpp answers the .gguf columns with: f16 is what a deployment runs; f32 keeps the cache "
    "at full precision, so only the file's own rounding differs from PyTorch":
        "llama.cpp 回答 .gguf 各列所用的键值缓存类型：f16 是部署时的实际情况；f32 以全精度保存缓存，"
        "因此与 PyTorch 的差别只来自文件本身的舍入",
    "{0} ({1} sequences one after another)": "{0}（{1} 个序列依次运行）",
}


def fill(ts_path: str) -> int:
    tree = ET.parse(ts_path)
    root = tree.getroot()
    root.set("language", "zh_CN")
    missing = []
    for message in root.iter("message"):
        source = message.find("source").text or ""
        translation = message.find("translation")
        if source in ZH:
            translation.text = ZH[source]
            translation.attrib.pop("type", None)
        else:
            missing.append(source)
    tree.write(ts_path, encoding="utf-8", xml_declaration=True)
    with open(ts_path, "r+", encoding="utf-8") as handle:  # lupdate's doctype, kept for Qt Linguist
        text = handle.read()
        if "<!DOCTYPE TS>" not in text:
            text = text.replace("?>\n", "?>\n<!DOCTYPE TS>\n", 1)
            handle.seek(0)
            handle.write(text)
            handle.truncate()
    for source in missing:
        print(f"untranslated: {source!r}", file=sys.stderr)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(fill(sys.argv[1]))
