"""`inspect` on an OpenVINO IR: the structure read from the .xml alone (inputs as the openvino runtime names them,
outputs, operators, weights from the Const layers, the rt_info metadata); a missing .bin, a truncated .xml or a
truncated .bin is one line on the CLI and writes nothing; an .xml that is no IR is not taken for one."""

import pytest

from workbench import api
from workbench.core.errors import WorkbenchError

pytest.importorskip("openvino")


@pytest.fixture(scope="module")
def ir(exported, tmp_path_factory):
    import openvino as ov

    out = tmp_path_factory.mktemp("ir-inspect") / "model.xml"
    ov.save_model(ov.convert_model(exported("bert").path), str(out), compress_to_fp16=False)
    return out


def test_inspect_reads_the_ir_as_the_runtime_sees_it(ir):
    from workbench.core.registry import default_registry
    from workbench.core.runtimes.base import RuntimeOptions

    res = api.inspect(str(ir))
    session = default_registry().runtime("openvino").open(ir, RuntimeOptions())
    try:
        assert [(t.name, t.dtype, t.shape) for t in res.inputs] == \
            [(t.name, t.dtype, t.shape) for t in session.inputs()]
        assert [t.name for t in res.outputs] == [t.name for t in session.outputs()] == ["last_hidden_state",
                                                                                           "pooler_output"]
    finally:
        session.close()
    assert res.format == "openvino" and res.files == ["model.xml", "model.bin"]
    assert res.op_counts["MatMul"] >= 4 and res.node_count == sum(res.op_counts.values())
    assert 20_000 < res.parameters < 30_000 and res.bytes_by_dtype["float32"] > 4 * 20_000  # BERT-tiny: 24,416
    assert res.total_bytes == ir.stat().st_size + ir.with_suffix(".bin").stat().st_size
    assert res.metadata["ir_version"] == "11" and "Runtime_version" in res.metadata
    assert res.metadata["workbench.kind"] == "text"  # the ONNX export's stamp, kept by the conversion


def test_a_broken_pair_is_one_line(ir, tmp_path, capsys):
    from workbench.cli import main

    xml, binary = ir.read_bytes(), ir.with_suffix(".bin").read_bytes()
    cases = {"no-bin": (xml, None, "model.bin is missing"),
             "cut-xml": (xml[: len(xml) // 2], binary, "not a readable OpenVINO IR"),
             "cut-bin": (xml, binary[: len(binary) // 2], "truncated, or from another export")}
    for name, (x, b, why) in cases.items():
        folder = tmp_path / name
        folder.mkdir()
        (folder / "model.xml").write_bytes(x)
        if b is not None:
            (folder / "model.bin").write_bytes(b)
        with pytest.raises(WorkbenchError, match=why) as err:
            api.inspect(str(folder / "model.xml"))
        assert "\n" not in str(err.value) and "--target openvino" in err.value.hint
        capsys.readouterr()
        assert main(["inspect", str(folder / "model.xml")]) != 0
        lines = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
        assert len(lines) == 1 and why in lines[0], lines
        assert sorted(p.name for p in folder.iterdir()) == sorted(["model.xml"] + (["model.bin"] if b else []))
    other = tmp_path / "settings.xml"
    other.write_text("<?xml version='1.0'?><settings><a/></settings>")
    with pytest.raises(WorkbenchError, match="not a format the workbench reads"):
        api.inspect(str(other))
