"""A real ``serve`` saves its engine's checkpoint at SIGTERM and starts from it the next
time; /readyz says when it is ready to page and whether its start began from the
checkpoint."""

from __future__ import annotations

import json
import signal

import pytest

from benchmarks.notify.fakes import wait_for
from console.notify.checkpoint import FILE_NAME

from .test_serve_process import _agent_opens_a_p1, _readyz

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def test_a_restarted_service_starts_from_its_checkpoint_and_says_it_is_ready_to_page(
        pg, serve_config, start_serve, tmp_path):
    _agent_opens_a_p1(tmp_path, pg.url)
    config = serve_config(pg.url, "pager", takeover_seconds=3)
    first = start_serve(config)
    port = first.wait_ready()
    assert wait_for(lambda: _readyz(port)["ready_to_page"], 20), first.log_text()
    ready = _readyz(port)
    assert ready["replayed"] and ready["role"] == "active"
    assert ready["from_checkpoint"] is False  # nothing saved yet: the whole log
    assert isinstance(ready["start_seconds"], float)
    # its engine has INC-1 (pulled after its start) once a page for it was tried (no
    # PagerDuty secret here: the failure is logged)
    first.wait_log(lambda e: "for INC-1" in str(e.get("message")), timeout=20)
    first.signal(signal.SIGTERM)
    assert first.wait(timeout=10) == 0, first.log_text()
    saved = tmp_path / "pager-state" / FILE_NAME
    head = json.loads(saved.read_bytes().partition(b"\n")[0])
    assert head["cursor"] > 0 and head["tickets"] == 1  # INC-1, open

    second = start_serve(config)
    port = second.wait_ready()
    assert wait_for(lambda: _readyz(port)["ready_to_page"], 20), second.log_text()
    ready = _readyz(port)
    assert ready["from_checkpoint"] is True and ready["start_seconds"] < 5
    assert not second.find(lambda e: "engine checkpoint" in str(e.get("message")))
    second.signal(signal.SIGTERM)
    assert second.wait(timeout=10) == 0
