<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>DemoRunner</name>
    <message>
        <location filename="../../demo.py" line="38"/>
        <source>Building a tiny demo language model (random weights, a few hundred kB).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../demo.py" line="40"/>
        <source>Step 1: loading the model and checking it for problems.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../demo.py" line="41"/>
        <source>Step 2: exporting to ONNX, a format that many runtimes and devices understand.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../demo.py" line="43"/>
        <source>Step 3: checking that the ONNX model computes the same numbers as PyTorch.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../demo.py" line="45"/>
        <source>Step 4: making an 8-bit version that is smaller and usually faster.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../demo.py" line="47"/>
        <source>Step 5: measuring how fast the model runs.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../demo.py" line="57"/>
        <source>Demo: watch the workbench take a model from PyTorch to a fast, small ONNX model.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../demo.py" line="71"/>
        <source>Demo finished: every step succeeded. Open the Graph tab to explore the model.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../demo.py" line="87"/>
        <source>The demo stopped at &apos;{0}&apos;: the step could not start.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../demo.py" line="108"/>
        <source>The demo stopped at &apos;{0}&apos;: see the Jobs and Log panes.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../demo.py" line="120"/>
        <source>Using the demo model built earlier in {0}.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../demo.py" line="123"/>
        <source>Build the demo model</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>ExportPanel</name>
    <message>
        <location filename="../../panels/export_panel.py" line="47"/>
        <location filename="../../panels/export_panel.py" line="60"/>
        <location filename="../../panels/export_panel.py" line="225"/>
        <source>Export</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/export_panel.py" line="48"/>
        <source>Convert the loaded model to ONNX. The dynamo exporter is tried first and falls back to the legacy exporter when it fails (the reason is reported). Example sizes of 2 or more keep dynamic axes dynamic.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/export_panel.py" line="69"/>
        <source>Exporter</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/export_panel.py" line="71"/>
        <location filename="../../panels/export_panel.py" line="195"/>
        <source>(no model loaded)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/export_panel.py" line="74"/>
        <source>ONNX models (*.onnx)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/export_panel.py" line="83"/>
        <source>exporter default</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/export_panel.py" line="87"/>
        <source>Fold constants</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/export_panel.py" line="89"/>
        <source>Source:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/export_panel.py" line="90"/>
        <source>Output:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/export_panel.py" line="91"/>
        <source>Exporter:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/export_panel.py" line="92"/>
        <source>Target:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/export_panel.py" line="93"/>
        <source>Opset:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/export_panel.py" line="94"/>
        <source>Dtype:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/export_panel.py" line="99"/>
        <source>Inputs and outputs</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/export_panel.py" line="102"/>
        <source>automatic (e.g. input_ids, attention_mask)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/export_panel.py" line="104"/>
        <source>automatic (e.g. logits)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/export_panel.py" line="111"/>
        <source>Input names:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/export_panel.py" line="112"/>
        <source>Output names:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/export_panel.py" line="113"/>
        <source>Example batch:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/export_panel.py" line="114"/>
        <source>Example sequence:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/export_panel.py" line="115"/>
        <source>Leave names empty to use the model&apos;s own.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/export_panel.py" line="121"/>
        <source>Dynamic axes</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/export_panel.py" line="124"/>
        <source>Input</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/export_panel.py" line="124"/>
        <source>Axis</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/export_panel.py" line="124"/>
        <source>Name</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/export_panel.py" line="130"/>
        <source>Add axis</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/export_panel.py" line="132"/>
        <source>Remove</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/export_panel.py" line="134"/>
        <source>Batch and sequence</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/export_panel.py" line="135"/>
        <source>Make batch (axis 0) and sequence (axis 1) dynamic on input_ids and attention_mask</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/export_panel.py" line="138"/>
        <source>An empty table lets the exporter make batch and sequence dynamic on every input.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/export_panel.py" line="186"/>
        <source>Dynamic axis row {0} needs both an input and a name.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/export_panel.py" line="207"/>
        <source>Load a model first (Load step).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/export_panel.py" line="210"/>
        <source>Choose where to write the exported model.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/export_panel.py" line="228"/>
        <source>Export {0}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/export_panel.py" line="233"/>
        <source>Exported with the {0} exporter in {1:.1f} s: {2}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/export_panel.py" line="236"/>
        <source>Fell back to the legacy exporter: {0}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/export_panel.py" line="238"/>
        <source>Inputs: {0} — outputs: {1}</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>JobRowWidget</name>
    <message>
        <location filename="../../docks.py" line="56"/>
        <source>Cancel</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../docks.py" line="71"/>
        <source>queued</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../docks.py" line="71"/>
        <source>running</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../docks.py" line="72"/>
        <source>done</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../docks.py" line="72"/>
        <source>failed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../docks.py" line="73"/>
        <source>cancelled</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>JobsWidget</name>
    <message>
        <location filename="../../docks.py" line="107"/>
        <source>Clear finished</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../docks.py" line="119"/>
        <source>No jobs yet. Long actions (inspect, export, validate, quantize, benchmark) appear here.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../docks.py" line="156"/>
        <source>{0} running</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../docks.py" line="156"/>
        <source>Idle</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>LoadPanel</name>
    <message>
        <location filename="../../panels/load_panel.py" line="54"/>
        <source>Load a model</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/load_panel.py" line="55"/>
        <source>Open a checkpoint (.safetensors, .pt, .bin), a Hugging Face model folder or an ONNX file, or drop it on the window. Only headers are read where the format allows.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/load_panel.py" line="63"/>
        <source>Inspect</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/load_panel.py" line="72"/>
        <source>Path of a checkpoint, model folder or .onnx file</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/load_panel.py" line="74"/>
        <source>Open file…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/load_panel.py" line="76"/>
        <source>Open folder…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/load_panel.py" line="88"/>
        <source>Summary</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/load_panel.py" line="95"/>
        <source>Format:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/load_panel.py" line="96"/>
        <source>Parameters:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/load_panel.py" line="97"/>
        <source>Size:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/load_panel.py" line="98"/>
        <source>By dtype:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/load_panel.py" line="99"/>
        <source>Tensors:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/load_panel.py" line="101"/>
        <source>Configuration</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/load_panel.py" line="103"/>
        <source>Key</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/load_panel.py" line="103"/>
        <source>Value</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/load_panel.py" line="109"/>
        <source>Tensors</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/load_panel.py" line="112"/>
        <source>Filter by name (words, or /regex/)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/load_panel.py" line="118"/>
        <source>Name</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/load_panel.py" line="118"/>
        <source>Dtype</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/load_panel.py" line="118"/>
        <source>Shape</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/load_panel.py" line="118"/>
        <source>Elements</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/load_panel.py" line="119"/>
        <source>Size</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/load_panel.py" line="154"/>
        <source>Open a model file</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/load_panel.py" line="155"/>
        <source>Models (*.safetensors *.pt *.pth *.bin *.pt2 *.onnx *.ckpt);;All files (*)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/load_panel.py" line="160"/>
        <source>Open a model folder</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/load_panel.py" line="184"/>
        <source>Inspect {0}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/load_panel.py" line="205"/>
        <source>nodes</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/load_panel.py" line="217"/>
        <source>&lt;b&gt;Before you export, fix these:&lt;/b&gt;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/load_panel.py" line="220"/>
        <source>No problems found: the model is ready to export.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/load_panel.py" line="228"/>
        <source>{0} of {1} tensors shown</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/load_panel.py" line="246"/>
        <source>Open a model first.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <location filename="../../main_window.py" line="65"/>
        <source>Model Workbench</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../main_window.py" line="94"/>
        <source>The benchmark panel is not available</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../main_window.py" line="96"/>
        <source>Load</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../main_window.py" line="97"/>
        <source>Export</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../main_window.py" line="98"/>
        <source>Validate</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../main_window.py" line="99"/>
        <source>Optimize</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../main_window.py" line="100"/>
        <source>Quantize</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../main_window.py" line="101"/>
        <source>Benchmark</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../main_window.py" line="102"/>
        <source>Report</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../main_window.py" line="112"/>
        <source>The graph view is not available</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../main_window.py" line="115"/>
        <location filename="../../main_window.py" line="118"/>
        <source>Pipeline</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../main_window.py" line="116"/>
        <source>Graph</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../main_window.py" line="137"/>
        <source>Jobs</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../main_window.py" line="143"/>
        <source>Log</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../main_window.py" line="161"/>
        <source>&amp;Open file…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../main_window.py" line="162"/>
        <source>Open a checkpoint or an ONNX file</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../main_window.py" line="163"/>
        <source>Open &amp;folder…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../main_window.py" line="164"/>
        <source>Open a Hugging Face model folder</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../main_window.py" line="165"/>
        <source>Open &amp;recipe…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../main_window.py" line="167"/>
        <source>&amp;Save recipe…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../main_window.py" line="169"/>
        <source>&amp;Quit</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../main_window.py" line="170"/>
        <source>&amp;Export</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../main_window.py" line="171"/>
        <source>Export the loaded model to ONNX</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../main_window.py" line="172"/>
        <source>&amp;Validate</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../main_window.py" line="173"/>
        <source>Compare the ONNX model with PyTorch</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../main_window.py" line="174"/>
        <source>&amp;Quantize</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../main_window.py" line="175"/>
        <source>Build the ticked quantized variants</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../main_window.py" line="176"/>
        <source>&amp;Benchmark</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../main_window.py" line="177"/>
        <source>Benchmark the current model</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../main_window.py" line="178"/>
        <source>Run the &amp;demo</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../main_window.py" line="179"/>
        <source>Build a tiny model and walk through every step</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../main_window.py" line="180"/>
        <source>&amp;About Model Workbench</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../main_window.py" line="193"/>
        <source>&amp;File</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../main_window.py" line="196"/>
        <source>Recent files</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../main_window.py" line="204"/>
        <source>&amp;Run</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../main_window.py" line="209"/>
        <source>&amp;View</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../main_window.py" line="210"/>
        <source>Theme</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../main_window.py" line="212"/>
        <source>Light</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../main_window.py" line="212"/>
        <source>Dark</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../main_window.py" line="219"/>
        <location filename="../../main_window.py" line="421"/>
        <source>Language</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../main_window.py" line="231"/>
        <source>&amp;Help</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../main_window.py" line="236"/>
        <source>Main toolbar</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../main_window.py" line="251"/>
        <source>No model loaded</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../main_window.py" line="257"/>
        <source>Open a model (Ctrl+O), drop one on the window, or run the demo.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../main_window.py" line="298"/>
        <source>The graph view could not open {0}: {1}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../main_window.py" line="302"/>
        <source>Model: {0}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../main_window.py" line="311"/>
        <source>ONNX: {0}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../main_window.py" line="325"/>
        <source>{0} job(s) running</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../main_window.py" line="330"/>
        <source>Node {0} ({1})</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../main_window.py" line="352"/>
        <source>(none)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../main_window.py" line="355"/>
        <source>Clear the list</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../main_window.py" line="422"/>
        <source>The language changes the next time Model Workbench starts.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../main_window.py" line="434"/>
        <source>not installed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../main_window.py" line="442"/>
        <source>Take a trained model to deployment: export, validate, optimize, quantize, benchmark.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../main_window.py" line="446"/>
        <source>About Model Workbench</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../main_window.py" line="484"/>
        <source>Jobs are running</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../main_window.py" line="485"/>
        <source>{0} job(s) are still running. Cancel them and quit?</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../main_window.py" line="502"/>
        <source>Some jobs did not stop in time.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>OptimizePanel</name>
    <message>
        <location filename="../../panels/optimize_panel.py" line="46"/>
        <location filename="../../panels/optimize_panel.py" line="63"/>
        <location filename="../../panels/optimize_panel.py" line="121"/>
        <source>Optimize</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/optimize_panel.py" line="47"/>
        <source>Simplify the graph (onnxslim), apply ONNX Runtime&apos;s graph optimizations and fuse transformer blocks where the model type is known. The result is a new variant; the current model is not replaced.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/optimize_panel.py" line="54"/>
        <source>Step</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/optimize_panel.py" line="54"/>
        <source>Applied</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/optimize_panel.py" line="54"/>
        <source>Nodes before</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/optimize_panel.py" line="55"/>
        <source>Nodes after</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/optimize_panel.py" line="55"/>
        <source>Detail</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/optimize_panel.py" line="56"/>
        <source>Operator</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/optimize_panel.py" line="56"/>
        <source>Before</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/optimize_panel.py" line="56"/>
        <source>After</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/optimize_panel.py" line="57"/>
        <source>Change</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/optimize_panel.py" line="65"/>
        <source>Use as current model</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/optimize_panel.py" line="74"/>
        <source>Settings</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/optimize_panel.py" line="76"/>
        <location filename="../../panels/optimize_panel.py" line="77"/>
        <source>ONNX models (*.onnx)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/optimize_panel.py" line="83"/>
        <source>Simplify (onnxslim)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/optimize_panel.py" line="85"/>
        <source>Transformer fusion</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/optimize_panel.py" line="87"/>
        <source>Validate against PyTorch afterwards</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/optimize_panel.py" line="92"/>
        <source>Input model:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/optimize_panel.py" line="93"/>
        <source>Output:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/optimize_panel.py" line="94"/>
        <source>Level:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/optimize_panel.py" line="107"/>
        <source>Export a model first, or choose an ONNX file.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/optimize_panel.py" line="109"/>
        <source>Choose where to write the optimized model.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/optimize_panel.py" line="124"/>
        <source>Optimize {0}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/optimize_panel.py" line="140"/>
        <source>Nodes: {0} before, {1} after ({2:.1f}% fewer).</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>PathEdit</name>
    <message>
        <location filename="../../panels/base.py" line="56"/>
        <source>Browse…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/base.py" line="71"/>
        <source>Choose a path</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>QuantizePanel</name>
    <message>
        <location filename="../../panels/quantize_panel.py" line="47"/>
        <location filename="../../panels/quantize_panel.py" line="73"/>
        <location filename="../../panels/quantize_panel.py" line="183"/>
        <source>Quantize</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/quantize_panel.py" line="48"/>
        <source>Tick the variants to build; each runs as its own job. Fidelity compares every variant&apos;s outputs with the unquantized model (cosine 1.0 = identical).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/quantize_panel.py" line="51"/>
        <source>int8 dynamic (weights int8, activations quantized at run time)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/quantize_panel.py" line="52"/>
        <source>int8 static (QDQ, needs calibration data)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/quantize_panel.py" line="53"/>
        <source>fp16 (half-precision weights and compute)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/quantize_panel.py" line="54"/>
        <source>int4 weight-only (MatMulNBits)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/quantize_panel.py" line="55"/>
        <source>int8 weight-only</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/quantize_panel.py" line="63"/>
        <source>Variant</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/quantize_panel.py" line="63"/>
        <source>State</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/quantize_panel.py" line="63"/>
        <source>Size before</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/quantize_panel.py" line="64"/>
        <source>Size after</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/quantize_panel.py" line="64"/>
        <source>Ratio</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/quantize_panel.py" line="64"/>
        <source>Cosine</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/quantize_panel.py" line="65"/>
        <source>Max abs diff</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/quantize_panel.py" line="65"/>
        <source>Output</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/quantize_panel.py" line="81"/>
        <source>Variants</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/quantize_panel.py" line="91"/>
        <source>calibration: folder of .npy/.npz or a .txt of lines</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/quantize_panel.py" line="93"/>
        <source>File…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/quantize_panel.py" line="96"/>
        <source>Folder…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/quantize_panel.py" line="108"/>
        <source>Settings</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/quantize_panel.py" line="114"/>
        <source>beside the input model</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/quantize_panel.py" line="115"/>
        <source>Per-channel weights (more accurate)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/quantize_panel.py" line="118"/>
        <source>Node names to keep in float, separated by commas or lines (e.g. /lm_head/MatMul)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/quantize_panel.py" line="121"/>
        <source>Input model:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/quantize_panel.py" line="122"/>
        <source>Output folder:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/quantize_panel.py" line="124"/>
        <source>Exclude nodes:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/quantize_panel.py" line="128"/>
        <location filename="../../panels/quantize_panel.py" line="134"/>
        <source>Calibration data</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/quantize_panel.py" line="129"/>
        <source>Calibration data (*.txt *.npy *.npz);;All files (*)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/quantize_panel.py" line="163"/>
        <source>Export a model first, or type the path of an ONNX file.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/quantize_panel.py" line="166"/>
        <source>Tick at least one variant.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/quantize_panel.py" line="169"/>
        <source>int8 static needs calibration data: choose a file or a folder.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/quantize_panel.py" line="187"/>
        <source>running</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/quantize_panel.py" line="188"/>
        <source>Quantize {0}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/quantize_panel.py" line="190"/>
        <source>failed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/quantize_panel.py" line="191"/>
        <source>cancelled</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/quantize_panel.py" line="231"/>
        <source>done</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>ReportPanel</name>
    <message>
        <location filename="../../panels/report_panel.py" line="45"/>
        <source>Report</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/report_panel.py" line="46"/>
        <source>A recipe is the whole pipeline in one TOML file. Run it here or with `workbench run`; the report collects every step&apos;s results and plots.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/report_panel.py" line="57"/>
        <location filename="../../panels/report_panel.py" line="144"/>
        <source>Run recipe</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/report_panel.py" line="59"/>
        <source>Open in browser</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/report_panel.py" line="68"/>
        <source>Recipe</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/report_panel.py" line="70"/>
        <location filename="../../panels/report_panel.py" line="99"/>
        <source>Recipes (*.toml *.yaml *.yml)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/report_panel.py" line="71"/>
        <source>empty: the settings of every step, as they are now</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/report_panel.py" line="74"/>
        <source>Load recipe…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/report_panel.py" line="76"/>
        <source>Save recipe…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/report_panel.py" line="81"/>
        <source>Recipe file:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/report_panel.py" line="82"/>
        <source>Output folder:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/report_panel.py" line="88"/>
        <source>No report yet. Run a recipe, or run the demo (Help &gt; Run the demo).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/report_panel.py" line="98"/>
        <location filename="../../panels/report_panel.py" line="109"/>
        <source>Open recipe</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/report_panel.py" line="117"/>
        <source>Recipe loaded: {0}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/report_panel.py" line="135"/>
        <source>Load a model or a recipe first.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/report_panel.py" line="147"/>
        <source>Run recipe {0}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/report_panel.py" line="154"/>
        <source>Recipe finished: {0} steps, report in {1}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/report_panel.py" line="156"/>
        <source>Failed steps: {0}</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>ValidatePanel</name>
    <message>
        <location filename="../../panels/validate_panel.py" line="43"/>
        <location filename="../../panels/validate_panel.py" line="62"/>
        <location filename="../../panels/validate_panel.py" line="108"/>
        <source>Validate</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/validate_panel.py" line="44"/>
        <source>Run the ONNX checker and shape inference, then feed the same inputs to PyTorch and ONNX Runtime at two shapes and compare every output (padded positions are ignored).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/validate_panel.py" line="50"/>
        <source>Output</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/validate_panel.py" line="50"/>
        <source>Shape</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/validate_panel.py" line="50"/>
        <source>Max abs diff</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/validate_panel.py" line="51"/>
        <source>Max rel diff</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/validate_panel.py" line="51"/>
        <source>Cosine</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/validate_panel.py" line="51"/>
        <source>Result</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/validate_panel.py" line="71"/>
        <source>What to compare</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/validate_panel.py" line="73"/>
        <source>ONNX models (*.onnx)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/validate_panel.py" line="76"/>
        <source>default for the dtype (1e-4 for fp32)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/validate_panel.py" line="78"/>
        <source>default for the dtype (1e-5 for fp32)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/validate_panel.py" line="80"/>
        <source>batch x sequence pairs, separated by commas</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/validate_panel.py" line="81"/>
        <source>ONNX model:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/validate_panel.py" line="82"/>
        <source>Against (PyTorch):</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/validate_panel.py" line="83"/>
        <source>Relative tolerance:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/validate_panel.py" line="84"/>
        <source>Absolute tolerance:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/validate_panel.py" line="85"/>
        <source>Shapes (batch x sequence):</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/validate_panel.py" line="91"/>
        <source>Export a model first, or choose an ONNX file.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/validate_panel.py" line="93"/>
        <source>Choose the PyTorch model to compare against.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/validate_panel.py" line="97"/>
        <source>Tolerances must be numbers such as 1e-4.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/validate_panel.py" line="101"/>
        <source>Write shapes as batch x sequence pairs, e.g. 2x8, 3x13.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/validate_panel.py" line="110"/>
        <source>Validate {0}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/validate_panel.py" line="118"/>
        <source>pass</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/validate_panel.py" line="118"/>
        <source>FAIL</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/validate_panel.py" line="125"/>
        <source>PASSED: ONNX Runtime matches PyTorch on every output.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/validate_panel.py" line="128"/>
        <source>FAILED: some outputs differ from PyTorch beyond the tolerances.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../panels/validate_panel.py" line="132"/>
        <source>Shapes tried: {0}. Tolerances: rtol {1:g}, atol {2:g}. Checker: {3}. Shape inference: {4}.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
</TS>
