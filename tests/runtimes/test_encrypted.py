"""The encrypted runtime through the registry: `workbench encrypt`'s .enc of an exported BERT opens (decrypted into
memory), runs, and matches the torch runtime on the same values; `validate` of the .enc passes against the
checkpoint; a wrong or missing key fails in one line. (The at-rest and no-plaintext checks are tests/deploy.)"""

import numpy as np
import pytest

from workbench.core import crypto
from workbench.core.encrypt import encrypt
from workbench.core.errors import WorkbenchError
from workbench.core.registry import default_registry
from workbench.core.runtimes.base import RuntimeOptions
from workbench.core.runtimes.select import feed
from workbench.core.specs import ModelSource, ValidateSpec

pytest.importorskip("cryptography")
KEY = bytes(range(1, 33))


@pytest.fixture(scope="module")
def encrypted_bert(exported, tmp_path_factory):
    out = tmp_path_factory.mktemp("encrypted") / "bert.enc"
    encrypt(exported("bert").path, out, KEY)
    return out


def test_encrypted_export_runs_like_pytorch(encrypted_bert, tiny_models):
    reg = default_registry()
    assert [r.name for r in reg.runtimes_for(encrypted_bert)] == ["encrypted"]
    session = reg.runtime("encrypted").open(encrypted_bert, RuntimeOptions(extra={"key": KEY}))
    reference = reg.runtime("torch").open(str(tiny_models("bert")), RuntimeOptions())
    try:
        assert session.runtime == "onnxruntime" and any("decrypted into memory" in n for n in session.notes)
        infos = session.inputs()
        inputs = reference.loaded.make_inputs(2, 7, seed=5)
        actual = session.run(feed(infos, inputs, reference.loaded.input_names))
        expected = np.asarray(reference.run(inputs)[reference.loaded.output_names[0]])
        first = next(iter(actual.values()))
        assert first.shape == expected.shape == (2, 7, 32)
        assert np.abs(first - expected).max() < 1e-4 and np.abs(expected).max() > 1e-2  # not two zero tensors
    finally:
        session.close()
        reference.close()


def test_validate_of_the_encrypted_file_passes_and_a_wrong_key_fails_in_one_line(encrypted_bert, tiny_models,
                                                                                 monkeypatch):
    from workbench import api

    monkeypatch.setenv(crypto.KEY_ENV, KEY.hex())
    result = api.validate(ValidateSpec(model=str(encrypted_bert), against=ModelSource(str(tiny_models("bert"))),
                                       shapes=((2, 8),)))
    assert result.passed and [o.name for o in result.outputs] == ["last_hidden_state", "pooler_output"]
    monkeypatch.setenv(crypto.KEY_ENV, bytes(32).hex())
    with pytest.raises(WorkbenchError, match="wrong key") as err:
        default_registry().runtime("encrypted").open(encrypted_bert, RuntimeOptions())
    assert "\n" not in str(err.value)
    monkeypatch.delenv(crypto.KEY_ENV)
    monkeypatch.delenv(crypto.KEY_FILE_ENV, raising=False)
    with pytest.raises(WorkbenchError) as err:
        default_registry().runtime("encrypted").open(encrypted_bert, RuntimeOptions())
    assert crypto.KEY_ENV in str(err.value) + err.value.hint and "\n" not in str(err.value)
