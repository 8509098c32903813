"""Engine messages in the GUI's language: a pattern catalog over the engine's English (which never imports Qt).

The engine's messages are English one-liners, ``"what; hint"`` (:class:`workbench.core.errors.WorkbenchError`),
pre-flight problems and notes, and verdict reasons. They cross from job processes as plain text, so they are matched
here by pattern: ``{name}`` captures a value (a path, a number, an operator) that is carried over unchanged. A
message with no match is split at ``"; "`` and line breaks and each part matched; what still matches nothing stays
English, so a new engine message is never lost, only untranslated. Every pattern is a line of :data:`ZH_CN`;
``tests/gui/test_i18n.py`` checks that real engine errors translate.

Size: a table, not code: one English pattern -> Chinese pair per engine message; the code is ~20 lines.
"""

from __future__ import annotations

from typing import Optional

# English pattern -> Simplified Chinese. Most specific first where two could match the same text.
ZH_CN = {
    # missing, unreadable, wrong kind of file
    "{path}: no such {what}": "{path}：{what}不存在",
    "check the path": "请检查路径",
    "file": "文件",
    "folder": "文件夹",
    "file or folder": "文件或文件夹",
    "cannot read {path}: {reason}": "无法读取 {path}：{reason}",
    "check the path and its permissions": "请检查路径及其访问权限",
    "check the file's permissions": "请检查文件的访问权限",
    "{path} is a folder, not a {what}": "{path} 是文件夹，不是{what}",
    "{path} is a folder, not an {what}": "{path} 是文件夹，不是{what}",
    "give the {what} itself": "请给出{what}本身",
    "give a file or another folder": "请给出一个文件或另一个文件夹",
    "{path} is {kind}, not a regular {what}": "{path} 是{kind}，不是普通{what}",
    "give a regular file (pipes, sockets and devices such as /dev/zero are never read)":
        "请给出普通文件（管道、套接字和 /dev/zero 之类的设备永远不会被读取）",
    "{path}: no .safetensors files in this folder": "{path}：此文件夹中没有 .safetensors 文件",
    "{path}: no PyTorch checkpoint in this folder": "{path}：此文件夹中没有 PyTorch 检查点",
    # corrupt files
    "{path}: not a valid safetensors file ({reason})": "{path}：不是有效的 safetensors 文件（{reason}）",
    "{path}: not a valid ONNX file ({reason})": "{path}：不是有效的 ONNX 文件（{reason}）",
    "{path}: not a readable PyTorch checkpoint ({reason})": "{path}：不是可读取的 PyTorch 检查点（{reason}）",
    "{path}: not a valid checkpoint index ({reason})": "{path}：不是有效的检查点索引（{reason}）",
    "the file may be truncated or corrupt — re-download it": "文件可能不完整或已损坏——请重新下载",
    # what is wrong inside a safetensors file (workbench.core.loading.safetensors_read)
    "{size} bytes, shorter than the 8-byte header length": "只有 {size} 字节，比 8 字节的头部长度字段还短",
    "header length {n} bytes is over the 100 MB limit": "头部长度 {n} 字节，超过 100 MB 的上限",
    "header length {n} bytes runs past the end of the {size}-byte file": "头部长度 {n} 字节，超出了 {size} 字节的文件末尾",
    "the header is cut short": "头部被截断",
    "the header is not JSON: {reason}": "头部不是 JSON：{reason}",
    "the header is not a JSON object": "头部不是 JSON 对象",
    "the header holds an unpaired UTF-16 surrogate escape": "头部含有不成对的 UTF-16 代理转义",
    "__metadata__ is not a map of strings": "__metadata__ 不是字符串到字符串的映射",
    "entry '{name}' is not an object": "条目“{name}”不是对象",
    "tensor '{name}' has unknown dtype {dtype}": "张量“{name}”的数据类型 {dtype} 未知",
    "tensor '{name}' has a bad shape {shape}": "张量“{name}”的形状 {shape} 无效",
    "tensor '{name}' has bad data_offsets {offsets}": "张量“{name}”的 data_offsets {offsets} 无效",
    "tensor '{name}' ends at data byte {end} but the file holds only {size}":
        "张量“{name}”结束于数据第 {end} 字节，但文件只有 {size} 字节",
    "tensor '{name}' is {dtype} {shape} ({nbytes} bytes) but its data_offsets span {span} bytes":
        "张量“{name}”为 {dtype} {shape}（{nbytes} 字节），但它的 data_offsets 跨了 {span} 字节",
    "tensor '{name}' overlaps the previous tensor": "张量“{name}”与前一个张量重叠",
    "tensor '{name}' leaves a gap at data byte {position}": "张量“{name}”在数据第 {position} 字节处留下空隙",
    "{count} bytes after the last tensor": "最后一个张量之后还有 {count} 字节",
    "the file may be truncated or corrupt, or not a PyTorch file — re-download or re-save it":
        "文件可能不完整或已损坏，或者不是 PyTorch 文件——请重新下载或重新保存",
    "the file may be truncated or corrupt — re-save it with torch.jit.save":
        "文件可能不完整或已损坏——请用 torch.jit.save 重新保存",
    "the file is corrupt — re-export the model": "文件已损坏——请重新导出模型",
    "the data file is truncated — copy or export it again": "数据文件不完整——请重新复制或导出",
    "re-export it": "请重新导出",
    "re-export the model": "请重新导出模型",
    "{path}: nested too deeply to read (Python's recursion limit was reached)":
        "{path}：嵌套过深，无法读取（已达到 Python 的递归上限）",
    "the file is corrupt or crafted; re-download it or re-save it as safetensors":
        "文件已损坏或被恶意构造；请重新下载，或另存为 safetensors",
    "{name} references external data {location} which is missing": "{name} 引用的外部数据 {location} 不存在",
    "keep {location} beside {name} in {folder}": "请把 {location} 与 {name} 一起放在 {folder} 中",
    "{name}: external data {location} is shorter than the model needs ({detail})":
        "{name}：外部数据 {location} 比模型所需的短（{detail}）",
    # unsupported operators, export failures
    "{exporter} exporter: no ONNX translation for operator {op}": "{exporter} 导出器：算子 {op} 没有对应的 ONNX 实现",
    "{exporter} exporter: torch.export could not trace the model: {reason}":
        "{exporter} 导出器：torch.export 无法追踪该模型：{reason}",
    "{exporter} exporter failed: {reason}": "{exporter} 导出器失败：{reason}",
    "the exported model fails the ONNX checker: {reason}": "导出的模型未通过 ONNX 检查器：{reason}",
    "{model} fails the ONNX checker: {reason}": "{model} 未通过 ONNX 检查器：{reason}",
    "ONNX Runtime cannot load {path}: {reason}": "ONNX Runtime 无法加载 {path}：{reason}",
    "ONNX Runtime failed to run the model: {reason}": "ONNX Runtime 运行模型失败：{reason}",
    "PyTorch failed to run the model: {reason}": "PyTorch 运行模型失败：{reason}",
    "ONNX Runtime's CPU provider has no bfloat16 kernel for {op} (opset {version}, node {node})":
        "ONNX Runtime 的 CPU 执行提供程序没有 {op} 的 bfloat16 内核（opset {version}，节点 {node}）",
    "opset {opset} is out of range": "opset {opset} 超出范围",
    "use an opset from 7 to 25, e.g. 18": "请使用 7 到 25 之间的 opset，例如 18",
    "unknown exporter '{name}'": "未知的导出器“{name}”",
    "use dynamo or legacy": "请使用 dynamo 或 legacy",
    "unknown dtype '{name}'": "未知的数据类型“{name}”",
    "use fp32, fp16 or bf16": "请使用 fp32、fp16 或 bf16",
    # shapes and dynamic axes
    "bad shape '{text}'": "形状“{text}”无效",
    "write a shape as positive integers, e.g. 2x3x224x224": "请用正整数写出形状，例如 2x3x224x224",
    "bad dynamic axis '{text}'": "动态轴“{text}”无效",
    "write INPUT:AXIS=NAME, e.g. input_ids:1=sequence": "请写成 输入:轴=名称，例如 input_ids:1=sequence",
    "dynamic axis for unknown input '{name}'": "动态轴指向未知输入“{name}”",
    "input '{name}' has {rank} axes, axis {axis} does not exist": "输入“{name}”只有 {rank} 个轴，轴 {axis} 不存在",
    "dynamic axes {what} were asked but the exported file fixes {fixed}":
        "要求动态轴 {what}，但导出的文件把 {fixed} 固定了",
    # validate: outputs, given shapes (workbench.core.validate_outputs)
    "PyTorch's output '{name}' is missing from the model (it has {names})": "模型中缺少 PyTorch 的输出“{name}”（模型只有 {names}）",
    "export it again": "请重新导出",
    "output '{name}' has shape {got} but PyTorch's '{ref}' is {want} (at batch {batch}, sequence {seq})":
        "输出“{name}”的形状为 {got}，而 PyTorch 的“{ref}”为 {want}（批大小 {batch}，序列长度 {seq}）",
    "--shape {name}: the model has no input '{same}' (its inputs: {names})":
        "--shape {name}：模型没有名为“{same}”的输入（它的输入：{names}）",
    "name one of its inputs": "请指定它的某个输入",
    "--shape {item}: '{name}' has {rank} axes, not {given}": "--shape {item}：“{name}”有 {rank} 个轴，而不是 {given} 个",
    "give one size per axis, batch first": "请为每个轴给出一个大小，批大小在前",
    # export: the legacy exporter's traced constants (workbench.core.export.exporters)
    "the legacy exporter fixed {count} value(s) the model computes from its inputs ({places}): the file keeps the "
    "example's branch at every shape; validate at other shapes (workbench validate) before trusting it there":
        "旧版导出器把模型根据输入算出的 {count} 个值固定成了常量（{places}）：文件在任何形状下都走示例输入的分支；"
        "在其他形状下使用前，请先用 workbench validate 验证",
    # files that point elsewhere (workbench.core.loading)
    "{path}: the index places weights in '{shard}', outside its folder": "{path}：索引把权重放在其文件夹之外的“{shard}”",
    "keep every shard beside the index (re-download the checkpoint)": "请把所有分片放在索引旁边（重新下载检查点）",
    "{path} references external data '{location}', a link to {target} outside its folder":
        "{path} 引用的外部数据“{location}”是指向其文件夹之外 {target} 的链接",
    "copy the data file itself beside the .onnx": "请把数据文件本身复制到 .onnx 旁边",
    "operators of domain '{domain}' ({ops}) are not standard ONNX: they run only where a custom-operator library "
    "registers them (ONNX Runtime refuses the file otherwise)":
        "域“{domain}”的算子（{ops}）不是标准 ONNX：只有注册了相应自定义算子库的地方才能运行（否则 ONNX Runtime 会拒绝该文件）",
    "{path} is a program source (model.py:Class): inspect reads files and folders and never runs code":
        "{path} 是程序源码（model.py:Class）：检查只读取文件和文件夹，从不运行代码",
    "inspect its weights file, or export/validate it with --trust-code": "请检查它的权重文件，或用 --trust-code 导出/验证它",
    # why the exporter fixed them (workbench.core.export.readback._cause)
    "the example input has size 1 on that axis and a size of 1 is specialised; give an example size of 2 or more "
    "(--batch, --seq or --shape)": "示例输入在该轴上的大小为 1，而大小 1 会被特化；请给出 2 或更大的示例大小"
                                   "（--batch、--seq 或 --shape，界面中为“示例大小”）",
    "{listed} shares that size on static axes, so torch.export equated the dimensions and fixed them all; add "
    "--dynamic {fix} (or leave --dynamic out: the defaults make batch and sequence dynamic on every input)":
        "{listed} 的静态轴也是这个大小，torch.export 因此把这些维度视为相同并全部固定；请添加动态轴 {fix}"
        "（命令行为 --dynamic，界面中为“动态轴”表格的行），或不指定动态轴：默认会让每个输入的批次和序列维度都是动态的",
    "{listed} share that size on static axes, so torch.export equated the dimensions and fixed them all; add "
    "--dynamic {fix} (or leave --dynamic out: the defaults make batch and sequence dynamic on every input)":
        "{listed} 的静态轴也是这个大小，torch.export 因此把这些维度视为相同并全部固定；请添加动态轴 {fix}"
        "（命令行为 --dynamic，界面中为“动态轴”表格的行），或不指定动态轴：默认会让每个输入的批次和序列维度都是动态的",
    "the model's code fixes that size (torch.export specialised it, e.g. a reshape to a constant); leave the axis "
    "out of --dynamic to export it static, or change the model":
        "模型代码固定了这个大小（torch.export 将其特化，例如 reshape 成常量）；请把该轴移出动态轴以静态导出，或修改模型",
    "{path}: '{name}' has size {got} on axis {axis}, the model expects {fixed}":
        "{path}：“{name}”在轴 {axis} 上的大小为 {got}，模型要求 {fixed}",
    "{folder}: the weights do not fit config.json ({detail})": "{folder}：权重与 config.json 不符（{detail}）",
    "config.json does not fit the weights: tensor '{key}' is {have} in the checkpoint but config.json implies "
    "{want}": "config.json 与权重不符：张量“{key}”在检查点中为 {have}，而 config.json 推出的是 {want}",
    "use the config.json that came with these weights": "请使用随这些权重附带的 config.json",
    "{count} tensors that config.json implies are not in the checkpoint (e.g. '{name}')":
        "config.json 推出的 {count} 个张量不在检查点中（例如“{name}”）",
    "{count} tensor that config.json implies is not in the checkpoint (e.g. '{name}')":
        "config.json 推出的 {count} 个张量不在检查点中（例如“{name}”）",
    "transformers renames this model's checkpoint tensors on load, so this may be only a naming difference":
        "transformers 加载时会重命名此模型的检查点张量，因此这可能只是命名上的差异",
    "transformers would fill them with random values: use the config.json that came with these weights":
        "transformers 会用随机值填充它们：请使用随这些权重附带的 config.json",
    "check config.json against the model's original one": "请对照模型原始的 config.json 检查",
    "this model has no config to build example inputs from": "此模型没有可用于构建示例输入的配置",
    "give each input's shape, e.g. --shape {example}": "请给出每个输入的形状，例如 --shape {example}",
    # code that would run
    "{path} is a {kind} program: exporting, validating or benchmarking it runs the code it contains":
        "{path} 是一个 {kind} 程序：导出、验证或基准测试它都会运行其中包含的代码",
    "pass --trust-code to allow it (only for files you trust; the GUI asks first); `workbench inspect {name}` "
    "reads it without running anything":
        "传入 --trust-code 以允许运行（仅限你信任的文件；图形界面会先询问）；"
        "`workbench inspect {name}` 可在不运行任何代码的情况下读取它",
    "{name} is a program: export, validate and bench run it only with --trust-code":
        "{name} 是一个程序：导出、验证和基准测试只有在 --trust-code 下才会运行它",
    "{path} sets trust_code = true, which runs the code of {source}":
        "{path} 设置了 trust_code = true，这会运行 {source} 的代码",
    # outputs
    "would overwrite {names} in {folder}": "将覆盖 {folder} 中的 {names}",
    "would overwrite {names}": "将覆盖 {names}",
    "pass --force to replace them (overwrite = true in a recipe, force=True in the API), or choose another output":
        "传入 --force 以替换它们（配方中为 overwrite = true，API 中为 force=True），或选择其他输出位置",
    "{path} already exists": "{path} 已存在",
    "choose a new folder": "请选择一个新文件夹",
    "the output would overwrite the input {path}": "输出将覆盖输入文件 {path}",
    "the output is the input file": "输出就是输入文件",
    "choose another output name; the input is never changed": "请换一个输出名称；输入文件永远不会被修改",
    "{path} is a folder: an output never replaces a folder": "{path} 是文件夹：输出永远不会替换文件夹",
    "give a file name inside it, e.g. {example}": "请给出其中的文件名，例如 {example}",
    "{folder} is a system folder: the workbench does not write there": "{folder} 是系统文件夹：工作台不会写入该位置",
    "cannot write to {folder}: {reason}": "无法写入 {folder}：{reason}",
    "cannot write {path}: {reason}": "无法写入 {path}：{reason}",
    "output '{name}' does not end in .onnx": "输出“{name}”的扩展名不是 .onnx",
    "name the output like model.onnx": "请把输出命名为类似 model.onnx 的名称",
    "name the output like model.int8.onnx": "请把输出命名为类似 model.int8.onnx 的名称",
    "choose another output": "请选择其他输出位置",
    # validation verdicts and notes
    "output '{name}' differs from PyTorch: max rel diff {diff} (rtol {rtol}), cosine {cosine} (floor {floor})":
        "输出“{name}”与 PyTorch 不一致：最大相对误差 {diff}（rtol {rtol}），余弦相似度 {cosine}（下限 {floor}）",
    "the model is quantized ({precision}: {ops}), so it is judged by {precision} tolerances: cosine >= {floor} and "
    "max rel diff <= {rtol}":
        "模型已量化（{precision}：{ops}），因此按 {precision} 的容差判定：余弦相似度 >= {floor} 且最大相对误差 <= {rtol}",
    "dimensions fixed in the file (compared at that size only): {dims}": "文件中固定的维度（仅按该尺寸比较）：{dims}",
    "compared at the given shapes ({shapes}) and at batch {batch}": "已按给定形状（{shapes}）和批大小 {batch} 进行比较",
    "no outputs to compare": "没有可比较的输出",
    "give validation inputs the model accepts": "请提供模型可接受的验证输入",
    "locate: {reason}": "定位：{reason}",
    # quantization
    "int8-static needs calibration data": "int8 静态量化需要校准数据",
    "GPTQ needs calibration data": "GPTQ 需要校准数据",
    "this quantization needs calibration data": "此量化方式需要校准数据",
    "block size {size} is not supported": "不支持块大小 {size}",
    "use a power of two from 16 up, e.g. 32, 64 or 128": "请使用 16 及以上的 2 的幂，例如 32、64 或 128",
    "hqq quantization is asymmetric only": "hqq 量化只支持非对称",
    "leave symmetric off, or use --algorithm rtn": "请不要勾选对称，或使用 --algorithm rtn",
    "{mode} quantization failed: {reason}": "{mode} 量化失败：{reason}",
    "unknown quantization mode '{mode}'": "未知的量化模式“{mode}”",
    "fp16 conversion failed: {reason}": "fp16 转换失败：{reason}",
    # benchmark
    "nothing to benchmark": "没有可基准测试的内容",
    "unknown provider '{name}'": "未知的执行提供程序“{name}”",
    "use cpu or cuda": "请使用 cpu 或 cuda",
    "{name}: no timed run finished": "{name}：没有完成任何计时运行",
    "ask for at least one iteration, with no cancel": "请至少设置一次迭代，并且不要取消",
    "the benchmark process for {label} failed: {reason}": "{label} 的基准测试进程失败：{reason}",
    "the benchmark process for {label} ran past {seconds} s": "{label} 的基准测试进程超过了 {seconds} 秒",
    "no timed run finished": "没有完成任何计时运行",
    "cancelled by the user": "已被用户取消",
    # pre-flight (inspect) problems and notes
    "config.json has no model_type, so transformers cannot tell which architecture to build; {hint}":
        "config.json 没有 model_type，transformers 无法判断要构建哪种架构；{hint}",
    "config.json is not a JSON object; re-download it": "config.json 不是 JSON 对象；请重新下载",
    "config.json is not valid JSON ({reason}); {hint}": "config.json 不是有效的 JSON（{reason}）；{hint}",
    "config.json cannot be read ({reason}); check the file's permissions": "无法读取 config.json（{reason}）；请检查文件的访问权限",
    "model_type '{name}' is unknown to this transformers version; {hint}":
        "当前 transformers 版本不认识 model_type“{name}”；{hint}",
    "the weights cannot be read: {reason}": "无法读取权重：{reason}",
    "no weights file (model.safetensors, a sharded index or pytorch_model.bin); {hint}":
        "没有权重文件（model.safetensors、分片索引或 pytorch_model.bin）；{hint}",
    "config.json lists no architectures; {hint}": "config.json 没有列出 architectures；{hint}",
    "no tokenizer files (tokenizer.json, tokenizer_config.json or vocab files); {hint}":
        "没有分词器文件（tokenizer.json、tokenizer_config.json 或词表文件）；{hint}",
    "{missing} of {total} weight shards listed in {name} {rest}": "{name} 中列出的 {total} 个权重分片缺少 {missing} 个 {rest}",
    "the weights are quantized (quantization_config): their shapes were not compared with config.json":
        "权重已量化（quantization_config）：其形状未与 config.json 比较",
    "transformers cannot build the model from config.json ({reason}); {hint}":
        "transformers 无法根据 config.json 构建模型（{reason}）；{hint}",
    "{folder}: transformers could not build the model ({reason})": "{folder}：transformers 无法构建模型（{reason}）",
    "run `workbench inspect` on the folder to see what is missing or inconsistent":
        "对该文件夹运行 `workbench inspect`，查看缺少或不一致的内容",
    "they are needed only for text calibration and generation — export, validation and benchmarks work without "
    "them": "只有文本校准和文本生成才需要它们——导出、验证和基准测试不需要",
    "re-download it or fix the syntax": "请重新下载或修正语法",
    "add the model_type (e.g. \"llama\") from the model's original config":
        "请从模型的原始配置中补上 model_type（例如 \"llama\"）",
    "upgrade transformers or check the model_type spelling": "请升级 transformers，或检查 model_type 的拼写",
    "the workbench will build the base model (no task head) unless you pass --task":
        "除非传入 --task，工作台将构建基础模型（不带任务头）",
    "download the weights into the folder": "请把权重下载到该文件夹",
    "config.json says the weights are {declared} but they are stored as {stored}":
        "config.json 声明权重为 {declared}，但实际存储为 {stored}",
    "the model is loaded in the dtype you choose (--dtype), so check that choice":
        "模型会按你选择的数据类型（--dtype）加载，请确认该选择",
    "model_type '{name}' is custom code shipped with the model (auto_map), which the workbench does not run":
        "model_type“{name}”是随模型附带的自定义代码（auto_map），工作台不会运行它",
    "load it as `model.py:ClassName --trust-code` instead": "请改为以 `model.py:ClassName --trust-code` 的方式加载",
    "a TorchScript program: exported with the legacy exporter, {rest}": "TorchScript 程序：使用旧版导出器导出，{rest}",
    "lean export failed ({reason}); exported the plain way": "精简导出失败（{reason}）；已按普通方式导出",
    # targets' options (workbench.core.target_options: the Export panel's per-target controls)
    "Quant type": "量化类型",
    "Weights": "权重",
    "Weight compression (NNCF)": "权重压缩（NNCF）",
    "Smaller files run faster and need less memory; lower bits lose more quality. K-quants go through llama.cpp's "
    "own quantizer.": "文件越小运行越快、占用内存越少；位数越低，质量损失越多。K 量化使用 llama.cpp 自带的量化器。",
    "f16, or bf16 for a bf16 checkpoint (llama.cpp's converter's default), practically lossless":
        "f16；若检查点为 bf16 则用 bf16（llama.cpp 转换器的默认值），几乎无损",
    "32 bits/weight, twice f16's size, exact (the reference)": "每个权重 32 位，是 f16 的两倍大，完全精确（作为基准）",
    "16 bits/weight, the size the others are compared with, practically lossless":
        "每个权重 16 位，是其他类型比较大小的基准，几乎无损",
    "16 bits/weight, as big as f16, practically lossless; keeps f32's range (bf16-trained models)":
        "每个权重 16 位，与 f16 一样大，几乎无损；保留 f32 的数值范围（适合以 bf16 训练的模型）",
    "~8.5 bits/weight, about 53% of f16's size, practically lossless": "每个权重约 8.5 位，约为 f16 的 53%，几乎无损",
    "~4.5 bits/weight, about 28% of f16's size, noticeable quality loss (older format, fast)":
        "每个权重约 4.5 位，约为 f16 的 28%，质量损失明显（旧格式，速度快）",
    "5 bits/weight, about 31% of f16's size, noticeable quality loss (older format)":
        "每个权重 5 位，约为 f16 的 31%，质量损失明显（旧格式）",
    "~5.5 bits/weight, about 34% of f16's size, small quality loss (older format)":
        "每个权重约 5.5 位，约为 f16 的 34%，质量损失小（旧格式）",
    "6 bits/weight, about 38% of f16's size, small quality loss (older format)":
        "每个权重 6 位，约为 f16 的 38%，质量损失小（旧格式）",
    "~4.8 bits/weight, about 30% of f16's size, small quality loss (the usual choice)":
        "每个权重约 4.8 位，约为 f16 的 30%，质量损失小（常用选择）",
    "~5.7 bits/weight, about 36% of f16's size, very small quality loss": "每个权重约 5.7 位，约为 f16 的 36%，质量损失很小",
    "~6.6 bits/weight, about 41% of f16's size, near-lossless": "每个权重约 6.6 位，约为 f16 的 41%，接近无损",
    "32-bit weights: the exact model, the largest file": "32 位权重：精确的模型，文件最大",
    "16-bit weights: half the file, computed in the device's precision (practically lossless)":
        "16 位权重：文件减半，按设备的精度计算（几乎无损）",
    "no compression: the weights as --dtype says": "不压缩：权重按 --dtype 的设定保存",
    "8-bit weights: a quarter of the fp32 file, small loss (with --calibration: int8 activations too)":
        "8 位权重：约为 fp32 文件的四分之一，损失小（配合 --calibration 时激活也为 int8）",
    "4-bit weights in groups: the smallest file, more loss (int8 kept where 4 bits hurt most)":
        "分组 4 位权重：文件最小，损失较多（4 位损失最大的地方保留 int8）",
    "Weight quantization (MNN)": "权重量化（MNN）",
    "8-bit weights per channel: a quarter of the fp32 file, small loss, computed in float":
        "按通道的 8 位权重：约为 fp32 文件的四分之一，损失小，以浮点计算",
    "4-bit weights per channel: the smallest file, more loss, computed in float":
        "按通道的 4 位权重：文件最小，损失较多，以浮点计算",
    "Converter optimization (MNN)": "转换器优化（MNN）",
    "no graph rewrites: the graph as exported": "不改写计算图：保持导出时的图",
    "only rewrites that are right for every input (MNN's default)": "只做对任何输入都正确的改写（MNN 的默认）",
    "also rewrites that are right for usual inputs (validate checks the result)":
        "也做对常见输入正确的改写（验证步骤会检查结果）",
    "Calibration data (NNCF)": "校准数据（NNCF）",
    "for int8/int4: .npz folder or .txt of lines, as Quantize reads": "用于 int8/int4：.npz 文件夹或按行的 .txt，与量化步骤读取的相同",
    "empty: data-free": "留空：不用数据",
    "needs the {name} runtime: {hint}": "需要 {name} 运行时：{hint}",
    "{value} needs the {name} runtime: {hint}": "{value} 需要 {name} 运行时：{hint}",
    "not offered by this target": "此目标不提供该选项",
    "'{value}' is not offered by this target": "此目标不提供“{value}”",
    "no runtime '{name}' is registered (workbench runtimes lists them)":
        "没有注册名为“{name}”的运行时（workbench runtimes 会列出它们）",
    "pip install {what} (builds llama.cpp from source: see README, or install a prebuilt wheel with pip install "
    "{wheel}): {reason}": "pip install {what}（从源码构建 llama.cpp：见 README；或用 pip install {wheel} 安装预构建的 "
                         "wheel）：{reason}",
    "No module named '{name}'": "没有名为“{name}”的模块",
    # runtimes: availability and generation (workbench.core.runtimes.select / stream)
    "runtime '{name}' cannot run here: its library is missing": "运行时“{name}”无法在此运行：缺少它的库",
    "the {name} runtime does not generate text": "{name} 运行时不能生成文本",
    "chat with an ONNX decoder folder or a GGUF (llama.cpp)": "请用 ONNX 解码器文件夹或 GGUF（llama.cpp）进行对话",
    "no tokenizer in {folder} to encode the prompt for {name}": "{folder} 中没有分词器，无法为 {name} 编码提示词",
    "load the model's Hugging Face folder (its tokenizer encodes the prompt), or give token ids":
        "请加载模型的 Hugging Face 文件夹（用它的分词器编码提示词），或直接给出词元 ID",
    "top-p sampling is not offered for runtime generation": "运行时生成不提供 top-p 采样",
    "leave top_p at 1.0": "请把 top_p 保持为 1.0",
    # optimize: the steps table (workbench.core.optimize cpu/cuda/common)
    "transformer fusion": "Transformer 融合",
    "no fusion for this model type": "此模型类型没有融合",
    "off": "关闭",
    "skipped: {reason}": "已跳过：{reason}",
    "ONNX Runtime {level} optimization (layout specific to this CPU)": "ONNX Runtime {level} 级优化（布局仅适用于本机 CPU）",
    "ONNX Runtime {level} optimization": "ONNX Runtime {level} 级优化",
    "ONNX Runtime {model_type} fusion: {stats}": "ONNX Runtime {model_type} 融合：{stats}",
    "{model_type} fusion: nothing fused": "{model_type} 融合：没有可融合的部分",
    "{model_type} fusion: {stats}": "{model_type} 融合：{stats}",
    "fp16 weights and compute, float32 inputs and outputs": "fp16 权重与计算，float32 输入与输出",
    "fp16 weights and compute, float32 inputs, float16 outputs": "fp16 权重与计算，float32 输入，float16 输出",
    "attention mask: {removed} node(s) computing it replaced by {added}": "注意力掩码：计算它的 {removed} 个节点换成了 {added} 个",
}

_PAIRS = {"zh_CN": ZH_CN}


def pairs(language: str) -> list:
    """(English pattern, translation) of the engine messages for ``language`` (none for English)."""
    return list(_PAIRS.get(language, {}).items())


def translate(message: str, language: Optional[str] = None) -> str:
    """An engine message (``str(WorkbenchError)``, a pre-flight line, a verdict reason) in ``language`` (default:
    the installed one); the English where the catalog has no match."""
    from workbench.gui.i18n import live_text

    return live_text(str(message), language)
