<?xml version='1.0' encoding='utf-8'?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name />
    <message>
        <location filename="../../panels/sensitivity_view.py" line="164" />
        <source>Min cosine {0} ({1}): plain int8 {2:.6f} → {3:.6f}; {4} node(s) kept in fp32.</source>
        <translation>最小余弦相似度 {0}（{1}）：纯 int8 {2:.6f} → {3:.6f}；{4} 个节点保留为 fp32。</translation>
    </message>
    <message>
        <location filename="../../panels/sensitivity_view.py" line="168" />
        <source>Size {0} → {1}.</source>
        <translation>大小 {0} → {1}。</translation>
    </message>
    <message>
        <location filename="../../panels/sensitivity_view.py" line="170" />
        <source>Latency p50 {0:.3f} → {1:.3f} ms ({2:.2f}×, CPU).</source>
        <translation>延迟 p50 {0:.3f} → {1:.3f} 毫秒（{2:.2f}×，CPU）。</translation>
    </message>
    <message>
        <location filename="../../trust.py" line="34" />
        <source>Trust</source>
        <comment>Run the code in {0}?</comment>
        <translation>信任</translation>
    </message>
    <message>
        <location filename="../../trust.py" line="35" />
        <source>Trust</source>
        <comment>{0} is a program ({1}), not just weights. Exporting, validating or benchmarking it runs the code it contains, with your permissions: it could read, change or delete your files.

{2}

Run it? Only do this for files you trust (the command line needs --trust-code).</comment>
        <translation>信任</translation>
    </message>
</context>
<context>
    <name>AnswerColumn</name>
    <message>
        <location filename="../../panels/chat_column.py" line="109" />
        <source>waiting</source>
        <translation>等待中</translation>
    </message>
    <message>
        <location filename="../../panels/chat_column.py" line="110" />
        <source>tokens/s: –   first token: –</source>
        <translation>词元/秒：–   首个词元：–</translation>
    </message>
    <message>
        <location filename="../../panels/chat_column.py" line="127" />
        <source>tokens/s: {0:.1f}   first token: {1}   tokens: {2}</source>
        <translation>词元/秒：{0:.1f}   首个词元：{1}   词元数：{2}</translation>
    </message>
    <message>
        <location filename="../../panels/chat_column.py" line="142" />
        <source>✓ same tokens as PyTorch ({0} of {0})</source>
        <translation>✓ 与 PyTorch 的词元相同（{0}/{0}）</translation>
    </message>
    <message>
        <location filename="../../panels/chat_column.py" line="145" />
        <source>✗ differs at token {0} ({1:.0%} same as PyTorch)</source>
        <translation>✗ 从第 {0} 个词元起不同（与 PyTorch {1:.0%} 一致）</translation>
    </message>
</context>
<context>
    <name>BenchPanel</name>
    <message>
        <location filename="../../panels/bench_panel.py" line="98" />
        <source>CUDA: {0}</source>
        <translation>CUDA：{0}</translation>
    </message>
    <message>
        <location filename="../../panels/bench_layout.py" line="46" />
        <source>Batch size of the example inputs</source>
        <translation>示例输入的批大小</translation>
    </message>
    <message>
        <location filename="../../panels/bench_layout.py" line="47" />
        <source>Sequence length (text models)</source>
        <translation>序列长度（文本模型）</translation>
    </message>
    <message>
        <location filename="../../panels/bench_layout.py" line="48" />
        <source>Timed runs per variant (after warm-up)</source>
        <translation>每个版本的计时运行次数（预热之后）</translation>
    </message>
    <message>
        <location filename="../../panels/bench_layout.py" line="50" />
        <source>Untimed runs before timing</source>
        <translation>计时前不计时的预热运行次数</translation>
    </message>
    <message>
        <location filename="../../panels/bench_layout.py" line="52" />
        <source>Intra-op threads (0: the runtime's default)</source>
        <translation>算子内线程数（0：使用运行时的默认值）</translation>
    </message>
    <message>
        <location filename="../../panels/bench_layout.py" line="54" />
        <source>default</source>
        <translation>默认</translation>
    </message>
    <message>
        <location filename="../../panels/bench_layout.py" line="57" />
        <source>f16 (default)</source>
        <translation>f16（默认）</translation>
    </message>
    <message>
        <location filename="../../panels/bench_layout.py" line="59" />
        <source>The KV cache type llama.cpp runs the .gguf variants with: f16 is what a deployment runs; f32 keeps the cache at full precision (validation uses it to measure the file)</source>
        <translation>llama.cpp 运行 .gguf 变体所用的键值缓存类型：f16 是部署时的实际情况；f32 以全精度保存缓存（验证用它来衡量文件本身）</translation>
    </message>
    <message>
        <location filename="../../panels/bench_layout.py" line="63" />
        <source>Provider</source>
        <translation>执行提供程序</translation>
    </message>
    <message>
        <location filename="../../panels/bench_layout.py" line="64" />
        <source>Batch</source>
        <translation>批大小</translation>
    </message>
    <message>
        <location filename="../../panels/bench_layout.py" line="65" />
        <source>Sequence</source>
        <translation>序列长度</translation>
    </message>
    <message>
        <location filename="../../panels/bench_layout.py" line="66" />
        <source>Iterations</source>
        <translation>迭代次数</translation>
    </message>
    <message>
        <location filename="../../panels/bench_layout.py" line="67" />
        <source>Warm-up</source>
        <translation>预热</translation>
    </message>
    <message>
        <location filename="../../panels/bench_layout.py" line="68" />
        <source>Threads</source>
        <translation>线程数</translation>
    </message>
    <message>
        <location filename="../../panels/bench_layout.py" line="69" />
        <source>llama.cpp KV cache</source>
        <translation>llama.cpp 键值缓存</translation>
    </message>
    <message>
        <location filename="../../panels/bench_layout.py" line="70" />
        <source>Variants</source>
        <translation>量化版本</translation>
    </message>
    <message>
        <location filename="../../panels/bench_layout.py" line="75" />
        <source>Run</source>
        <translation>运行</translation>
    </message>
    <message>
        <location filename="../../panels/bench_layout.py" line="77" />
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <location filename="../../panels/bench_layout.py" line="80" />
        <source>Save charts as PNG…</source>
        <translation>将图表保存为 PNG…</translation>
    </message>
    <message>
        <location filename="../../panels/bench_layout.py" line="82" />
        <source>Copy as CLI command</source>
        <translation>复制为命令行</translation>
    </message>
    <message>
        <location filename="../../panels/bench_layout.py" line="84" />
        <source>Logarithmic latency axis</source>
        <translation>对数延迟坐标轴</translation>
    </message>
    <message>
        <location filename="../../panels/bench_layout.py" line="85" />
        <source>Read fast and slow variants on one chart</source>
        <translation>在同一张图上看清快慢不同的版本</translation>
    </message>
    <message>
        <location filename="../../panels/bench_layout.py" line="87" />
        <location filename="../../panels/bench_panel.py" line="78" />
        <source>Ready</source>
        <translation>就绪</translation>
    </message>
    <message>
        <location filename="../../panels/bench_panel.py" line="138" />
        <source>(load a model first)</source>
        <translation>（请先加载模型）</translation>
    </message>
    <message>
        <location filename="../../panels/bench_panel.py" line="204" />
        <source>{0} left out: {1} is a program and was not allowed to run</source>
        <translation>已跳过 {0}：{1} 是程序，未被允许运行</translation>
    </message>
    <message>
        <location filename="../../panels/bench_panel.py" line="226" />
        <source>Benchmark {0}</source>
        <translation>基准测试 {0}</translation>
    </message>
    <message>
        <location filename="../../panels/bench_panel.py" line="231" />
        <source>Started: {0}</source>
        <translation>已开始：{0}</translation>
    </message>
    <message>
        <location filename="../../panels/bench_panel.py" line="248" />
        <source>Cancelling…</source>
        <translation>正在取消…</translation>
    </message>
    <message>
        <location filename="../../panels/bench_panel.py" line="267" />
        <source>{0}: loading and warm-up…</source>
        <translation>{0}：正在加载并预热…</translation>
    </message>
    <message>
        <location filename="../../panels/bench_panel.py" line="272" />
        <source>{0}: run {1}/{2}</source>
        <translation>{0}：第 {1}/{2} 次运行</translation>
    </message>
    <message>
        <location filename="../../panels/bench_panel.py" line="281" />
        <source>, {0:.1f} s</source>
        <translation>，{0:.1f} 秒</translation>
    </message>
    <message>
        <location filename="../../panels/bench_panel.py" line="282" />
        <source>Finished: Benchmark {0} (p50 {1:.3f} ms, p95 {2:.3f} ms, peak RSS {3:.0f} MB of its own process{4})</source>
        <translation>已完成：基准测试 {0}（p50 {1:.3f} 毫秒，p95 {2:.3f} 毫秒，其自身进程的峰值 RSS {3:.0f} MB{4}）</translation>
    </message>
    <message>
        <location filename="../../panels/bench_panel.py" line="289" />
        <source>Failed: Benchmark {0}: {1}</source>
        <translation>失败：基准测试 {0}：{1}</translation>
    </message>
    <message>
        <location filename="../../panels/bench_panel.py" line="291" />
        <source>failed: {0}</source>
        <translation>失败：{0}</translation>
    </message>
    <message>
        <location filename="../../panels/bench_panel.py" line="301" />
        <source>{0} variant(s) done</source>
        <translation>{0} 个版本</translation>
    </message>
    <message>
        <location filename="../../panels/bench_panel.py" line="303" />
        <source>{0}, {1} failed</source>
        <translation>{0}，{1} 个失败</translation>
    </message>
    <message>
        <location filename="../../panels/bench_panel.py" line="304" />
        <source>Cancelled: {0}</source>
        <translation>已取消：{0}</translation>
    </message>
    <message>
        <location filename="../../panels/bench_panel.py" line="304" />
        <source>Finished: {0}</source>
        <translation>已完成：{0}</translation>
    </message>
    <message>
        <location filename="../../panels/bench_panel.py" line="306" />
        <source>Cancelled: Benchmark ({0})</source>
        <translation>已取消：基准测试（{0}）</translation>
    </message>
    <message>
        <location filename="../../panels/bench_panel.py" line="331" />
        <source>Save charts as PNG</source>
        <translation>将图表保存为 PNG</translation>
    </message>
    <message>
        <location filename="../../panels/bench_panel.py" line="332" />
        <source>PNG image (*.png)</source>
        <translation>PNG 图片 (*.png)</translation>
    </message>
    <message>
        <location filename="../../panels/bench_panel.py" line="367" />
        <source>Copied: {0}</source>
        <translation>已复制：{0}</translation>
    </message>
</context>
<context>
    <name>BenchTable</name>
    <message>
        <location filename="../../panels/bench_table.py" line="35" />
        <source>Variant</source>
        <translation>版本</translation>
    </message>
    <message>
        <location filename="../../panels/bench_table.py" line="35" />
        <source>Provider</source>
        <translation>执行提供程序</translation>
    </message>
    <message>
        <location filename="../../panels/bench_table.py" line="35" />
        <source>Runtime</source>
        <translation>运行时</translation>
    </message>
    <message>
        <location filename="../../panels/bench_table.py" line="36" />
        <source>Threads</source>
        <translation>线程数</translation>
    </message>
    <message>
        <location filename="../../panels/bench_table.py" line="36" />
        <source>p50 ms</source>
        <translation>p50（毫秒）</translation>
    </message>
    <message>
        <location filename="../../panels/bench_table.py" line="37" />
        <source>p95 ms</source>
        <translation>p95（毫秒）</translation>
    </message>
    <message>
        <location filename="../../panels/bench_table.py" line="37" />
        <source>p99 ms</source>
        <translation>p99（毫秒）</translation>
    </message>
    <message>
        <location filename="../../panels/bench_table.py" line="37" />
        <source>mean ms</source>
        <translation>平均（毫秒）</translation>
    </message>
    <message>
        <location filename="../../panels/bench_table.py" line="38" />
        <source>std ms</source>
        <translation>标准差（毫秒）</translation>
    </message>
    <message>
        <location filename="../../panels/bench_table.py" line="38" />
        <source>throughput /s</source>
        <translation>吞吐量（每秒）</translation>
    </message>
    <message>
        <location filename="../../panels/bench_table.py" line="39" />
        <source>peak RSS MB</source>
        <translation>峰值 RSS（MB）</translation>
    </message>
    <message>
        <location filename="../../panels/bench_table.py" line="39" />
        <source>GPU peak MB</source>
        <translation>GPU 峰值（MB）</translation>
    </message>
    <message>
        <location filename="../../panels/bench_table.py" line="39" />
        <source>runs</source>
        <translation>运行次数</translation>
    </message>
    <message>
        <location filename="../../panels/bench_table.py" line="74" />
        <source>{0} ({1} sequences one after another)</source>
        <translation>{0}（{1} 个序列依次运行）</translation>
    </message>
</context>
<context>
    <name>ChatPanel</name>
    <message>
        <location filename="../../panels/chat_column.py" line="53" />
        <source>{0} does not generate text</source>
        <translation>{0} 不能生成文本</translation>
    </message>
    <message>
        <location filename="../../panels/chat_column.py" line="55" />
        <source>{0} is not installed here</source>
        <translation>此处未安装 {0}</translation>
    </message>
    <message>
        <location filename="../../panels/chat_panel.py" line="48" />
        <location filename="../../panels/chat_panel.py" line="239" />
        <location filename="../../panels/chat_panel.py" line="243" />
        <source>Chat</source>
        <translation>对话</translation>
    </message>
    <message>
        <location filename="../../panels/chat_panel.py" line="49" />
        <source>Ask the model something and watch PyTorch, ONNX Runtime and every quantized variant answer token by token, side by side. Under each answer: its speed, and whether it picks the same tokens as PyTorch.</source>
        <translation>向模型提个问题，看 PyTorch、ONNX Runtime 和每个量化版本并排逐个词元地作答。每个回答下方显示速度，以及它选出的词元是否与 PyTorch 相同。</translation>
    </message>
    <message>
        <location filename="../../panels/chat_boxes.py" line="28" />
        <source>Who answers</source>
        <translation>由谁回答</translation>
    </message>
    <message>
        <location filename="../../panels/chat_boxes.py" line="32" />
        <source>a folder written by Export for chat (model.onnx with past key values, plus the tokenizer)</source>
        <translation>由“导出用于对话”生成的文件夹（带历史键值缓存的 model.onnx 及分词器）</translation>
    </message>
    <message>
        <location filename="../../panels/chat_boxes.py" line="36" />
        <location filename="../../panels/chat_panel.py" line="202" />
        <location filename="../../panels/chat_panel.py" line="205" />
        <source>Export for chat</source>
        <translation>导出用于对话</translation>
    </message>
    <message>
        <location filename="../../panels/chat_boxes.py" line="37" />
        <source>Export the loaded PyTorch model as a decoder with past key values (task text-generation-with-past) into the output folder</source>
        <translation>将已加载的 PyTorch 模型导出为带历史键值缓存的解码器（任务 text-generation-with-past），保存到输出文件夹</translation>
    </message>
    <message>
        <location filename="../../panels/chat_boxes.py" line="43" />
        <source>ONNX decoder folder:</source>
        <translation>ONNX 解码器文件夹：</translation>
    </message>
    <message>
        <location filename="../../panels/chat_boxes.py" line="45" />
        <source>Also answer with PyTorch from</source>
        <translation>同时用 PyTorch 回答，模型来自</translation>
    </message>
    <message>
        <location filename="../../panels/chat_boxes.py" line="51" />
        <source>PyTorch:</source>
        <translation>PyTorch：</translation>
    </message>
    <message>
        <location filename="../../panels/chat_boxes.py" line="56" />
        <source>Add variant…</source>
        <translation>添加变体…</translation>
    </message>
    <message>
        <location filename="../../panels/chat_boxes.py" line="60" />
        <source>Quantized variants:</source>
        <translation>量化变体：</translation>
    </message>
    <message>
        <location filename="../../panels/chat_boxes.py" line="68" />
        <source>Prompt</source>
        <translation>提示词</translation>
    </message>
    <message>
        <location filename="../../panels/chat_boxes.py" line="71" />
        <location filename="../../panels/chat_panel.py" line="109" />
        <source>Type a prompt, then Ctrl+Enter or Send</source>
        <translation>输入提示词，然后按 Ctrl+Enter 或点击“发送”</translation>
    </message>
    <message>
        <location filename="../../panels/chat_boxes.py" line="76" />
        <source>Encoder-decoder model (translation, summary): single turn, the text above is its input and each column shows its output; no chat template</source>
        <translation>编码器-解码器模型（翻译、摘要）：单轮对话，上方文本是它的输入，每一栏显示它的输出；不使用对话模板</translation>
    </message>
    <message>
        <location filename="../../panels/chat_boxes.py" line="84" />
        <source>Max new tokens:</source>
        <translation>最多新词元数：</translation>
    </message>
    <message>
        <location filename="../../panels/chat_boxes.py" line="91" />
        <source>Greedy (most likely token)</source>
        <translation>贪心（取最可能的词元）</translation>
    </message>
    <message>
        <location filename="../../panels/chat_boxes.py" line="92" />
        <source>Sampling</source>
        <translation>采样</translation>
    </message>
    <message>
        <location filename="../../panels/chat_boxes.py" line="95" />
        <source>Temperature:</source>
        <translation>温度：</translation>
    </message>
    <message>
        <location filename="../../panels/chat_boxes.py" line="100" />
        <source>Seed:</source>
        <translation>随机种子：</translation>
    </message>
    <message>
        <location filename="../../panels/chat_boxes.py" line="109" />
        <source>llama.cpp KV cache:</source>
        <translation>llama.cpp 键值缓存：</translation>
    </message>
    <message>
        <location filename="../../panels/chat_boxes.py" line="111" />
        <source>f16 (default)</source>
        <translation>f16（默认）</translation>
    </message>
    <message>
        <location filename="../../panels/chat_boxes.py" line="113" />
        <source>The KV cache type llama.cpp answers the .gguf columns with: f16 is what a deployment runs; f32 keeps the cache at full precision, so only the file's own rounding differs from PyTorch</source>
        <translation>llama.cpp 回答 .gguf 各列所用的键值缓存类型：f16 是部署时的实际情况；f32 以全精度保存缓存，因此与 PyTorch 的差别只来自文件本身的舍入</translation>
    </message>
    <message>
        <location filename="../../panels/chat_boxes.py" line="119" />
        <source>Send</source>
        <translation>发送</translation>
    </message>
    <message>
        <location filename="../../panels/chat_boxes.py" line="122" />
        <source>Ctrl+Enter</source>
        <translation>Ctrl+Enter</translation>
    </message>
    <message>
        <location filename="../../panels/chat_boxes.py" line="124" />
        <source>Stop</source>
        <translation>停止</translation>
    </message>
    <message>
        <location filename="../../panels/chat_panel.py" line="79" />
        <source>(no model loaded)</source>
        <translation>（尚未加载模型）</translation>
    </message>
    <message>
        <location filename="../../panels/chat_panel.py" line="108" />
        <source>Text to translate or summarise, then Ctrl+Enter or Send</source>
        <translation>输入要翻译或摘要的文本，然后按 Ctrl+Enter 或点击“发送”</translation>
    </message>
    <message>
        <location filename="../../panels/chat_panel.py" line="130" />
        <source>{0} (cannot answer here: {1})</source>
        <translation>{0}（无法在此回答：{1}）</translation>
    </message>
    <message>
        <location filename="../../panels/chat_panel.py" line="153" />
        <source>Add a quantized decoder</source>
        <translation>添加量化解码器</translation>
    </message>
    <message>
        <location filename="../../panels/chat_panel.py" line="155" />
        <source>Models ({0})</source>
        <translation>模型 ({0})</translation>
    </message>
    <message>
        <location filename="../../panels/chat_panel.py" line="166" />
        <source>PyTorch</source>
        <translation>PyTorch</translation>
    </message>
    <message>
        <location filename="../../panels/chat_panel.py" line="169" />
        <source>ONNX Runtime fp32</source>
        <translation>ONNX Runtime fp32</translation>
    </message>
    <message>
        <location filename="../../panels/chat_panel.py" line="179" />
        <source>ONNX Runtime {0}</source>
        <translation>ONNX Runtime {0}</translation>
    </message>
    <message>
        <location filename="../../panels/chat_panel.py" line="185" />
        <source>Load a Hugging Face model (for PyTorch) or choose an ONNX decoder folder: one answer column appears for each.</source>
        <translation>加载一个 Hugging Face 模型（用于 PyTorch）或选择一个 ONNX 解码器文件夹：每个都会出现一列回答。</translation>
    </message>
    <message>
        <location filename="../../panels/chat_panel.py" line="194" />
        <source>Load a Hugging Face model first: the chat decoder is exported from it.</source>
        <translation>请先加载一个 Hugging Face 模型：对话用的解码器由它导出。</translation>
    </message>
    <message>
        <location filename="../../panels/chat_panel.py" line="216" />
        <source>Decoder ready for chat: {0}</source>
        <translation>对话解码器已就绪：{0}</translation>
    </message>
    <message>
        <location filename="../../panels/chat_panel.py" line="239" />
        <location filename="../../panels/chat_panel.py" line="337" />
        <source>Type a prompt first.</source>
        <translation>请先输入提示词。</translation>
    </message>
    <message>
        <location filename="../../panels/chat_panel.py" line="243" />
        <source>Load a Hugging Face model or choose an ONNX decoder folder first.</source>
        <translation>请先加载一个 Hugging Face 模型或选择一个 ONNX 解码器文件夹。</translation>
    </message>
    <message>
        <location filename="../../panels/chat_panel.py" line="253" />
        <source>Chat: {0}</source>
        <translation>对话：{0}</translation>
    </message>
    <message>
        <location filename="../../panels/chat_panel.py" line="280" />
        <source>loading the model…</source>
        <translation>正在加载模型…</translation>
    </message>
    <message>
        <location filename="../../panels/chat_panel.py" line="284" />
        <source>answering…</source>
        <translation>正在回答…</translation>
    </message>
    <message>
        <location filename="../../panels/chat_panel.py" line="292" />
        <source>done</source>
        <translation>完成</translation>
    </message>
    <message>
        <location filename="../../panels/chat_panel.py" line="299" />
        <source>Failed: {0}</source>
        <translation>失败：{0}</translation>
    </message>
    <message>
        <location filename="../../panels/chat_panel.py" line="309" />
        <source>the reference the others are compared with</source>
        <translation>其他各列与之比较的基准</translation>
    </message>
    <message>
        <location filename="../../panels/chat_panel.py" line="313" />
        <source>sampled: not compared token for token</source>
        <translation>采样生成：不逐词元比较</translation>
    </message>
    <message>
        <location filename="../../panels/chat_panel.py" line="315" />
        <source>no PyTorch answer to compare with</source>
        <translation>没有可比较的 PyTorch 回答</translation>
    </message>
    <message>
        <location filename="../../panels/chat_panel.py" line="317" />
        <source>PyTorch gave no answer to compare with</source>
        <translation>PyTorch 没有给出可比较的回答</translation>
    </message>
    <message>
        <location filename="../../panels/chat_panel.py" line="324" />
        <source>stopped</source>
        <translation>已停止</translation>
    </message>
    <message>
        <location filename="../../panels/chat_panel.py" line="325" />
        <source>no answer</source>
        <translation>无回答</translation>
    </message>
    <message>
        <location filename="../../panels/chat_panel.py" line="335" />
        <source>Choose an ONNX decoder folder first.</source>
        <translation>请先选择一个 ONNX 解码器文件夹。</translation>
    </message>
</context>
<context>
    <name>DemoRunner</name>
    <message>
        <location filename="../../demo.py" line="52" />
        <source>Building a tiny demo language model (random weights, a few hundred kB).</source>
        <translation>正在构建一个微型演示语言模型（随机权重，只有几百 KB）。</translation>
    </message>
    <message>
        <location filename="../../demo.py" line="54" />
        <source>Step 1: loading the model and checking it for problems.</source>
        <translation>第 1 步：加载模型并检查是否存在问题。</translation>
    </message>
    <message>
        <location filename="../../demo.py" line="55" />
        <source>Step 2: exporting to ONNX, a format that many runtimes and devices understand.</source>
        <translation>第 2 步：导出为 ONNX——一种众多推理引擎和设备都支持的格式。</translation>
    </message>
    <message>
        <location filename="../../demo.py" line="57" />
        <source>Step 3: checking that the ONNX model computes the same numbers as PyTorch.</source>
        <translation>第 3 步：检查 ONNX 模型的计算结果是否与 PyTorch 一致。</translation>
    </message>
    <message>
        <location filename="../../demo.py" line="59" />
        <source>Step 4: making an 8-bit version that is smaller and usually faster.</source>
        <translation>第 4 步：生成 8 位量化版本，体积更小，通常也更快。</translation>
    </message>
    <message>
        <location filename="../../demo.py" line="61" />
        <source>Step 5: measuring how fast the model runs.</source>
        <translation>第 5 步：测量模型的运行速度。</translation>
    </message>
    <message>
        <location filename="../../demo.py" line="74" />
        <source>Demo: watch the workbench take a model from PyTorch to a fast, small ONNX model.</source>
        <translation>演示：看工作台如何把 PyTorch 模型变成小巧、快速的 ONNX 模型。</translation>
    </message>
    <message>
        <location filename="../../demo.py" line="94" />
        <source>Demo finished: every step succeeded. Open the Graph tab to explore the model.</source>
        <translation>演示完成：所有步骤均已成功。打开“计算图”标签页即可浏览模型。</translation>
    </message>
    <message>
        <location filename="../../demo.py" line="110" />
        <source>The demo stopped at '{0}': the step could not start.</source>
        <translation>演示在“{0}”处停止：该步骤无法启动。</translation>
    </message>
    <message>
        <location filename="../../demo.py" line="146" />
        <source>The demo stopped at '{0}': see the Jobs and Log panes.</source>
        <translation>演示在“{0}”处停止：请查看“任务”和“日志”面板。</translation>
    </message>
    <message>
        <location filename="../../demo.py" line="159" />
        <source>Using the demo model built earlier in {0}.</source>
        <translation>使用之前在 {0} 中构建的演示模型。</translation>
    </message>
    <message>
        <location filename="../../demo.py" line="162" />
        <source>Build the demo model</source>
        <translation>构建演示模型</translation>
    </message>
</context>
<context>
    <name>DeployPanel</name>
    <message>
        <location filename="../../panels/deploy_panel.py" line="42" />
        <location filename="../../panels/deploy_panel.py" line="54" />
        <source>Generate</source>
        <translation>生成</translation>
    </message>
    <message>
        <location filename="../../panels/deploy_panel.py" line="50" />
        <location filename="../../panels/deploy_panel.py" line="91" />
        <location filename="../../panels/deploy_panel.py" line="94" />
        <source>Deploy</source>
        <translation>部署</translation>
    </message>
    <message>
        <location filename="../../panels/deploy_panel.py" line="50" />
        <source>Write a small program that loads the artifact with its runtime, feeds inputs of its names, shapes and types, and prints the outputs: a starting point for your service.</source>
        <translation>生成一个小程序：用产物对应的运行时加载它，按其输入的名称、形状和类型提供输入，并打印输出，作为你的服务的起点。</translation>
    </message>
    <message>
        <location filename="../../panels/deploy_panel.py" line="53" />
        <source>Program</source>
        <translation>程序</translation>
    </message>
    <message>
        <location filename="../../panels/deploy_panel.py" line="55" />
        <source>Artifact</source>
        <translation>产物</translation>
    </message>
    <message>
        <location filename="../../panels/deploy_panel.py" line="56" />
        <source>Language</source>
        <translation>语言</translation>
    </message>
    <message>
        <location filename="../../panels/deploy_panel.py" line="57" />
        <source>Output folder</source>
        <translation>输出文件夹</translation>
    </message>
    <message>
        <location filename="../../panels/deploy_panel.py" line="58" />
        <source>An exported .onnx, OpenVINO .xml, .gguf, or a model encrypted with workbench encrypt (.enc)</source>
        <translation>导出的 .onnx、OpenVINO .xml、.gguf，或用 workbench encrypt 加密的模型（.enc）</translation>
    </message>
    <message>
        <location filename="../../panels/deploy_panel.py" line="60" />
        <source>ONNX files: Python, C++, Java or C#; OpenVINO: Python or C++; GGUF: Python</source>
        <translation>ONNX 文件：Python、C++、Java 或 C#；OpenVINO：Python 或 C++；GGUF：Python</translation>
    </message>
    <message>
        <location filename="../../panels/deploy_panel.py" line="62" />
        <source>A new folder; the program's files are written into it</source>
        <translation>一个新文件夹，程序的文件写入其中</translation>
    </message>
    <message>
        <location filename="../../panels/deploy_panel.py" line="76" />
        <source>Choose an artifact first</source>
        <translation>请先选择产物</translation>
    </message>
    <message>
        <location filename="../../panels/deploy_panel.py" line="78" />
        <source>Choose an output folder first</source>
        <translation>请先选择输出文件夹</translation>
    </message>
    <message>
        <location filename="../../panels/deploy_panel.py" line="98" />
        <source>Wrote {0} into {1}. Build and run: {2}</source>
        <translation>已将 {0} 写入 {1}。构建并运行：{2}</translation>
    </message>
</context>
<context>
    <name>ExportPanel</name>
    <message>
        <location filename="../../panels/export_panel.py" line="53" />
        <source>scalar</source>
        <translation>标量</translation>
    </message>
    <message>
        <location filename="../../panels/export_panel.py" line="55" />
        <source>(fixed size)</source>
        <translation>（固定尺寸）</translation>
    </message>
    <message>
        <location filename="../../panels/export_panel.py" line="68" />
        <location filename="../../panels/export_panel.py" line="100" />
        <location filename="../../panels/export_panel.py" line="298" />
        <source>Export</source>
        <translation>导出</translation>
    </message>
    <message>
        <location filename="../../panels/export_panel.py" line="87" />
        <location filename="../../panels/export_panel.py" line="342" />
        <source>Add to recipe</source>
        <translation>添加到配方</translation>
    </message>
    <message>
        <location filename="../../panels/export_panel.py" line="88" />
        <source>Add this target with these options to the recipe as one more artifact: a recipe run writes, validates and benchmarks it beside the others (listed in Report)</source>
        <translation>将此目标及其选项作为又一个产物添加到配方：运行配方时会与其他产物一起写出、验证并基准测试它（列在“报告”中）</translation>
    </message>
    <message>
        <location filename="../../panels/export_panel.py" line="110" />
        <source>Exporter</source>
        <translation>导出器</translation>
    </message>
    <message>
        <location filename="../../panels/export_panel.py" line="114" />
        <location filename="../../panels/export_panel.py" line="258" />
        <source>(no model loaded)</source>
        <translation>（尚未加载模型）</translation>
    </message>
    <message>
        <location filename="../../panels/export_panel.py" line="115" />
        <source>ONNX models (*.onnx)</source>
        <translation>ONNX 模型 (*.onnx)</translation>
    </message>
    <message>
        <location filename="../../panels/export_panel.py" line="127" />
        <source>exporter default</source>
        <translation>导出器默认值</translation>
    </message>
    <message>
        <location filename="../../panels/export_panel.py" line="131" />
        <source>Fold constants</source>
        <translation>常量折叠</translation>
    </message>
    <message>
        <location filename="../../panels/export_panel.py" line="133" />
        <source>Source:</source>
        <translation>来源：</translation>
    </message>
    <message>
        <location filename="../../panels/export_panel.py" line="134" />
        <source>Output:</source>
        <translation>输出：</translation>
    </message>
    <message>
        <location filename="../../panels/export_panel.py" line="135" />
        <source>Exporter:</source>
        <translation>导出器：</translation>
    </message>
    <message>
        <location filename="../../panels/export_panel.py" line="138" />
        <source>Target:</source>
        <translation>目标格式：</translation>
    </message>
    <message>
        <location filename="../../panels/export_panel.py" line="344" />
        <source>Added to the recipe: {0}</source>
        <translation>已添加到配方：{0}</translation>
    </message>
    <message>
        <location filename="../../panels/export_panel.py" line="136" />
        <source>Opset:</source>
        <translation>Opset 版本：</translation>
    </message>
    <message>
        <location filename="../../panels/export_panel.py" line="69" />
        <source>Convert the loaded model for a runtime: ONNX, or another target of the Target list (GGUF for llama.cpp, OpenVINO IR, ...) with that target's own options. For ONNX the dynamo exporter is tried first and falls back to the legacy exporter when it fails (the reason is reported). Example sizes of 2 or more keep dynamic axes dynamic.</source>
        <translation>将已加载的模型转换为某个运行时所需的格式：ONNX，或“目标格式”列表中的其他目标（用于 llama.cpp 的 GGUF、OpenVINO IR 等），并使用该目标自己的选项。对于 ONNX，优先使用 dynamo 导出器，失败时回退到旧版导出器（并报告原因）。示例尺寸取 2 或以上，动态维度才能保持动态。</translation>
    </message>
    <message>
        <location filename="../../panels/export_panel.py" line="139" />
        <source>Dtype:</source>
        <translation>数据类型：</translation>
    </message>
    <message>
        <location filename="../../panels/export_panel.py" line="148" />
        <source>Inputs and outputs</source>
        <translation>输入与输出</translation>
    </message>
    <message>
        <location filename="../../panels/export_panel.py" line="151" />
        <source>automatic (e.g. input_ids, attention_mask)</source>
        <translation>自动（例如 input_ids, attention_mask）</translation>
    </message>
    <message>
        <location filename="../../panels/export_panel.py" line="153" />
        <source>automatic (e.g. logits)</source>
        <translation>自动（例如 logits）</translation>
    </message>
    <message>
        <location filename="../../panels/export_panel.py" line="160" />
        <source>Input names:</source>
        <translation>输入名称：</translation>
    </message>
    <message>
        <location filename="../../panels/export_panel.py" line="161" />
        <source>Output names:</source>
        <translation>输出名称：</translation>
    </message>
    <message>
        <location filename="../../panels/export_panel.py" line="162" />
        <source>Example batch:</source>
        <translation>示例批大小：</translation>
    </message>
    <message>
        <location filename="../../panels/export_panel.py" line="163" />
        <source>Example sequence:</source>
        <translation>示例序列长度：</translation>
    </message>
    <message>
        <location filename="../../panels/export_panel.py" line="164" />
        <source>Leave names empty to use the model's own.</source>
        <translation>名称留空则使用模型自带的名称。</translation>
    </message>
    <message>
        <location filename="../../panels/axes_editor.py" line="29" />
        <source>Dynamic axes</source>
        <translation>动态维度</translation>
    </message>
    <message>
        <location filename="../../panels/axes_editor.py" line="32" />
        <source>Input</source>
        <translation>输入</translation>
    </message>
    <message>
        <location filename="../../panels/axes_editor.py" line="33" />
        <source>Axis</source>
        <translation>维度</translation>
    </message>
    <message>
        <location filename="../../panels/axes_editor.py" line="34" />
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <location filename="../../panels/axes_editor.py" line="41" />
        <source>Add axis</source>
        <translation>添加维度</translation>
    </message>
    <message>
        <location filename="../../panels/axes_editor.py" line="43" />
        <source>Remove</source>
        <translation>删除</translation>
    </message>
    <message>
        <location filename="../../panels/axes_editor.py" line="45" />
        <source>Batch and sequence</source>
        <translation>批大小和序列长度</translation>
    </message>
    <message>
        <location filename="../../panels/axes_editor.py" line="46" />
        <source>Make batch (axis 0) and sequence (axis 1) dynamic on input_ids and attention_mask</source>
        <translation>将 input_ids 和 attention_mask 的批大小（维度 0）和序列长度（维度 1）设为动态</translation>
    </message>
    <message>
        <location filename="../../panels/axes_editor.py" line="49" />
        <source>An empty table lets the exporter make batch and sequence dynamic on every input.</source>
        <translation>表格为空时，导出器会把每个输入的批大小和序列长度设为动态。</translation>
    </message>
    <message>
        <location filename="../../panels/export_panel.py" line="193" />
        <source>The {0} target does not use this setting.</source>
        <translation>{0} 目标不使用此设置。</translation>
    </message>
    <message>
        <location filename="../../panels/export_panel.py" line="205" />
        <source>{0} files (*{1})</source>
        <translation>{0} 文件 (*{1})</translation>
    </message>
    <message>
        <location filename="../../panels/axes_editor.py" line="93" />
        <source>Dynamic axis row {0} needs both an input and a name.</source>
        <translation>动态维度第 {0} 行需要同时填写输入和名称。</translation>
    </message>
    <message>
        <location filename="../../panels/export_panel.py" line="275" />
        <source>Load a model first (Load step).</source>
        <translation>请先加载模型（“加载”步骤）。</translation>
    </message>
    <message>
        <location filename="../../panels/export_panel.py" line="278" />
        <source>Choose where to write the exported model.</source>
        <translation>请选择导出模型的保存位置。</translation>
    </message>
    <message>
        <location filename="../../panels/export_panel.py" line="301" />
        <source>Export {0}</source>
        <translation>导出 {0}</translation>
    </message>
    <message>
        <location filename="../../panels/export_panel.py" line="306" />
        <source>Exported with the {0} exporter in {1:.1f} s: {2}</source>
        <translation>已用 {0} 导出器完成导出，耗时 {1:.1f} 秒：{2}</translation>
    </message>
    <message>
        <location filename="../../panels/export_panel.py" line="309" />
        <source>Fell back to the legacy exporter: {0}</source>
        <translation>已回退到旧版导出器：{0}</translation>
    </message>
    <message>
        <location filename="../../panels/export_panel.py" line="311" />
        <source>Inputs in the file: {0}</source>
        <translation>文件中的输入：{0}</translation>
    </message>
    <message>
        <location filename="../../panels/export_panel.py" line="313" />
        <source>Outputs in the file: {0}</source>
        <translation>文件中的输出：{0}</translation>
    </message>
</context>
<context>
    <name>GraphPanel</name>
    <message>
        <location filename="../../panels/graph_panel.py" line="50" />
        <location filename="../../panels/graph_panel.py" line="123" />
        <source>No ONNX model yet: export or open one to see its graph.</source>
        <translation>还没有 ONNX 模型：导出或打开一个模型即可查看其计算图。</translation>
    </message>
    <message>
        <location filename="../../panels/graph_panel.py" line="54" />
        <source>Filter nodes by name or op type</source>
        <translation>按名称或算子类型筛选节点</translation>
    </message>
    <message>
        <location filename="../../panels/graph_panel.py" line="68" />
        <source>Select a node in the graph or the list.</source>
        <translation>在计算图或列表中选择一个节点。</translation>
    </message>
    <message>
        <location filename="../../panels/graph_panel.py" line="133" />
        <source> · the graph opens when shown</source>
        <translation> · 显示时打开计算图</translation>
    </message>
    <message>
        <location filename="../../panels/graph_panel.py" line="150" />
        <source> · loading graph…</source>
        <translation> · 正在加载计算图…</translation>
    </message>
    <message>
        <location filename="../../panels/graph_panel.py" line="142" />
        <source>Cannot show {0}:
{1}</source>
        <translation>无法显示 {0}：
{1}</translation>
    </message>
    <message>
        <location filename="../../panels/graph_panel.py" line="226" />
        <source>{0} nodes</source>
        <translation>{0} 个节点</translation>
    </message>
    <message>
        <location filename="../../panels/graph_panel.py" line="227" />
        <source>{0} of {1} nodes</source>
        <translation>{0} / {1} 个节点</translation>
    </message>
    <message>
        <location filename="../../panels/node_details.py" line="38" />
        <source>First divergence from PyTorch</source>
        <translation>与 PyTorch 的第一处偏差</translation>
    </message>
    <message>
        <location filename="../../panels/node_details.py" line="52" />
        <source>Attributes</source>
        <translation>属性</translation>
    </message>
    <message>
        <location filename="../../panels/node_details.py" line="53" />
        <source>Metadata</source>
        <translation>元数据</translation>
    </message>
    <message>
        <location filename="../../panels/node_details.py" line="54" />
        <source>Difference against PyTorch</source>
        <translation>与 PyTorch 的差异</translation>
    </message>
    <message>
        <location filename="../../panels/node_details.py" line="65" />
        <source>Inputs</source>
        <translation>输入</translation>
    </message>
    <message>
        <location filename="../../panels/node_details.py" line="66" />
        <source>Outputs</source>
        <translation>输出</translation>
    </message>
</context>
<context>
    <name>GroupHints</name>
    <message>
        <location filename="../../panels/group_hints.py" line="11" />
        <source>What the file holds, read from its headers.</source>
        <translation>文件里有什么，从文件头读取。</translation>
    </message>
    <message>
        <location filename="../../panels/group_hints.py" line="12" />
        <source>The model's own settings (config.json).</source>
        <translation>模型自身的设置（config.json）。</translation>
    </message>
    <message>
        <location filename="../../panels/group_hints.py" line="13" />
        <source>Every weight: its name, number type and shape.</source>
        <translation>每个权重：名称、数值类型和形状。</translation>
    </message>
    <message>
        <location filename="../../panels/group_hints.py" line="14" />
        <source>How the model becomes an ONNX file: the exporter, the ONNX version and the number type.</source>
        <translation>模型如何变成 ONNX 文件：导出器、ONNX 版本和数值类型。</translation>
    </message>
    <message>
        <location filename="../../panels/group_hints.py" line="16" />
        <source>The example inputs the model is traced with; their sizes are only an example.</source>
        <translation>追踪模型所用的示例输入；其尺寸仅为示例。</translation>
    </message>
    <message>
        <location filename="../../panels/group_hints.py" line="18" />
        <source>Dimensions that may change at run time (batch, sequence); a fixed one takes one size only.</source>
        <translation>运行时可以变化的维度（批大小、序列长度）；固定的维度只接受一种尺寸。</translation>
    </message>
    <message>
        <location filename="../../panels/group_hints.py" line="20" />
        <source>The ONNX file and PyTorch run the same inputs; their outputs must agree.</source>
        <translation>ONNX 文件与 PyTorch 使用相同的输入运行，二者的输出必须一致。</translation>
    </message>
    <message>
        <location filename="../../panels/group_hints.py" line="22" />
        <source>Which graph rewrites to apply; the result is a new file, the model stays as it is.</source>
        <translation>要应用哪些计算图改写；结果是一个新文件，原模型保持不变。</translation>
    </message>
    <message>
        <location filename="../../panels/group_hints.py" line="24" />
        <source>Each ticked type becomes a smaller file; how close it stays to fp32 is measured.</source>
        <translation>每个勾选的类型都会生成一个更小的文件，并测量它与 fp32 的接近程度。</translation>
    </message>
    <message>
        <location filename="../../panels/group_hints.py" line="26" />
        <source>How much each node's output moves when only that node is int8: the first ones to keep fp32.</source>
        <translation>只把某个节点量化为 int8 时其输出变化多少：变化最大的应最先保留 fp32。</translation>
    </message>
    <message>
        <location filename="../../panels/group_hints.py" line="28" />
        <source>How the weights are rounded, and which data calibrates the rounding.</source>
        <translation>权重如何取整，以及用哪些数据校准取整。</translation>
    </message>
    <message>
        <location filename="../../panels/group_hints.py" line="30" />
        <source>Each ticked variant is timed in a process of its own, on the same input sizes.</source>
        <translation>每个勾选的版本都在各自的进程中、以相同的输入尺寸计时。</translation>
    </message>
    <message>
        <location filename="../../panels/group_hints.py" line="32" />
        <source>Every step's settings in one TOML file: run it here or with workbench run.</source>
        <translation>把每一步的设置写进一个 TOML 文件：可在这里运行，也可用 workbench run 运行。</translation>
    </message>
    <message>
        <location filename="../../panels/group_hints.py" line="34" />
        <source>GGUF, OpenVINO and MNN artifacts the recipe also writes, validates and benchmarks: add them in Export (Add to recipe), or load a recipe that has them.</source>
        <translation>配方还会写出、验证并基准测试的 GGUF、OpenVINO 和 MNN 产物：在“导出”中添加（添加到配方），或加载包含它们的配方。</translation>
    </message>
    <message>
        <location filename="../../panels/group_hints.py" line="37" />
        <source>Each engine ticked here answers the same prompt in a column of its own.</source>
        <translation>这里勾选的每个引擎都在各自的一栏中回答同一个提示词。</translation>
    </message>
    <message>
        <location filename="../../panels/group_hints.py" line="39" />
        <source>The text every engine continues; greedy answers are compared token by token.</source>
        <translation>每个引擎都从这段文本接着写；贪心解码的回答会逐个词元比较。</translation>
    </message>
</context>
<context>
    <name>JobRowWidget</name>
    <message>
        <location filename="../../docks.py" line="73" />
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <location filename="../../docks.py" line="76" />
        <source>Details…</source>
        <translation>详细信息…</translation>
    </message>
    <message>
        <location filename="../../docks.py" line="77" />
        <source>The technical details of the failure (for a bug report)</source>
        <translation>失败的技术细节（用于报告问题）</translation>
    </message>
    <message>
        <location filename="../../docks.py" line="101" />
        <source>queued</source>
        <translation>排队中</translation>
    </message>
    <message>
        <location filename="../../docks.py" line="101" />
        <source>running</source>
        <translation>运行中</translation>
    </message>
    <message>
        <location filename="../../docks.py" line="102" />
        <source>done</source>
        <translation>完成</translation>
    </message>
    <message>
        <location filename="../../docks.py" line="102" />
        <source>failed</source>
        <translation>失败</translation>
    </message>
    <message>
        <location filename="../../docks.py" line="103" />
        <source>cancelled</source>
        <translation>已取消</translation>
    </message>
    <message>
        <location filename="../../docks.py" line="132" />
        <source>finished at {0}</source>
        <translation>于 {0} 完成</translation>
    </message>
    <message>
        <location filename="../../docks.py" line="134" />
        <source>cancelled at {0}</source>
        <translation>于 {0} 取消</translation>
    </message>
    <message>
        <location filename="../../docks.py" line="143" />
        <source>{0} failed</source>
        <translation>{0} 失败</translation>
    </message>
    <message>
        <location filename="../../docks.py" line="158" />
        <source>Time since the job started</source>
        <translation>任务开始后经过的时间</translation>
    </message>
    <message>
        <location filename="../../docks.py" line="160" />
        <source>{0} · ~{1} left</source>
        <translation>{0} · 剩余约 {1}</translation>
    </message>
    <message>
        <location filename="../../docks.py" line="162" />
        <source>Time since the job started, and the time left estimated from its progress so far</source>
        <translation>任务开始后经过的时间，以及按目前进度估计的剩余时间</translation>
    </message>
</context>
<context>
    <name>JobsWidget</name>
    <message>
        <location filename="../../docks.py" line="177" />
        <source>Clear finished</source>
        <translation>清除已结束</translation>
    </message>
    <message>
        <location filename="../../docks.py" line="190" />
        <source>No jobs yet. Long actions (inspect, export, validate, quantize, benchmark) appear here.</source>
        <translation>暂无任务。耗时操作（检查、导出、验证、量化、基准测试）会显示在这里。</translation>
    </message>
    <message>
        <location filename="../../docks.py" line="227" />
        <source>{0} running</source>
        <translation>{0} 个运行中</translation>
    </message>
    <message>
        <location filename="../../docks.py" line="227" />
        <source>Idle</source>
        <translation>空闲</translation>
    </message>
</context>
<context>
    <name>LiveChart</name>
    <message>
        <location filename="../../charts/bench.py" line="22" />
        <source>Latency per iteration</source>
        <translation>每次迭代的延迟</translation>
    </message>
    <message>
        <location filename="../../charts/bench.py" line="23" />
        <location filename="../../charts/bench.py" line="61" />
        <source>iteration</source>
        <translation>迭代</translation>
    </message>
    <message>
        <location filename="../../charts/bench.py" line="23" />
        <source>latency (ms)</source>
        <translation>延迟（毫秒）</translation>
    </message>
    <message>
        <location filename="../../charts/bench.py" line="24" />
        <source>pale: runs · solid: p50 · dashed: p95, rolling {0}</source>
        <translation>浅色：每次运行 · 实线：p50 · 虚线：p95，滚动窗口 {0}</translation>
    </message>
    <message>
        <location filename="../../charts/bench.py" line="61" />
        <source>Memory</source>
        <translation>内存</translation>
    </message>
    <message>
        <location filename="../../charts/bench.py" line="62" />
        <source>solid: RSS, dashed: GPU</source>
        <translation>实线：RSS，虚线：GPU</translation>
    </message>
    <message>
        <location filename="../../charts/live.py" line="87" />
        <source>Nothing measured yet: choose the variants and press Run</source>
        <translation>尚未测量：请选择要测的变体，然后点击“运行”</translation>
    </message>
</context>
<context>
    <name>LoadPanel</name>
    <message>
        <location filename="../../panels/load_panel.py" line="54" />
        <source>Load a model</source>
        <translation>加载模型</translation>
    </message>
    <message>
        <location filename="../../panels/load_panel.py" line="55" />
        <source>Open a checkpoint (.safetensors, .pt, .bin), a Hugging Face model folder or an ONNX file, or drop it on the window. Only headers are read where the format allows.</source>
        <translation>打开检查点（.safetensors、.pt、.bin）、Hugging Face 模型文件夹或 ONNX 文件，也可以直接拖放到窗口中。在格式允许时只读取文件头。</translation>
    </message>
    <message>
        <location filename="../../panels/load_panel.py" line="68" />
        <source>Inspect</source>
        <translation>检查</translation>
    </message>
    <message>
        <location filename="../../panels/load_panel.py" line="77" />
        <source>Path of a checkpoint, model folder or .onnx file</source>
        <translation>检查点、模型文件夹或 .onnx 文件的路径</translation>
    </message>
    <message>
        <location filename="../../panels/load_panel.py" line="79" />
        <source>Open file…</source>
        <translation>打开文件…</translation>
    </message>
    <message>
        <location filename="../../panels/load_panel.py" line="81" />
        <source>Open folder…</source>
        <translation>打开文件夹…</translation>
    </message>
    <message>
        <location filename="../../panels/load_panel.py" line="93" />
        <source>Summary</source>
        <translation>概要</translation>
    </message>
    <message>
        <location filename="../../panels/load_panel.py" line="102" />
        <source>Format:</source>
        <translation>格式：</translation>
    </message>
    <message>
        <location filename="../../panels/load_panel.py" line="103" />
        <source>Parameters:</source>
        <translation>参数量：</translation>
    </message>
    <message>
        <location filename="../../panels/load_panel.py" line="104" />
        <source>Size:</source>
        <translation>大小：</translation>
    </message>
    <message>
        <location filename="../../panels/load_panel.py" line="105" />
        <source>By dtype:</source>
        <translation>按数据类型：</translation>
    </message>
    <message>
        <location filename="../../panels/load_panel.py" line="106" />
        <source>Tensors:</source>
        <translation>张量数：</translation>
    </message>
    <message>
        <location filename="../../panels/load_panel.py" line="107" />
        <source>GGUF advice:</source>
        <translation>GGUF 建议：</translation>
    </message>
    <message>
        <location filename="../../panels/load_panel.py" line="109" />
        <source>Configuration</source>
        <translation>配置</translation>
    </message>
    <message>
        <location filename="../../panels/load_panel.py" line="111" />
        <source>Key</source>
        <translation>键</translation>
    </message>
    <message>
        <location filename="../../panels/load_panel.py" line="111" />
        <source>Value</source>
        <translation>值</translation>
    </message>
    <message>
        <location filename="../../panels/load_panel.py" line="119" />
        <source>Tensors</source>
        <translation>张量</translation>
    </message>
    <message>
        <location filename="../../panels/load_panel.py" line="122" />
        <source>Filter by name (words, or /regex/)</source>
        <translation>按名称筛选（关键词或 /正则表达式/）</translation>
    </message>
    <message>
        <location filename="../../panels/load_panel.py" line="128" />
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <location filename="../../panels/load_panel.py" line="128" />
        <source>Dtype</source>
        <translation>数据类型</translation>
    </message>
    <message>
        <location filename="../../panels/load_panel.py" line="128" />
        <source>Shape</source>
        <translation>形状</translation>
    </message>
    <message>
        <location filename="../../panels/load_panel.py" line="128" />
        <source>Elements</source>
        <translation>元素数</translation>
    </message>
    <message>
        <location filename="../../panels/load_panel.py" line="129" />
        <source>Size</source>
        <translation>大小</translation>
    </message>
    <message>
        <location filename="../../panels/load_panel.py" line="178" />
        <source>Open a model file</source>
        <translation>打开模型文件</translation>
    </message>
    <message>
        <location filename="../../panels/load_panel.py" line="179" />
        <source>Models (*.safetensors *.pt *.pth *.bin *.pt2 *.onnx *.ckpt);;All files (*)</source>
        <translation>模型 (*.safetensors *.pt *.pth *.bin *.pt2 *.onnx *.ckpt);;所有文件 (*)</translation>
    </message>
    <message>
        <location filename="../../panels/load_panel.py" line="184" />
        <source>Open a model folder</source>
        <translation>打开模型文件夹</translation>
    </message>
    <message>
        <location filename="../../panels/load_panel.py" line="215" />
        <source>Inspect {0}</source>
        <translation>检查 {0}</translation>
    </message>
    <message>
        <location filename="../../panels/load_panel.py" line="247" />
        <source>&lt;b&gt;Could not load {0}:&lt;/b&gt; {1}</source>
        <translation>&lt;b&gt;无法加载 {0}：&lt;/b&gt;{1}</translation>
    </message>
    <message>
        <location filename="../../panels/load_panel.py" line="248" />
        <source>this model</source>
        <translation>此模型</translation>
    </message>
    <message>
        <location filename="../../panels/load_text.py" line="38" />
        <source>nodes</source>
        <translation>节点数</translation>
    </message>
    <message>
        <location filename="../../panels/load_text.py" line="59" />
        <source>none (no GGUF conversion for this model)</source>
        <translation>无（此模型没有 GGUF 转换）</translation>
    </message>
    <message>
        <location filename="../../panels/load_text.py" line="63" />
        <source>none fits the {0} available</source>
        <translation>可用的 {0} 放不下任何类型</translation>
    </message>
    <message>
        <location filename="../../panels/load_text.py" line="64" />
        <source>workbench advise {0} explains why</source>
        <translation>workbench advise {0} 会说明原因</translation>
    </message>
    <message>
        <location filename="../../panels/load_text.py" line="67" />
        <source>{0}, needs ~{1}</source>
        <translation>{0}，约需 {1}</translation>
    </message>
    <message>
        <location filename="../../panels/load_text.py" line="68" />
        <source>{0} in llama.cpp, of the {1} available; measured fidelity {2:.4f}; workbench advise {3} explains why</source>
        <translation>llama.cpp 中的 {0}（可用 {1}）；实测保真度 {2:.4f}；workbench advise {3} 会说明原因</translation>
    </message>
    <message>
        <location filename="../../panels/load_text.py" line="80" />
        <source>Notes:</source>
        <translation>说明：</translation>
    </message>
    <message>
        <location filename="../../panels/load_text.py" line="83" />
        <source>&lt;b&gt;Before you export, fix these:&lt;/b&gt;</source>
        <translation>&lt;b&gt;导出前请先解决以下问题：&lt;/b&gt;</translation>
    </message>
    <message>
        <location filename="../../panels/load_text.py" line="85" />
        <source>No problems found: the model is ready to export.</source>
        <translation>未发现问题：模型可以导出。</translation>
    </message>
    <message>
        <location filename="../../panels/load_panel.py" line="317" />
        <source>{0} of {1} tensors shown</source>
        <translation>显示 {0} / {1} 个张量</translation>
    </message>
    <message>
        <location filename="../../panels/load_panel.py" line="335" />
        <source>Open a model first.</source>
        <translation>请先打开模型。</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <location filename="../../main_window.py" line="73" />
        <location filename="../../window_view.py" line="79" />
        <source>Model Workbench</source>
        <translation>模型工作台</translation>
    </message>
    <message>
        <location filename="../../window_panels.py" line="59" />
        <source>The benchmark panel is not available</source>
        <translation>基准测试面板不可用</translation>
    </message>
    <message>
        <location filename="../../window_panels.py" line="63" />
        <source>Load</source>
        <translation>加载</translation>
    </message>
    <message>
        <location filename="../../window_panels.py" line="64" />
        <source>Export</source>
        <translation>导出</translation>
    </message>
    <message>
        <location filename="../../window_panels.py" line="65" />
        <source>Validate</source>
        <translation>验证</translation>
    </message>
    <message>
        <location filename="../../window_panels.py" line="66" />
        <source>Optimize</source>
        <translation>优化</translation>
    </message>
    <message>
        <location filename="../../window_panels.py" line="67" />
        <source>Quantize</source>
        <translation>量化</translation>
    </message>
    <message>
        <location filename="../../window_panels.py" line="68" />
        <source>Benchmark</source>
        <translation>基准测试</translation>
    </message>
    <message>
        <location filename="../../window_panels.py" line="69" />
        <source>Report</source>
        <translation>报告</translation>
    </message>
    <message>
        <location filename="../../window_panels.py" line="70" />
        <source>Deploy</source>
        <translation>部署</translation>
    </message>
    <message>
        <location filename="../../window_panels.py" line="71" />
        <source>Chat</source>
        <translation>对话</translation>
    </message>
    <message>
        <location filename="../../window_panels.py" line="85" />
        <source>The graph view is not available</source>
        <translation>计算图视图不可用</translation>
    </message>
    <message>
        <location filename="../../window_panels.py" line="96" />
        <location filename="../../window_panels.py" line="99" />
        <source>Pipeline</source>
        <translation>流程</translation>
    </message>
    <message>
        <location filename="../../window_panels.py" line="97" />
        <source>Graph</source>
        <translation>计算图</translation>
    </message>
    <message>
        <location filename="../../window_docks.py" line="43" />
        <source>Jobs</source>
        <translation>任务</translation>
    </message>
    <message>
        <location filename="../../window_docks.py" line="49" />
        <source>Log</source>
        <translation>日志</translation>
    </message>
    <message>
        <location filename="../../window_actions.py" line="37" />
        <source>&amp;Open file…</source>
        <translation>打开文件(&amp;O)…</translation>
    </message>
    <message>
        <location filename="../../window_actions.py" line="38" />
        <source>Open a checkpoint or an ONNX file</source>
        <translation>打开检查点或 ONNX 文件</translation>
    </message>
    <message>
        <location filename="../../window_actions.py" line="40" />
        <source>Open &amp;folder…</source>
        <translation>打开文件夹(&amp;F)…</translation>
    </message>
    <message>
        <location filename="../../window_actions.py" line="41" />
        <source>Open a Hugging Face model folder</source>
        <translation>打开 Hugging Face 模型文件夹</translation>
    </message>
    <message>
        <location filename="../../window_actions.py" line="43" />
        <source>Open &amp;recipe…</source>
        <translation>打开配方(&amp;R)…</translation>
    </message>
    <message>
        <location filename="../../window_actions.py" line="45" />
        <source>&amp;Save recipe…</source>
        <translation>保存配方(&amp;S)…</translation>
    </message>
    <message>
        <location filename="../../window_actions.py" line="48" />
        <source>Open s&amp;weep report…</source>
        <translation>打开扫描报告(&amp;W)…</translation>
    </message>
    <message>
        <location filename="../../window_actions.py" line="49" />
        <source>Show a sweep's curves and table, live while it runs</source>
        <translation>显示扫描的曲线和表格，运行期间实时更新</translation>
    </message>
    <message>
        <location filename="../../window_actions.py" line="50" />
        <source>&amp;Quit</source>
        <translation>退出(&amp;Q)</translation>
    </message>
    <message>
        <location filename="../../window_actions.py" line="51" />
        <source>&amp;Export</source>
        <translation>导出(&amp;E)</translation>
    </message>
    <message>
        <location filename="../../window_actions.py" line="52" />
        <source>Export the loaded model to ONNX</source>
        <translation>将已加载的模型导出为 ONNX</translation>
    </message>
    <message>
        <location filename="../../window_actions.py" line="53" />
        <source>&amp;Validate</source>
        <translation>验证(&amp;V)</translation>
    </message>
    <message>
        <location filename="../../window_actions.py" line="54" />
        <source>Compare the ONNX model with PyTorch</source>
        <translation>将 ONNX 模型与 PyTorch 进行比较</translation>
    </message>
    <message>
        <location filename="../../window_actions.py" line="55" />
        <source>&amp;Quantize</source>
        <translation>量化(&amp;Q)</translation>
    </message>
    <message>
        <location filename="../../window_actions.py" line="56" />
        <source>Build the ticked quantized variants</source>
        <translation>构建勾选的量化版本</translation>
    </message>
    <message>
        <location filename="../../window_actions.py" line="57" />
        <source>&amp;Benchmark</source>
        <translation>基准测试(&amp;B)</translation>
    </message>
    <message>
        <location filename="../../window_actions.py" line="58" />
        <source>Benchmark the current model</source>
        <translation>对当前模型进行基准测试</translation>
    </message>
    <message>
        <location filename="../../window_actions.py" line="59" />
        <source>Run the &amp;demo</source>
        <translation>运行演示(&amp;D)</translation>
    </message>
    <message>
        <location filename="../../window_actions.py" line="60" />
        <source>Build a tiny model and walk through every step</source>
        <translation>构建一个微型模型并演示每个步骤</translation>
    </message>
    <message>
        <location filename="../../window_actions.py" line="61" />
        <source>&amp;About Model Workbench</source>
        <translation>关于模型工作台(&amp;A)</translation>
    </message>
    <message>
        <location filename="../../window_actions.py" line="74" />
        <source>&amp;File</source>
        <translation>文件(&amp;F)</translation>
    </message>
    <message>
        <location filename="../../window_actions.py" line="77" />
        <source>Recent files</source>
        <translation>最近打开</translation>
    </message>
    <message>
        <location filename="../../window_actions.py" line="86" />
        <source>&amp;Run</source>
        <translation>运行(&amp;R)</translation>
    </message>
    <message>
        <location filename="../../window_actions.py" line="91" />
        <source>&amp;View</source>
        <translation>视图(&amp;V)</translation>
    </message>
    <message>
        <location filename="../../window_actions.py" line="92" />
        <source>Theme</source>
        <translation>主题</translation>
    </message>
    <message>
        <location filename="../../window_actions.py" line="94" />
        <source>Light</source>
        <translation>浅色</translation>
    </message>
    <message>
        <location filename="../../window_actions.py" line="94" />
        <source>Dark</source>
        <translation>深色</translation>
    </message>
    <message>
        <location filename="../../window_actions.py" line="101" />
        <source>Language</source>
        <translation>语言</translation>
    </message>
    <message>
        <location filename="../../window_actions.py" line="113" />
        <source>&amp;Help</source>
        <translation>帮助(&amp;H)</translation>
    </message>
    <message>
        <location filename="../../window_actions.py" line="118" />
        <source>Main toolbar</source>
        <translation>主工具栏</translation>
    </message>
    <message>
        <location filename="../../window_docks.py" line="70" />
        <location filename="../../window_panels.py" line="145" />
        <source>No model loaded</source>
        <translation>尚未加载模型</translation>
    </message>
    <message>
        <location filename="../../window_docks.py" line="78" />
        <source>Open a model (Ctrl+O), drop one on the window, or run the demo.</source>
        <translation>打开模型（Ctrl+O）、将模型拖放到窗口中，或运行演示。</translation>
    </message>
    <message>
        <location filename="../../window_panels.py" line="141" />
        <source>The graph view could not open {0}: {1}</source>
        <translation>计算图视图无法打开 {0}：{1}</translation>
    </message>
    <message>
        <location filename="../../window_panels.py" line="144" />
        <source>Model: {0}</source>
        <translation>模型：{0}</translation>
    </message>
    <message>
        <location filename="../../window_panels.py" line="151" />
        <source>ONNX: {0}</source>
        <translation>ONNX：{0}</translation>
    </message>
    <message>
        <location filename="../../window_panels.py" line="164" />
        <source>Load a model first: the last load failed ({0})</source>
        <translation>请先加载模型：上次加载失败（{0}）</translation>
    </message>
    <message>
        <location filename="../../window_docks.py" line="82" />
        <source>{0} job(s) running</source>
        <translation>{0} 个任务运行中</translation>
    </message>
    <message>
        <location filename="../../window_docks.py" line="88" />
        <source>Node {0} ({1})</source>
        <translation>节点 {0}（{1}）</translation>
    </message>
    <message>
        <location filename="../../window_actions.py" line="150" />
        <source>(none)</source>
        <translation>（无）</translation>
    </message>
    <message>
        <location filename="../../window_actions.py" line="153" />
        <source>Clear the list</source>
        <translation>清空列表</translation>
    </message>
    <message>
        <location filename="../../window_view.py" line="72" />
        <source>not installed</source>
        <translation>未安装</translation>
    </message>
    <message>
        <location filename="../../window_view.py" line="80" />
        <source>Take a trained model to deployment: export, validate, optimize, quantize, benchmark.</source>
        <translation>把训练好的模型带到部署：导出、验证、优化、量化、基准测试。</translation>
    </message>
    <message>
        <location filename="../../window_view.py" line="85" />
        <source>About Model Workbench</source>
        <translation>关于模型工作台</translation>
    </message>
    <message>
        <location filename="../../main_window.py" line="155" />
        <source>Jobs are running</source>
        <translation>有任务正在运行</translation>
    </message>
    <message>
        <location filename="../../main_window.py" line="156" />
        <source>{0} job(s) are still running. Cancel them and quit?</source>
        <translation>仍有 {0} 个任务在运行。要取消它们并退出吗？</translation>
    </message>
    <message>
        <location filename="../../main_window.py" line="180" />
        <source>Some jobs did not stop in time.</source>
        <translation>部分任务未能及时停止。</translation>
    </message>
</context>
<context>
    <name>ModeOptions</name>
    <message>
        <location filename="../../panels/quantize_options.py" line="81" />
        <source>default: {0}</source>
        <translation>默认：{0}</translation>
    </message>
    <message>
        <location filename="../../panels/quantize_options.py" line="82" />
        <source>The variant's file-name part in a recipe run: quantized/model.NAME.onnx</source>
        <translation>配方运行时该版本文件名中的部分：quantized/model.NAME.onnx</translation>
    </message>
    <message>
        <location filename="../../panels/quantize_options.py" line="83" />
        <source>Name:</source>
        <translation>名称：</translation>
    </message>
    <message>
        <location filename="../../panels/quantize_options.py" line="85" />
        <source>Per-channel weights (more accurate)</source>
        <translation>逐通道量化权重（更精确）</translation>
    </message>
    <message>
        <location filename="../../panels/quantize_options.py" line="92" />
        <source>Weights per quantization block: a power of two from 16 up</source>
        <translation>每个量化块的权重数：16 及以上的 2 的幂</translation>
    </message>
    <message>
        <location filename="../../panels/quantize_options.py" line="93" />
        <source>Block size:</source>
        <translation>块大小：</translation>
    </message>
    <message>
        <location filename="../../panels/quantize_options.py" line="97" />
        <source>rtn: round to nearest; hqq: half-quadratic (asymmetric); gptq: error-correcting, needs calibration data</source>
        <translation>rtn：就近取整；hqq：半二次量化（非对称）；gptq：误差补偿，需要校准数据</translation>
    </message>
    <message>
        <location filename="../../panels/quantize_options.py" line="100" />
        <source>Algorithm:</source>
        <translation>算法：</translation>
    </message>
    <message>
        <location filename="../../panels/quantize_options.py" line="102" />
        <source>Symmetric (no zero point)</source>
        <translation>对称（无零点）</translation>
    </message>
    <message>
        <location filename="../../panels/quantize_options.py" line="106" />
        <source>.txt of lines, or a folder of .npy/.npz</source>
        <translation>按行书写的 .txt，或存放 .npy/.npz 的文件夹</translation>
    </message>
    <message>
        <location filename="../../panels/quantize_options.py" line="109" />
        <source>File…</source>
        <translation>文件…</translation>
    </message>
    <message>
        <location filename="../../panels/quantize_options.py" line="110" />
        <source>Folder…</source>
        <translation>文件夹…</translation>
    </message>
    <message>
        <location filename="../../panels/quantize_options.py" line="115" />
        <source>Calibration data:</source>
        <translation>校准数据：</translation>
    </message>
    <message>
        <location filename="../../panels/quantize_options.py" line="117" />
        <source>default: the model's folder</source>
        <translation>默认：模型所在文件夹</translation>
    </message>
    <message>
        <location filename="../../panels/quantize_options.py" line="118" />
        <source>Folder with the tokenizer for a .txt calibration file (the command line's --tokenizer; recipes use the source's)</source>
        <translation>用于 .txt 校准文件的分词器所在文件夹（即命令行的 --tokenizer；配方使用来源模型的分词器）</translation>
    </message>
    <message>
        <location filename="../../panels/quantize_options.py" line="120" />
        <source>Tokenizer:</source>
        <translation>分词器：</translation>
    </message>
    <message>
        <location filename="../../panels/quantize_options.py" line="124" />
        <source>How activation ranges are chosen from the calibration data</source>
        <translation>如何根据校准数据确定激活值范围</translation>
    </message>
    <message>
        <location filename="../../panels/quantize_options.py" line="125" />
        <source>Calibration method:</source>
        <translation>校准方法：</translation>
    </message>
    <message>
        <location filename="../../panels/quantize_options.py" line="130" />
        <source>Calibration samples:</source>
        <translation>校准样本数：</translation>
    </message>
    <message>
        <location filename="../../panels/quantize_options.py" line="132" />
        <source>Min cosine:</source>
        <translation>最小余弦相似度：</translation>
    </message>
    <message>
        <location filename="../../panels/quantize_options.py" line="136" />
        <source>limit</source>
        <translation>限制</translation>
    </message>
    <message>
        <location filename="../../panels/quantize_options.py" line="137" />
        <source>Unticked: at most a quarter of the candidate nodes stay in float32</source>
        <translation>不勾选时：最多四分之一的候选节点保留为 float32</translation>
    </message>
    <message>
        <location filename="../../panels/quantize_options.py" line="144" />
        <source>Max nodes in fp32:</source>
        <translation>fp32 节点数上限：</translation>
    </message>
    <message>
        <location filename="../../panels/quantize_options.py" line="147" />
        <source>default operators, e.g. MatMul, Gemm</source>
        <translation>默认算子，例如 MatMul、Gemm</translation>
    </message>
    <message>
        <location filename="../../panels/quantize_options.py" line="148" />
        <source>Operator types:</source>
        <translation>算子类型：</translation>
    </message>
    <message>
        <location filename="../../panels/quantize_options.py" line="150" />
        <source>Node names to keep in float, separated by commas or lines (e.g. /lm_head/MatMul)</source>
        <translation>保持浮点精度的节点名称，用逗号或换行分隔（例如 /lm_head/MatMul）</translation>
    </message>
    <message>
        <location filename="../../panels/quantize_options.py" line="153" />
        <source>Exclude nodes:</source>
        <translation>排除节点：</translation>
    </message>
    <message>
        <location filename="../../panels/quantize_options.py" line="167" />
        <source>require</source>
        <translation>强制</translation>
    </message>
    <message>
        <location filename="../../panels/quantize_options.py" line="173" />
        <source>off</source>
        <translation>关闭</translation>
    </message>
    <message>
        <location filename="../../panels/quantize_options.py" line="174" />
        <source>int8 dynamic keeps the most sensitive nodes in float32 until the fidelity cosine reaches this floor. Unticked: aims for 0.99 and keeps plain int8 if it cannot; ticked: required (the job fails if it cannot be reached); 0 = off.</source>
        <translation>int8 动态量化会把最敏感的节点保留为 float32，直到保真度余弦相似度达到此下限。不勾选：以 0.99 为目标，达不到则保留纯 int8；勾选：强制要求（达不到时任务失败）；0 = 关闭。</translation>
    </message>
    <message>
        <location filename="../../panels/quantize_options.py" line="196" />
        <location filename="../../panels/quantize_options.py" line="202" />
        <source>Calibration data</source>
        <translation>校准数据</translation>
    </message>
    <message>
        <location filename="../../panels/quantize_options.py" line="197" />
        <source>Calibration data (*.txt *.npy *.npz);;All files (*)</source>
        <translation>校准数据 (*.txt *.npy *.npz);;所有文件 (*)</translation>
    </message>
</context>
<context>
    <name>OptimizePanel</name>
    <message>
        <location filename="../../panels/optimize_panel.py" line="48" />
        <location filename="../../panels/optimize_panel.py" line="65" />
        <location filename="../../panels/optimize_panel.py" line="123" />
        <source>Optimize</source>
        <translation>优化</translation>
    </message>
    <message>
        <location filename="../../panels/optimize_panel.py" line="49" />
        <source>Simplify the graph (onnxslim), apply ONNX Runtime's graph optimizations and fuse transformer blocks where the model type is known. The result is a new variant; the current model is not replaced.</source>
        <translation>简化计算图（onnxslim），应用 ONNX Runtime 的图优化，并在已知模型类型时融合 Transformer 模块。结果是一个新的版本，不会替换当前模型。</translation>
    </message>
    <message>
        <location filename="../../panels/optimize_panel.py" line="56" />
        <source>Step</source>
        <translation>步骤</translation>
    </message>
    <message>
        <location filename="../../panels/optimize_panel.py" line="56" />
        <source>Applied</source>
        <translation>已应用</translation>
    </message>
    <message>
        <location filename="../../panels/optimize_panel.py" line="56" />
        <source>Nodes before</source>
        <translation>优化前节点数</translation>
    </message>
    <message>
        <location filename="../../panels/optimize_panel.py" line="57" />
        <source>Nodes after</source>
        <translation>优化后节点数</translation>
    </message>
    <message>
        <location filename="../../panels/optimize_panel.py" line="57" />
        <source>Detail</source>
        <translation>详情</translation>
    </message>
    <message>
        <location filename="../../panels/optimize_panel.py" line="58" />
        <source>Operator</source>
        <translation>算子</translation>
    </message>
    <message>
        <location filename="../../panels/optimize_panel.py" line="58" />
        <source>Before</source>
        <translation>之前</translation>
    </message>
    <message>
        <location filename="../../panels/optimize_panel.py" line="58" />
        <source>After</source>
        <translation>之后</translation>
    </message>
    <message>
        <location filename="../../panels/optimize_panel.py" line="59" />
        <source>Change</source>
        <translation>变化</translation>
    </message>
    <message>
        <location filename="../../panels/optimize_panel.py" line="67" />
        <source>Use as current model</source>
        <translation>设为当前模型</translation>
    </message>
    <message>
        <location filename="../../panels/optimize_panel.py" line="76" />
        <source>Settings</source>
        <translation>设置</translation>
    </message>
    <message>
        <location filename="../../panels/optimize_panel.py" line="78" />
        <location filename="../../panels/optimize_panel.py" line="79" />
        <source>ONNX models (*.onnx)</source>
        <translation>ONNX 模型 (*.onnx)</translation>
    </message>
    <message>
        <location filename="../../panels/optimize_panel.py" line="85" />
        <source>Simplify (onnxslim)</source>
        <translation>简化（onnxslim）</translation>
    </message>
    <message>
        <location filename="../../panels/optimize_panel.py" line="87" />
        <source>Transformer fusion</source>
        <translation>Transformer 融合</translation>
    </message>
    <message>
        <location filename="../../panels/optimize_panel.py" line="89" />
        <source>Validate against PyTorch afterwards</source>
        <translation>完成后与 PyTorch 对比验证</translation>
    </message>
    <message>
        <location filename="../../panels/optimize_panel.py" line="94" />
        <source>Input model:</source>
        <translation>输入模型：</translation>
    </message>
    <message>
        <location filename="../../panels/optimize_panel.py" line="95" />
        <source>Output:</source>
        <translation>输出：</translation>
    </message>
    <message>
        <location filename="../../panels/optimize_panel.py" line="96" />
        <source>Level:</source>
        <translation>级别：</translation>
    </message>
    <message>
        <location filename="../../panels/optimize_panel.py" line="109" />
        <source>Export a model first, or choose an ONNX file.</source>
        <translation>请先导出模型，或选择一个 ONNX 文件。</translation>
    </message>
    <message>
        <location filename="../../panels/optimize_panel.py" line="111" />
        <source>Choose where to write the optimized model.</source>
        <translation>请选择优化后模型的保存位置。</translation>
    </message>
    <message>
        <location filename="../../panels/optimize_panel.py" line="126" />
        <source>Optimize {0}</source>
        <translation>优化 {0}</translation>
    </message>
    <message>
        <location filename="../../panels/optimize_panel.py" line="141" />
        <source>Nodes: {0} before, {1} after ({2:.1f}% fewer).</source>
        <translation>节点数：优化前 {0}，优化后 {1}（减少 {2:.1f}%）。</translation>
    </message>
</context>
<context>
    <name>PanelBase</name>
    <message>
        <location filename="../../panels/controls.py" line="31" />
        <source>Replace existing files?</source>
        <translation>替换已有文件？</translation>
    </message>
    <message>
        <location filename="../../panels/controls.py" line="32" />
        <source>These files already exist and will be replaced:

{0}

Replace them?</source>
        <translation>以下文件已存在，将被替换：

{0}

要替换吗？</translation>
    </message>
    <message>
        <location filename="../../panels/base.py" line="116" />
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <location filename="../../panels/base.py" line="120" />
        <location filename="../../panels/base.py" line="161" />
        <source>Copy as CLI command</source>
        <translation>复制为命令行</translation>
    </message>
    <message>
        <location filename="../../panels/base.py" line="121" />
        <source>Put the equivalent `workbench` command line on the clipboard</source>
        <translation>将等效的 `workbench` 命令行复制到剪贴板</translation>
    </message>
    <message>
        <location filename="../../panels/base.py" line="125" />
        <source>Save as recipe…</source>
        <translation>另存为配方…</translation>
    </message>
    <message>
        <location filename="../../panels/base.py" line="126" />
        <source>Write these settings to a TOML recipe for `workbench run`</source>
        <translation>将这些设置写入 TOML 配方，供 `workbench run` 使用</translation>
    </message>
    <message>
        <location filename="../../panels/base.py" line="164" />
        <source>Copied: {0}</source>
        <translation>已复制：{0}</translation>
    </message>
    <message>
        <location filename="../../panels/base.py" line="165" />
        <source>Command copied to the clipboard</source>
        <translation>命令已复制到剪贴板</translation>
    </message>
    <message>
        <location filename="../../panels/base.py" line="184" />
        <location filename="../../panels/base.py" line="191" />
        <source>Save recipe</source>
        <translation>保存配方</translation>
    </message>
    <message>
        <location filename="../../panels/base.py" line="185" />
        <source>Recipes (*.toml)</source>
        <translation>配方 (*.toml)</translation>
    </message>
    <message>
        <location filename="../../panels/base.py" line="193" />
        <location filename="../../panels/base.py" line="194" />
        <source>Recipe saved to {0}</source>
        <translation>配方已保存到 {0}</translation>
    </message>
    <message>
        <location filename="../../panels/base.py" line="205" />
        <source>Not started: {0} (its model is a program and was not allowed to run)</source>
        <translation>未启动：{0}（其模型是程序，未被允许运行）</translation>
    </message>
    <message>
        <location filename="../../panels/base.py" line="210" />
        <source>Not started: {0} (kept the existing files)</source>
        <translation>未启动：{0}（保留已有文件）</translation>
    </message>
    <message>
        <location filename="../../panels/base.py" line="220" />
        <source>Started: {0}</source>
        <translation>已开始：{0}</translation>
    </message>
    <message>
        <location filename="../../panels/base.py" line="227" />
        <source>Could not show the result: {0}</source>
        <translation>无法显示结果：{0}</translation>
    </message>
    <message>
        <location filename="../../panels/base.py" line="232" />
        <source>Finished: {0} ({1:.1f} s)</source>
        <translation>已完成：{0}（{1:.1f} 秒）</translation>
    </message>
    <message>
        <location filename="../../panels/base.py" line="241" />
        <source>Failed: {0}: {1}</source>
        <translation>失败：{0}：{1}</translation>
    </message>
    <message>
        <location filename="../../panels/base.py" line="243" />
        <source>{0} failed</source>
        <translation>{0} 失败</translation>
    </message>
    <message>
        <location filename="../../panels/base.py" line="248" />
        <source>Cancelled: {0}</source>
        <translation>已取消：{0}</translation>
    </message>
</context>
<context>
    <name>PathEdit</name>
    <message>
        <location filename="../../panels/controls.py" line="70" />
        <source>Browse…</source>
        <translation>浏览…</translation>
    </message>
    <message>
        <location filename="../../panels/controls.py" line="85" />
        <source>Choose a path</source>
        <translation>选择路径</translation>
    </message>
</context>
<context>
    <name>QuantizePanel</name>
    <message>
        <location filename="../../panels/quantize_verdict.py" line="49" />
        <source>{0}: cosine {1:.4f} (no floor known for this precision)</source>
        <translation>{0}：余弦相似度 {1:.4f}（此精度没有已知下限）</translation>
    </message>
    <message>
        <location filename="../../panels/quantize_verdict.py" line="57" />
        <source>fail — {0}: cosine {1:.4f}, below the {2:g} floor</source>
        <translation>不合格 — {0}：余弦相似度 {1:.4f}，低于下限 {2:g}</translation>
    </message>
    <message>
        <location filename="../../panels/quantize_verdict.py" line="59" />
        <source>warning — {0}: cosine {1:.4f}, passes its {2:g} floor by less than {3:g}</source>
        <translation>警告 — {0}：余弦相似度 {1:.4f}，仅比下限 {2:g} 高出不到 {3:g}</translation>
    </message>
    <message>
        <location filename="../../panels/quantize_verdict.py" line="62" />
        <source>pass — {0}: cosine {1:.4f}, at or above the {2:g} floor</source>
        <translation>合格 — {0}：余弦相似度 {1:.4f}，达到下限 {2:g}</translation>
    </message>
    <message>
        <location filename="../../panels/quantize_panel.py" line="47" />
        <location filename="../../panels/quantize_panel.py" line="83" />
        <location filename="../../panels/quantize_panel.py" line="206" />
        <location filename="../../panels/quantize_panel.py" line="222" />
        <source>Quantize</source>
        <translation>量化</translation>
    </message>
    <message>
        <location filename="../../panels/quantize_panel.py" line="48" />
        <source>Tick the variants to build; each runs as its own job. Fidelity compares every variant's outputs with the unquantized model (cosine 1.0 = identical).</source>
        <translation>勾选要构建的版本，每个版本作为独立任务运行。保真度将每个版本的输出与未量化模型比较（余弦相似度 1.0 表示完全一致）。</translation>
    </message>
    <message>
        <location filename="../../panels/quantize_panel.py" line="51" />
        <source>int8 dynamic (weights int8, activations quantized at run time)</source>
        <translation>int8 动态（权重为 int8，激活在运行时量化）</translation>
    </message>
    <message>
        <location filename="../../panels/quantize_panel.py" line="52" />
        <source>int8 static (QDQ, needs calibration data)</source>
        <translation>int8 静态（QDQ，需要校准数据）</translation>
    </message>
    <message>
        <location filename="../../panels/quantize_panel.py" line="53" />
        <source>fp16 (half-precision weights and compute)</source>
        <translation>fp16（半精度权重与计算）</translation>
    </message>
    <message>
        <location filename="../../panels/quantize_panel.py" line="54" />
        <source>int4 weight-only (MatMulNBits)</source>
        <translation>int4 仅权重（MatMulNBits）</translation>
    </message>
    <message>
        <location filename="../../panels/quantize_panel.py" line="55" />
        <source>int8 weight-only</source>
        <translation>int8 仅权重</translation>
    </message>
    <message>
        <location filename="../../panels/quantize_panel.py" line="67" />
        <source>Variant</source>
        <translation>版本</translation>
    </message>
    <message>
        <location filename="../../panels/quantize_panel.py" line="67" />
        <source>State</source>
        <translation>状态</translation>
    </message>
    <message>
        <location filename="../../panels/quantize_panel.py" line="67" />
        <source>Size before</source>
        <translation>原大小</translation>
    </message>
    <message>
        <location filename="../../panels/quantize_panel.py" line="68" />
        <source>Size after</source>
        <translation>新大小</translation>
    </message>
    <message>
        <location filename="../../panels/quantize_panel.py" line="68" />
        <source>Ratio</source>
        <translation>比例</translation>
    </message>
    <message>
        <location filename="../../panels/quantize_panel.py" line="68" />
        <source>Cosine</source>
        <translation>余弦相似度</translation>
    </message>
    <message>
        <location filename="../../panels/quantize_panel.py" line="69" />
        <source>Max abs diff</source>
        <translation>最大绝对误差</translation>
    </message>
    <message>
        <location filename="../../panels/quantize_panel.py" line="69" />
        <source>Output</source>
        <translation>输出</translation>
    </message>
    <message>
        <location filename="../../panels/quantize_panel.py" line="69" />
        <source>Verdict</source>
        <translation>结论</translation>
    </message>
    <message>
        <location filename="../../panels/quantize_panel.py" line="91" />
        <source>Variants</source>
        <translation>量化版本</translation>
    </message>
    <message>
        <location filename="../../panels/quantize_panel.py" line="123" />
        <source>Options of:</source>
        <translation>选项：</translation>
    </message>
    <message>
        <location filename="../../panels/quantize_panel.py" line="326" />
        <source>Recipe: quantize mode {0} is not one the panel offers; left out</source>
        <translation>配方：面板不提供量化模式 {0}，已忽略</translation>
    </message>
    <message>
        <location filename="../../panels/quantize_panel.py" line="328" />
        <source>Recipe: a second {0} variant ({1}) cannot be shown; the panel keeps the first</source>
        <translation>配方：无法显示第二个 {0} 版本（{1}）；面板保留第一个</translation>
    </message>
    <message>
        <location filename="../../panels/quantize_panel.py" line="104" />
        <source>Settings</source>
        <translation>设置</translation>
    </message>
    <message>
        <location filename="../../panels/quantize_panel.py" line="111" />
        <source>beside the input model</source>
        <translation>与输入模型相同的位置</translation>
    </message>
    <message>
        <location filename="../../panels/quantize_panel.py" line="112" />
        <source>Input model:</source>
        <translation>输入模型：</translation>
    </message>
    <message>
        <location filename="../../panels/quantize_panel.py" line="113" />
        <source>Output folder:</source>
        <translation>输出文件夹：</translation>
    </message>
    <message>
        <location filename="../../panels/quantize_panel.py" line="191" />
        <source>Export a model first, or type the path of an ONNX file.</source>
        <translation>请先导出模型，或输入 ONNX 文件的路径。</translation>
    </message>
    <message>
        <location filename="../../panels/quantize_panel.py" line="194" />
        <source>Tick at least one variant.</source>
        <translation>请至少勾选一个版本。</translation>
    </message>
    <message>
        <location filename="../../panels/quantize_panel.py" line="196" />
        <source>int8 static needs calibration data: choose a file or a folder.</source>
        <translation>int8 静态量化需要校准数据：请选择文件或文件夹。</translation>
    </message>
    <message>
        <location filename="../../panels/quantize_panel.py" line="231" />
        <source>running</source>
        <translation>运行中</translation>
    </message>
    <message>
        <location filename="../../panels/quantize_panel.py" line="232" />
        <source>Quantize {0}</source>
        <translation>量化 {0}</translation>
    </message>
    <message>
        <location filename="../../panels/quantize_panel.py" line="235" />
        <source>not started</source>
        <translation>未开始</translation>
    </message>
    <message>
        <location filename="../../panels/quantize_panel.py" line="237" />
        <source>failed</source>
        <translation>失败</translation>
    </message>
    <message>
        <location filename="../../panels/quantize_panel.py" line="238" />
        <source>cancelled</source>
        <translation>已取消</translation>
    </message>
    <message>
        <location filename="../../panels/quantize_panel.py" line="281" />
        <location filename="../../panels/quantize_panel.py" line="297" />
        <source>done</source>
        <translation>完成</translation>
    </message>
</context>
<context>
    <name>RecipeVariantsBox</name>
    <message>
        <location filename="../../panels/recipe_variants.py" line="36" />
        <source>Other destinations in the recipe</source>
        <translation>配方中的其他目标</translation>
    </message>
    <message>
        <location filename="../../panels/recipe_variants.py" line="43" />
        <source>Remove</source>
        <translation>删除</translation>
    </message>
    <message>
        <location filename="../../panels/recipe_variants.py" line="44" />
        <source>Remove the selected entry from the recipe</source>
        <translation>从配方中删除所选条目</translation>
    </message>
</context>
<context>
    <name>ReportPanel</name>
    <message>
        <location filename="../../panels/report_panel.py" line="63" />
        <source>Report</source>
        <translation>报告</translation>
    </message>
    <message>
        <location filename="../../panels/report_panel.py" line="64" />
        <source>The report collects the results and plots of the steps finished in this session (Build report; nothing runs again), or of a recipe: the whole pipeline in one TOML file, run here or with `workbench run`.</source>
        <translation>报告汇总本次会话中已完成步骤的结果和图表（“生成报告”，不会重新运行任何步骤），或汇总一个配方的结果：配方是把整个流程写在一个 TOML 文件里，可以在这里运行，也可以用 `workbench run` 运行。</translation>
    </message>
    <message>
        <location filename="../../panels/report_panel.py" line="82" />
        <location filename="../../panels/report_panel.py" line="331" />
        <source>Run recipe</source>
        <translation>运行配方</translation>
    </message>
    <message>
        <location filename="../../panels/report_panel.py" line="86" />
        <source>Run every step of the recipe again, in one job</source>
        <translation>在一个任务中重新运行配方的每一步</translation>
    </message>
    <message>
        <location filename="../../panels/report_panel.py" line="87" />
        <location filename="../../panels/report_panel.py" line="195" />
        <location filename="../../panels/report_panel.py" line="207" />
        <source>Build report</source>
        <translation>生成报告</translation>
    </message>
    <message>
        <location filename="../../panels/report_panel.py" line="89" />
        <source>Write report.html from the steps finished in this session (nothing runs again)</source>
        <translation>根据本次会话中已完成的步骤写出 report.html（不会重新运行任何步骤）</translation>
    </message>
    <message>
        <location filename="../../panels/report_panel.py" line="93" />
        <source>Open in browser</source>
        <translation>在浏览器中打开</translation>
    </message>
    <message>
        <location filename="../../panels/report_panel.py" line="103" />
        <source>Recipe</source>
        <translation>配方</translation>
    </message>
    <message>
        <location filename="../../panels/report_panel.py" line="105" />
        <location filename="../../panels/report_panel.py" line="278" />
        <source>Recipes (*.toml *.yaml *.yml)</source>
        <translation>配方 (*.toml *.yaml *.yml)</translation>
    </message>
    <message>
        <location filename="../../panels/report_panel.py" line="106" />
        <source>empty: the settings of every step, as they are now</source>
        <translation>留空：使用各步骤当前的设置</translation>
    </message>
    <message>
        <location filename="../../panels/report_panel.py" line="110" />
        <source>Load recipe…</source>
        <translation>加载配方…</translation>
    </message>
    <message>
        <location filename="../../panels/report_panel.py" line="112" />
        <source>Save recipe…</source>
        <translation>保存配方…</translation>
    </message>
    <message>
        <location filename="../../panels/report_panel.py" line="117" />
        <source>Recipe file:</source>
        <translation>配方文件：</translation>
    </message>
    <message>
        <location filename="../../panels/report_panel.py" line="118" />
        <source>Output folder:</source>
        <translation>输出文件夹：</translation>
    </message>
    <message>
        <location filename="../../panels/report_panel.py" line="125" />
        <source>{0} steps finished in this session ({1}). Build report writes report.html from their results; nothing runs again.</source>
        <translation>本次会话已完成 {0} 个步骤（{1}）。“生成报告”会根据它们的结果写出 report.html，不会重新运行任何步骤。</translation>
    </message>
    <message>
        <location filename="../../panels/report_panel.py" line="128" />
        <source>No report yet: finish a step (Export, Validate, Optimize, Quantize, Benchmark) and build the report from it, run a recipe, or run the demo (Help &gt; Run the demo).</source>
        <translation>还没有报告：完成一个步骤（导出、验证、优化、量化、基准测试）后据此生成报告，或运行配方，或运行演示（帮助 &gt; 运行演示）。</translation>
    </message>
    <message>
        <location filename="../../panels/report_panel.py" line="196" />
        <source>No step has finished in this session yet: export, validate, optimize, quantize or benchmark a model first (or run a recipe).</source>
        <translation>本次会话还没有完成任何步骤：请先对模型进行导出、验证、优化、量化或基准测试（或运行配方）。</translation>
    </message>
    <message>
        <location filename="../../panels/report_panel.py" line="211" />
        <source>Not built: kept the existing {0}</source>
        <translation>未生成：保留了现有的 {0}</translation>
    </message>
    <message>
        <location filename="../../panels/report_panel.py" line="216" />
        <source>Build report in {0}</source>
        <translation>在 {0} 中生成报告</translation>
    </message>
    <message>
        <location filename="../../panels/report_panel.py" line="225" />
        <source>Report built from {0} finished steps ({1}), in {2}</source>
        <translation>已根据 {0} 个完成的步骤（{1}）生成报告，位于 {2}</translation>
    </message>
    <message>
        <location filename="../../panels/report_panel.py" line="96" />
        <location filename="../../panels/report_panel.py" line="248" />
        <source>No report to open yet: build the report (or run a recipe) first.</source>
        <translation>还没有可打开的报告：请先生成报告（或运行配方）。</translation>
    </message>
    <message>
        <location filename="../../panels/report_panel.py" line="250" />
        <source>{0} no longer exists: build the report again.</source>
        <translation>{0} 已不存在：请重新生成报告。</translation>
    </message>
    <message>
        <location filename="../../panels/report_panel.py" line="252" />
        <source>The desktop could not open {0} in a browser (no default browser is set up here): open the file by hand.</source>
        <translation>桌面环境无法在浏览器中打开 {0}（此处没有设置默认浏览器）：请手动打开该文件。</translation>
    </message>
    <message>
        <location filename="../../panels/report_panel.py" line="256" />
        <location filename="../../panels/report_panel.py" line="257" />
        <source>Opened {0} in the browser</source>
        <translation>已在浏览器中打开 {0}</translation>
    </message>
    <message>
        <location filename="../../panels/report_panel.py" line="277" />
        <location filename="../../panels/report_panel.py" line="288" />
        <source>Open recipe</source>
        <translation>打开配方</translation>
    </message>
    <message>
        <location filename="../../panels/report_panel.py" line="296" />
        <source>Recipe loaded: {0}</source>
        <translation>已加载配方：{0}</translation>
    </message>
    <message>
        <location filename="../../panels/report_panel.py" line="314" />
        <source>Load a model or a recipe first.</source>
        <translation>请先加载模型或配方。</translation>
    </message>
    <message>
        <location filename="../../panels/report_panel.py" line="320" />
        <source>Kept the existing {0}: choose another output folder.</source>
        <translation>已保留现有的 {0}：请选择其他输出文件夹。</translation>
    </message>
    <message>
        <location filename="../../panels/report_panel.py" line="336" />
        <source>Not started: the recipe's model is a program and was not allowed to run</source>
        <translation>未启动：配方中的模型是程序，未被允许运行</translation>
    </message>
    <message>
        <location filename="../../panels/report_panel.py" line="340" />
        <source>Not started: the recipe would replace existing files</source>
        <translation>未启动：配方将替换已有文件</translation>
    </message>
    <message>
        <location filename="../../panels/report_panel.py" line="342" />
        <source>Run recipe {0}</source>
        <translation>运行配方 {0}</translation>
    </message>
    <message>
        <location filename="../../panels/report_recipe.py" line="28" />
        <source>the recipe sets trust_code = true</source>
        <translation>配方设置了 trust_code = true</translation>
    </message>
    <message>
        <location filename="../../panels/report_panel.py" line="349" />
        <source>Recipe finished: {0} steps, report in {1}</source>
        <translation>配方运行完成：共 {0} 个步骤，报告位于 {1}</translation>
    </message>
    <message>
        <location filename="../../panels/report_panel.py" line="356" />
        <source>Failed steps: {0}</source>
        <translation>失败的步骤：{0}</translation>
    </message>
</context>
<context>
    <name>SensitivityTableModel</name>
    <message>
        <location filename="../../panels/sensitivity_view.py" line="36" />
        <source>Node</source>
        <translation>节点</translation>
    </message>
    <message>
        <location filename="../../panels/sensitivity_view.py" line="36" />
        <source>Op</source>
        <translation>算子</translation>
    </message>
    <message>
        <location filename="../../panels/sensitivity_view.py" line="36" />
        <source>Sensitivity (cosine drop)</source>
        <translation>敏感度（余弦相似度下降）</translation>
    </message>
    <message>
        <location filename="../../panels/sensitivity_view.py" line="36" />
        <source>Weights</source>
        <translation>权重</translation>
    </message>
    <message>
        <location filename="../../panels/sensitivity_view.py" line="37" />
        <source>Kept fp32</source>
        <translation>保留 fp32</translation>
    </message>
    <message>
        <location filename="../../panels/sensitivity_view.py" line="90" />
        <source>cosine {0:.6f} with only this node quantized</source>
        <translation>仅量化此节点时余弦相似度为 {0:.6f}</translation>
    </message>
</context>
<context>
    <name>SensitivityWidget</name>
    <message>
        <location filename="../../panels/sensitivity_view.py" line="110" />
        <source>Per-node sensitivity (int8)</source>
        <translation>逐节点敏感度（int8）</translation>
    </message>
    <message>
        <location filename="../../panels/sensitivity_view.py" line="130" />
        <source>Re-quantize with ticked nodes in fp32</source>
        <translation>将勾选的节点保留为 fp32 并重新量化</translation>
    </message>
    <message>
        <location filename="../../panels/sensitivity_view.py" line="143" />
        <source>{0} node(s) ticked to stay fp32 ({1} of weights)</source>
        <translation>已勾选 {0} 个节点保留为 fp32（占权重的 {1}）</translation>
    </message>
    <message>
        <location filename="../../panels/sensitivity_view.py" line="157" />
        <source>Re-quantized with {0} node(s) in fp32: cosine {1:.6f}, {2}</source>
        <translation>已重新量化，{0} 个节点保留为 fp32：余弦相似度 {1:.6f}，{2}</translation>
    </message>
</context>
<context>
    <name>SweepView</name>
    <message>
        <location filename="../../sweep_view.py" line="118" />
        <location filename="../../sweep_view.py" line="249" />
        <source>Sweep report</source>
        <translation>扫描报告</translation>
    </message>
    <message>
        <location filename="../../sweep_view.py" line="119" />
        <source>Max p50 latency</source>
        <translation>最大 p50 延迟</translation>
    </message>
    <message>
        <location filename="../../sweep_view.py" line="120" />
        <source>Min cosine</source>
        <translation>最小余弦相似度</translation>
    </message>
    <message>
        <location filename="../../sweep_view.py" line="125" />
        <source>no limit</source>
        <translation>不限</translation>
    </message>
    <message>
        <location filename="../../sweep_view.py" line="128" />
        <source>Latency against throughput (batch along each curve)</source>
        <translation>延迟与吞吐量（每条曲线上的点为不同批大小）</translation>
    </message>
    <message>
        <location filename="../../sweep_view.py" line="39" />
        <location filename="../../sweep_view.py" line="129" />
        <source>items/s</source>
        <translation>条/秒</translation>
    </message>
    <message>
        <location filename="../../sweep_view.py" line="31" />
        <source>model</source>
        <translation>模型</translation>
    </message>
    <message>
        <location filename="../../sweep_view.py" line="32" />
        <source>variant</source>
        <translation>变体</translation>
    </message>
    <message>
        <location filename="../../sweep_view.py" line="33" />
        <source>batch</source>
        <translation>批大小</translation>
    </message>
    <message>
        <location filename="../../sweep_view.py" line="34" />
        <source>sequence</source>
        <translation>序列长度</translation>
    </message>
    <message>
        <location filename="../../sweep_view.py" line="35" />
        <source>threads</source>
        <translation>线程数</translation>
    </message>
    <message>
        <location filename="../../sweep_view.py" line="36" />
        <location filename="../../sweep_view.py" line="130" />
        <source>p50 ms</source>
        <translation>p50（毫秒）</translation>
    </message>
    <message>
        <location filename="../../sweep_view.py" line="37" />
        <source>p95 ms</source>
        <translation>p95（毫秒）</translation>
    </message>
    <message>
        <location filename="../../sweep_view.py" line="38" />
        <source>p99 ms</source>
        <translation>p99（毫秒）</translation>
    </message>
    <message>
        <location filename="../../sweep_view.py" line="40" />
        <source>peak RSS MB</source>
        <translation>峰值 RSS（MB）</translation>
    </message>
    <message>
        <location filename="../../sweep_view.py" line="41" />
        <source>cosine</source>
        <translation>余弦相似度</translation>
    </message>
    <message>
        <location filename="../../sweep_view.py" line="42" />
        <source>size MB</source>
        <translation>大小（MB）</translation>
    </message>
    <message>
        <location filename="../../sweep_view.py" line="43" />
        <source>status</source>
        <translation>状态</translation>
    </message>
    <message>
        <location filename="../../sweep_view.py" line="121" />
        <source>Curves of</source>
        <translation>曲线所属模型</translation>
    </message>
    <message>
        <location filename="../../sweep_view.py" line="157" />
        <source>No sweep open</source>
        <translation>尚未打开扫描</translation>
    </message>
    <message>
        <location filename="../../sweep_view.py" line="158" />
        <source>Open the output folder of a sweep (workbench sweep SWEEP.toml -o DIR).</source>
        <translation>请打开一次扫描的输出文件夹（workbench sweep SWEEP.toml -o DIR）。</translation>
    </message>
    <message>
        <location filename="../../sweep_view.py" line="162" />
        <source>Sweep: {0}</source>
        <translation>扫描：{0}</translation>
    </message>
    <message>
        <location filename="../../sweep_view.py" line="164" />
        <source>finished</source>
        <translation>已完成</translation>
    </message>
    <message>
        <location filename="../../sweep_view.py" line="164" />
        <source>running</source>
        <translation>运行中</translation>
    </message>
    <message>
        <location filename="../../sweep_view.py" line="166" />
        <source>{0} of {1} cells done, {2} failed ({3})</source>
        <translation>已完成 {0}/{1} 个单元，{2} 个失败（{3}）</translation>
    </message>
    <message>
        <location filename="../../sweep_view.py" line="199" />
        <source>FAILED: {0}</source>
        <translation>失败：{0}</translation>
    </message>
    <message>
        <location filename="../../sweep_view.py" line="200" />
        <source>ok</source>
        <translation>成功</translation>
    </message>
    <message>
        <location filename="../../sweep_view.py" line="203" />
        <source>(reused)</source>
        <translation>（复用）</translation>
    </message>
    <message>
        <location filename="../../sweep_view.py" line="216" />
        <source>no cell fits the budget</source>
        <translation>没有单元满足预算</translation>
    </message>
    <message>
        <location filename="../../sweep_view.py" line="219" />
        <source>batch {0}, threads {1}: p50 {2} ms, {3} items/s, cosine {4}</source>
        <translation>批大小 {0}，线程数 {1}：p50 {2} 毫秒，{3} 条/秒，余弦相似度 {4}</translation>
    </message>
    <message>
        <location filename="../../sweep_view.py" line="222" />
        <source>Recommended</source>
        <translation>推荐配置</translation>
    </message>
    <message>
        <location filename="../../sweep_view.py" line="242" />
        <source>Open the output folder of a sweep</source>
        <translation>打开扫描的输出文件夹</translation>
    </message>
</context>
<context>
    <name>TargetOptionsBox</name>
    <message>
        <location filename="../../panels/target_options_box.py" line="190" />
        <location filename="../../panels/target_options_box.py" line="208" />
        <source>{0} options</source>
        <translation>{0} 选项</translation>
    </message>
</context>
<context>
    <name>ValidatePanel</name>
    <message>
        <location filename="../../panels/validate_panel.py" line="46" />
        <location filename="../../panels/validate_panel.py" line="78" />
        <location filename="../../panels/validate_panel.py" line="128" />
        <source>Validate</source>
        <translation>验证</translation>
    </message>
    <message>
        <location filename="../../panels/validate_panel.py" line="47" />
        <source>Run the ONNX checker and shape inference, then feed the same inputs to PyTorch and ONNX Runtime at each shape below and compare every output (padded positions are ignored).</source>
        <translation>运行 ONNX 检查器和形状推断，然后在下面列出的每种形状下向 PyTorch 和 ONNX Runtime 输入相同的数据，逐一比较所有输出（忽略填充位置）。</translation>
    </message>
    <message>
        <location filename="../../panels/validate_panel.py" line="53" />
        <source>Output</source>
        <translation>输出</translation>
    </message>
    <message>
        <location filename="../../panels/validate_panel.py" line="53" />
        <source>Shape</source>
        <translation>形状</translation>
    </message>
    <message>
        <location filename="../../panels/validate_panel.py" line="53" />
        <source>Max abs diff</source>
        <translation>最大绝对误差</translation>
    </message>
    <message>
        <location filename="../../panels/validate_panel.py" line="54" />
        <source>Max rel diff</source>
        <translation>最大相对误差</translation>
    </message>
    <message>
        <location filename="../../panels/validate_panel.py" line="54" />
        <source>Cosine</source>
        <translation>余弦相似度</translation>
    </message>
    <message>
        <location filename="../../panels/validate_panel.py" line="54" />
        <source>Result</source>
        <translation>结果</translation>
    </message>
    <message>
        <location filename="../../panels/validate_panel.py" line="74" />
        <source>Show in the graph</source>
        <translation>在计算图中显示</translation>
    </message>
    <message>
        <location filename="../../panels/validate_panel.py" line="87" />
        <source>What to compare</source>
        <translation>比较对象</translation>
    </message>
    <message>
        <location filename="../../panels/validate_panel.py" line="89" />
        <source>ONNX models (*.onnx)</source>
        <translation>ONNX 模型 (*.onnx)</translation>
    </message>
    <message>
        <location filename="../../panels/validate_panel.py" line="92" />
        <source>default for the dtype (1e-4 for fp32)</source>
        <translation>按数据类型的默认值（fp32 为 1e-4）</translation>
    </message>
    <message>
        <location filename="../../panels/validate_panel.py" line="94" />
        <source>default for the dtype (1e-5 for fp32)</source>
        <translation>按数据类型的默认值（fp32 为 1e-5）</translation>
    </message>
    <message>
        <location filename="../../panels/validate_panel.py" line="97" />
        <source>batch x sequence pairs, separated by commas</source>
        <translation>批大小 x 序列长度，多组用逗号分隔</translation>
    </message>
    <message>
        <location filename="../../panels/validate_panel.py" line="98" />
        <source>ONNX model:</source>
        <translation>ONNX 模型：</translation>
    </message>
    <message>
        <location filename="../../panels/validate_panel.py" line="99" />
        <source>Against (PyTorch):</source>
        <translation>对照模型（PyTorch）：</translation>
    </message>
    <message>
        <location filename="../../panels/validate_panel.py" line="100" />
        <source>Relative tolerance:</source>
        <translation>相对容差：</translation>
    </message>
    <message>
        <location filename="../../panels/validate_panel.py" line="101" />
        <source>Absolute tolerance:</source>
        <translation>绝对容差：</translation>
    </message>
    <message>
        <location filename="../../panels/validate_panel.py" line="102" />
        <source>Shapes (batch x sequence):</source>
        <translation>形状（批大小 x 序列长度）：</translation>
    </message>
    <message>
        <location filename="../../panels/validate_panel.py" line="103" />
        <source>Locate the first difference (compare every module with PyTorch)</source>
        <translation>定位第一处差异（逐个模块与 PyTorch 比较）</translation>
    </message>
    <message>
        <location filename="../../panels/validate_panel.py" line="110" />
        <source>Export a model first, or choose an ONNX file.</source>
        <translation>请先导出模型，或选择一个 ONNX 文件。</translation>
    </message>
    <message>
        <location filename="../../panels/validate_panel.py" line="112" />
        <source>Choose the PyTorch model to compare against.</source>
        <translation>请选择用于对照的 PyTorch 模型。</translation>
    </message>
    <message>
        <location filename="../../panels/validate_panel.py" line="116" />
        <source>Tolerances must be numbers such as 1e-4.</source>
        <translation>容差必须是数字，例如 1e-4。</translation>
    </message>
    <message>
        <location filename="../../panels/validate_panel.py" line="120" />
        <source>Write shapes as batch x sequence pairs, e.g. 2x8, 3x13.</source>
        <translation>形状请写成“批大小 x 序列长度”，例如 2x8, 3x13。</translation>
    </message>
    <message>
        <location filename="../../panels/validate_panel.py" line="130" />
        <source>Validate {0}</source>
        <translation>验证 {0}</translation>
    </message>
    <message>
        <location filename="../../panels/validate_panel.py" line="138" />
        <source>pass</source>
        <translation>通过</translation>
    </message>
    <message>
        <location filename="../../panels/validate_panel.py" line="138" />
        <source>FAIL</source>
        <translation>未通过</translation>
    </message>
    <message>
        <location filename="../../panels/validate_panel.py" line="145" />
        <source>PASSED: ONNX Runtime matches PyTorch on every output.</source>
        <translation>通过：ONNX Runtime 的每个输出都与 PyTorch 一致。</translation>
    </message>
    <message>
        <location filename="../../panels/validate_panel.py" line="148" />
        <source>FAILED: some outputs differ from PyTorch beyond the tolerances.</source>
        <translation>未通过：部分输出与 PyTorch 的差异超出容差。</translation>
    </message>
    <message>
        <location filename="../../panels/validate_panel.py" line="152" />
        <source>Shapes tried: {0}. Tolerances: rtol {1:g}, atol {2:g}. Checker: {3}. Shape inference: {4}.</source>
        <translation>测试的形状：{0}。容差：rtol {1:g}，atol {2:g}。检查器：{3}。形状推断：{4}。</translation>
    </message>
    <message>
        <location filename="../../panels/validate_panel.py" line="164" />
        <source>No module diverges from PyTorch ({0} compared).</source>
        <translation>没有模块与 PyTorch 出现偏差（已比较 {0} 个）。</translation>
    </message>
    <message>
        <location filename="../../panels/validate_panel.py" line="167" />
        <source>none</source>
        <translation>无</translation>
    </message>
    <message>
        <location filename="../../panels/validate_panel.py" line="168" />
        <source>First difference: node {0} ({1}) in {2}: max rel diff {3:.3g}, cosine {4:.6f}; its inputs' max rel diff: {5}.</source>
        <translation>第一处差异：{2} 中的节点 {0}（{1}）：最大相对误差 {3:.3g}，余弦相似度 {4:.6f}；其输入的最大相对误差：{5}。</translation>
    </message>
</context>
<context>
    <name>VariantRow</name>
    <message>
        <location filename="../../panels/bench_variants.py" line="90" />
        <source>no registered runtime opens this file</source>
        <translation>没有已注册的运行时能打开此文件</translation>
    </message>
</context>
<context>
    <name>WelcomeCard</name>
    <message>
        <location filename="../../panels/welcome.py" line="29" />
        <source>Start here</source>
        <translation>从这里开始</translation>
    </message>
    <message>
        <location filename="../../panels/welcome.py" line="31" />
        <source>Open a model to inspect it, then take it step by step down the list on the left: export to ONNX, validate against PyTorch, optimize, quantize, benchmark, report. New to this? Run the demo: it builds a tiny model and runs every step on it in about a minute, in a folder of its own.</source>
        <translation>打开一个模型进行检查，然后按左侧列表逐步处理：导出为 ONNX、与 PyTorch 对比验证、优化、量化、基准测试、报告。第一次使用？运行演示：它会构建一个很小的模型，在单独的文件夹中用大约一分钟跑完每一步。</translation>
    </message>
    <message>
        <location filename="../../panels/welcome.py" line="40" />
        <source>Open a model…</source>
        <translation>打开模型…</translation>
    </message>
    <message>
        <location filename="../../panels/welcome.py" line="42" />
        <source>A checkpoint (.safetensors, .pt, .bin) or an .onnx file (Ctrl+O)</source>
        <translation>检查点文件（.safetensors、.pt、.bin）或 .onnx 文件（Ctrl+O）</translation>
    </message>
    <message>
        <location filename="../../panels/welcome.py" line="44" />
        <source>Open a model folder…</source>
        <translation>打开模型文件夹…</translation>
    </message>
    <message>
        <location filename="../../panels/welcome.py" line="45" />
        <source>A Hugging Face model folder (config.json and weights)</source>
        <translation>Hugging Face 模型文件夹（config.json 和权重）</translation>
    </message>
    <message>
        <location filename="../../panels/welcome.py" line="46" />
        <source>Run the demo</source>
        <translation>运行演示</translation>
    </message>
    <message>
        <location filename="../../panels/welcome.py" line="47" />
        <source>Build a tiny model and run export, validate, quantize, benchmark and report on it; nothing of yours is touched</source>
        <translation>构建一个很小的模型并对它运行导出、验证、量化、基准测试和报告；不会改动您的任何文件</translation>
    </message>
    <message>
        <location filename="../../panels/welcome.py" line="56" />
        <source>Recent files</source>
        <translation>最近打开</translation>
    </message>
    <message>
        <location filename="../../panels/welcome.py" line="62" />
        <source>None yet: the models you open are listed here.</source>
        <translation>暂无：您打开过的模型会列在这里。</translation>
    </message>
</context>
</TS>