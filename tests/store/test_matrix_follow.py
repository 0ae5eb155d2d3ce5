"""The store announces the matrix in force: the stored version at open, each newly
published one once, after its commit; a publish that rolls back changes nothing."""

from __future__ import annotations

import pytest
from matrix_variant import NEW_TEAM, TEAM_ID, variant_yaml

from console.paths import default_matrix_path
from console.store.local import LocalStore
from console.store.projector import Projector

NAME = "Default escalation matrix"


def test_a_follower_hears_the_stored_version_at_open_and_each_new_one_once(tmp_path, matrix):
    with LocalStore(tmp_path / "c", matrix) as store:
        store.publish_matrix(variant_yaml(), NAME, "lena.lead")
    store = LocalStore(tmp_path / "c", matrix)
    heard = []
    store.follow_matrix(heard.append)
    assert heard == [matrix]  # the bundled file until the store is open
    with store:
        assert [m.team(TEAM_ID).name for m in heard[1:]] == [NEW_TEAM]
        store.append("T-1", "opened", {"title": "Checkout slow", "account": "Acme"}, "ana")
        assert len(heard) == 2  # an ordinary event changes no matrix
        store.publish_matrix(default_matrix_path().read_text(encoding="utf-8"), NAME,
                             "lena.lead", "back to the default")
        assert len(heard) == 3 and heard[-1].team(TEAM_ID).name != NEW_TEAM
        assert store.matrix is heard[-1]


def test_a_publish_that_rolls_back_leaves_the_matrix_in_force(tmp_path, matrix, monkeypatch):
    heard = []
    with LocalStore(tmp_path / "c", matrix) as store:
        store.follow_matrix(heard.append)

        def fail(self, session):  # type: ignore[no-untyped-def]
            raise RuntimeError("disk full while recomputing the clocks")

        with monkeypatch.context() as patch:
            patch.setattr(Projector, "refresh_all", fail)
            with pytest.raises(RuntimeError):
                store.publish_matrix(variant_yaml(), NAME, "lena.lead")
        assert store.matrix is matrix
        assert store.matrix_versions() == []
        assert heard == [matrix]  # nothing announced for a version that never committed
        store.publish_matrix(variant_yaml(), NAME, "lena.lead")
        assert store.matrix.team(TEAM_ID).name == NEW_TEAM
        assert [m.team(TEAM_ID).name for m in heard] == [matrix.team(TEAM_ID).name, NEW_TEAM]
