"""The torch runtime (PyTorch eager, the reference): it opens a model source, describes its inputs, and runs
named numpy or torch inputs exactly as the transformers model does."""

import numpy as np
import pytest
import torch
from transformers import BertModel

from workbench.core.errors import WorkbenchError
from workbench.core.registry import default_registry
from workbench.core.runtimes.base import RuntimeOptions


def test_torch_runtime_runs_a_source_like_transformers(tiny_models):
    folder = tiny_models("bert")
    runtime = default_registry().runtime("torch")
    assert runtime.opens(folder) and not runtime.opens(folder / "model.onnx")
    session = runtime.open(str(folder), RuntimeOptions())
    try:
        assert session.device == "cpu" and session.runtime == "torch"
        names = [i.name for i in session.inputs()]
        assert names[:2] == ["input_ids", "attention_mask"]
        ids = np.arange(14, dtype=np.int64).reshape(2, 7) % 100
        mask = np.ones((2, 7), dtype=np.int64)
        out = session.run({"input_ids": ids, "attention_mask": mask, **(
            {"token_type_ids": np.zeros_like(ids)} if "token_type_ids" in names else {})})
        model = BertModel.from_pretrained(str(folder)).eval()
        with torch.no_grad():
            want = model(input_ids=torch.from_numpy(ids), attention_mask=torch.from_numpy(mask)).last_hidden_state
        got = out[session.outputs()[0].name]
        assert torch.allclose(torch.as_tensor(got), want, atol=1e-5)
    finally:
        session.close()


def test_torch_runtime_refuses_an_unknown_device(tiny_models):
    with pytest.raises(WorkbenchError, match="no device 'GPU.0'"):
        default_registry().runtime("torch").open(str(tiny_models("bert")), RuntimeOptions(device="GPU.0"))
