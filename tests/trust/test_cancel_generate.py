"""Cancelling generation: a CancelToken set mid-stream, or the stream closed by its consumer, stops within one step
and leaves nothing behind (no thread, no file, no live ONNX Runtime session); api.generate raises JobCancelled.

One tiny Llama (conftest's tiny_models) exported with past key values, shared by the module."""

from __future__ import annotations

import gc
import threading
import time

import pytest

from workbench import api
from workbench.core.errors import JobCancelled
from workbench.core.jobs import CancelToken
from workbench.core.specs import ModelSource

TASK = "text-generation-with-past"
PROMPT = [1, 5, 9, 22, 7]
MANY = 40  # prompt + new tokens stay inside the tiny model's 64 positions


@pytest.fixture(scope="module")
def decoder_dir(tmp_path_factory, tiny_models):
    out = tmp_path_factory.mktemp("cancel-generate") / "llama"
    api.export(ModelSource(str(tiny_models("llama")), task=TASK), str(out))
    return out


def _snapshot(folder) -> tuple:
    return sorted((p.name, p.stat().st_size) for p in folder.rglob("*"))


def _live_sessions() -> int:
    from workbench.core.generate_decoders import OrtDecoder

    gc.collect()
    return sum(1 for o in gc.get_objects() if isinstance(o, OrtDecoder))


class CancelAfter:
    """A token that reports cancelled from its n-th check on (deterministic, no timing)."""

    def __init__(self, n: int):
        self.n, self.checks = n, 0

    @property
    def cancelled(self) -> bool:
        self.checks += 1
        return self.checks > self.n


def test_cancel_token_stops_the_stream_at_the_next_step(decoder_dir):
    before, threads, sessions = _snapshot(decoder_dir), threading.active_count(), _live_sessions()
    token = CancelToken()
    steps = []
    stream = api.generate_stream(str(decoder_dir), PROMPT, MANY, cancel=token, stop_at_eos=False)
    for step in stream:
        steps.append(step)
        if len(steps) == 3:
            token.cancel()
            cancelled_at = time.perf_counter()
    stopped = time.perf_counter() - cancelled_at
    assert [s.index for s in steps] == [0, 1, 2]  # nothing after the cancel
    assert stopped < 1.0
    del stream
    assert _snapshot(decoder_dir) == before
    assert threading.active_count() == threads
    assert _live_sessions() == sessions


def test_closing_the_stream_stops_it_and_frees_the_session(decoder_dir):
    before, sessions = _snapshot(decoder_dir), _live_sessions()
    stream = api.generate_stream(str(decoder_dir), PROMPT, MANY, stop_at_eos=False)
    first = next(stream)
    assert first.index == 0 and _live_sessions() == sessions + 1
    started = time.perf_counter()
    stream.close()
    assert time.perf_counter() - started < 1.0
    with pytest.raises(StopIteration):
        next(stream)
    del stream, first
    assert _live_sessions() == sessions
    assert _snapshot(decoder_dir) == before


def test_cancel_from_another_thread_while_streaming(decoder_dir):
    token = CancelToken()
    first_step = threading.Event()
    steps = []

    def consume():
        for step in api.generate_stream(str(decoder_dir), PROMPT, MANY, cancel=token, stop_at_eos=False):
            steps.append(step)
            first_step.set()
            time.sleep(0.05)  # a slow consumer (a chat panel painting): the cancel lands mid-stream

    worker = threading.Thread(target=consume)
    worker.start()
    assert first_step.wait(60)
    token.cancel()
    cancelled_at = time.perf_counter()
    worker.join(10)
    assert not worker.is_alive()
    assert time.perf_counter() - cancelled_at < 2.0
    assert 1 <= len(steps) < MANY


def test_api_generate_raises_job_cancelled_and_a_fresh_run_is_unaffected(decoder_dir):
    before = _snapshot(decoder_dir)
    reference = api.generate(str(decoder_dir), PROMPT, 8, stop_at_eos=False).tokens
    token = CancelAfter(3)
    with pytest.raises(JobCancelled):
        api.generate(str(decoder_dir), PROMPT, MANY, stop_at_eos=False, cancel=token)
    # checks 1-3 let three steps run, the 4th stopped the stream, the 5th is run_steps raising JobCancelled
    assert token.checks == 5
    assert api.generate(str(decoder_dir), PROMPT, 8, stop_at_eos=False).tokens == reference
    assert _snapshot(decoder_dir) == before


def test_cancelled_before_the_first_step_generates_nothing(decoder_dir):
    token = CancelToken()
    token.cancel()
    assert list(api.generate_stream(str(decoder_dir), PROMPT, MANY, cancel=token)) == []
