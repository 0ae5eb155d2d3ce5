"""Paging load from plain delivery records, computed by hand."""

from __future__ import annotations

from datetime import timedelta

import pytest

from console.domain.reports import Page, paging_load

from .._matrices import MIN, T0, D

S = timedelta(seconds=1)


def pages() -> list[Page]:
    return [
        # alice: a burst of three pages within 60 s of the first counts once; the fourth,
        # 90 s after the first, counts again
        Page("alice", T0, "c1", T0 + 5 * MIN),
        Page("alice", T0 + 30 * S, "c1", T0 + 5 * MIN),
        Page("alice", T0 + 59 * S, "c1", T0 + 5 * MIN),
        Page("alice", T0 + 90 * S, "c1", T0 + 5 * MIN),
        # bob: the backup of chain c2, acknowledged 10 minutes after its first page
        Page("alice", T0 + D, "c2", None),
        Page("bob", T0 + D + 5 * MIN, "c2", T0 + D + 10 * MIN),
        # c3: never acknowledged
        Page("bob", T0 + 2 * D, "c3", None),
        # before the window: not counted, and its chain is not in the window
        Page("bob", T0 - D, "c0", T0 - D + MIN),
    ]


def test_pages_per_person_count_a_burst_within_60_seconds_once():
    load = paging_load(pages(), T0, T0 + 14 * D)
    assert load.pages == {"alice": 3, "bob": 2}
    assert load.weeks == 2
    assert load.per_week() == {"alice": 1.5, "bob": 1.0}


def test_mtta_runs_from_a_chains_first_page_to_its_acknowledgement():
    load = paging_load(pages(), T0, T0 + 14 * D)
    assert (load.chains, load.unacknowledged) == (3, 1)  # c1, c2, c3
    assert (load.mtta.median, load.mtta.p90) == (450, 600)  # 5m and 10m
    assert load.to_json()["people"]["alice"] == {"pages": 3, "per_week": 1.5}


def test_a_paging_window_must_end_after_it_starts():
    with pytest.raises(ValueError, match="must end after it starts"):
        paging_load([], T0, T0 - D)
