"""The forms stay usable at 125% and 150% display scaling: each fits its screen, its
buttons stay in view, and every field can be scrolled to."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
@pytest.mark.parametrize(("width", "height", "scale"), [
    (1920, 1080, "1.25"), (1920, 1080, "1.5"), (1366, 768, "1.25")])
def test_every_form_fits_the_screen_at_125_and_150_percent(tmp_path, width, height, scale):
    """A separate process: the scale factor must be set before Qt starts."""
    screens = tmp_path / "screens.json"
    screens.write_text(json.dumps({"screens": [{
        "name": "screen", "x": 0, "y": 0, "width": width, "height": height,
        "logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1}]}))
    env = {**os.environ, "QT_QPA_PLATFORM": f"offscreen:configfile={screens}",
           "QT_SCALE_FACTOR": scale}
    done = subprocess.run([sys.executable, "-m", "tests.ui.render_forms", str(tmp_path),
                           "--check"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    reports = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert [r["form"] for r in reports] == ["intake", "handoff", "severity", "approval"]
    for report in reports:
        assert report["screen"] == [round(width / float(scale)), round(height / float(scale))]
        assert report["fits"], report
        assert report["buttons_in_view"], report
        assert report["unreachable"] == [], report
    assert (tmp_path / "intake.png").stat().st_size > 10_000


@pytest.mark.slow
@pytest.mark.parametrize(("width", "height", "scale", "room"), [
    (1920, 1080, "1", True), (1920, 1080, "1.25", True), (1280, 600, "1.25", False)])
def test_forms_open_showing_every_field_without_scrolling_when_the_screen_has_room(
        tmp_path, width, height, scale, room):
    """Also once a field appears on demand (a severity override's reason, an amount);
    a screen without room still gets a form that fits it, scrolling inside."""
    screens = tmp_path / "screens.json"
    screens.write_text(json.dumps({"screens": [{
        "name": "screen", "x": 0, "y": 0, "width": width, "height": height,
        "logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1}]}))
    env = {**os.environ, "QT_QPA_PLATFORM": f"offscreen:configfile={screens}",
           "QT_SCALE_FACTOR": scale}
    done = subprocess.run([sys.executable, "-m", "tests.ui.form_sizes"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    reports = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert [(r["form"], r["step"]) for r in reports] == [
        ("intake", "open"), ("intake", "filled"), ("intake", "override"),
        ("handoff", "open"), ("severity", "open"), ("severity", "override"),
        ("approval", "open"), ("approval", "amount")]
    assert all(r["fits"] for r in reports), reports
    if room:
        assert [r for r in reports if r["scrolls"]] == []
    else:  # the proof that this screen is small: something has to scroll
        assert any(r["scrolls"] for r in reports), reports
