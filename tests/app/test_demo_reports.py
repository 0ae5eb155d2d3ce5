"""The demo store's reports tell a story: over the last 90 days one team and one agent
are over their escalation flags and nobody else, the overall escalation rate is under
the 10% target, T1 resolves about half, Support under-rates more often than it
over-rates, and a few paging chains were acknowledged."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from console.app.matrices import load_matrix_file
from console.app.usecases.demo import seed_demo
from console.app.usecases.reports import load_report, paging_pages
from console.domain.reports import Report, paging_load
from console.paths import default_matrix_path
from console.store.local import LocalStore

NOW = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)
START = NOW - timedelta(days=90)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):  # type: ignore[no-untyped-def]
    matrix = load_matrix_file(default_matrix_path())
    data_dir: Path = tmp_path_factory.mktemp("demo-reports") / "demo"
    seed_demo(data_dir, matrix, NOW, user="me")
    with LocalStore(data_dir, matrix, clock=lambda: NOW) as store:
        yield store


@pytest.fixture(scope="module")
def report(demo) -> Report:  # type: ignore[no-untyped-def]
    return load_report(demo, START, NOW, now=NOW)


def test_exactly_one_team_and_one_agent_are_flagged_over_90_days(report: Report) -> None:
    flags = report.flags()
    assert [(f["kind"], f["id"]) for f in flags] == [("team", "specialists"),
                                                     ("agent", "gus")], flags
    specialists = report.teams["specialists"].rate
    assert not specialists.too_few and specialists.value is not None
    assert specialists.value > 0.25  # well over the 15% flag, not a borderline case
    gus = report.agents["gus"]
    assert not gus.too_few and gus.value is not None and gus.value > 0.3
    for agent, rate in report.agents.items():
        assert not rate.too_few, agent  # every agent's rate is judged
        if agent != "gus":
            assert rate.value is not None and rate.value < 0.15, agent


def test_the_overall_escalation_rate_is_under_the_target_and_t1_resolves_about_half(
        report: Report) -> None:
    assert report.opened >= 500 and report.resolved >= 300
    rate = report.escalation_rate.value
    assert rate is not None and 0.06 <= rate < 0.10  # working, but not trivially
    frontline = report.teams["frontline"].rate.value
    assert frontline is not None and frontline < 0.15
    t1 = report.t1_resolution.value
    assert t1 is not None and 0.45 <= t1 <= 0.6
    assert not report.t1_resolution.too_few


def test_support_mostly_under_rates_the_severity_engineering_confirms(
        report: Report) -> None:
    m = report.disagreement
    assert m.value is not None and 0.05 <= m.value <= 0.25 and not m.too_few
    matrix = report.disagreement_matrix
    under = matrix["P2"]["P1"]  # Support said P2, Engineering confirmed P1
    over = matrix["P1"]["P2"]
    assert under > 2 * over >= 2


def test_the_paging_load_has_acknowledged_and_unacknowledged_chains(demo) -> None:  # type: ignore[no-untyped-def]
    load = paging_load(paging_pages(demo, START, NOW), START, NOW)
    assert load.chains >= 10
    assert 0 < load.unacknowledged < load.chains / 2
    assert load.mtta.count == load.chains - load.unacknowledged
    assert load.mtta.median is not None and 60 <= load.mtta.median <= 15 * 60
    assert set(load.pages) <= {"dana-eng", "omar-eng", "lena-eng"}
