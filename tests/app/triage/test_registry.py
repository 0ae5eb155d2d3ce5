"""The model registry: versions with their evaluation, private files, and loading only
what skops rebuilds from trusted types: a tampered or foreign file is refused, never
unpickled, and the next older usable version is used."""

from __future__ import annotations

import fcntl
import os
import pickle
import stat
import threading
from datetime import UTC, datetime

import pytest
import skops.io as sio
from sklearn.preprocessing import FunctionTransformer

from console.app.triage.registry import ModelRefused, NewModel, Registry
from console.app.triage.suggest import Suggester
from console.app.triage.train import train_text_models

from .rule_data import rule_examples

NOW = datetime(2026, 6, 1, tzinfo=UTC)
EVALUATION = {"accuracy": 0.9, "macro_f1": 0.88, "baseline": 0.4}


def _info(kind: str = "team", usable: bool = True) -> NewModel:
    return NewModel(kind=kind, trained_at=NOW, examples=250, evaluation=EVALUATION,
                    usable=usable, why_not="" if usable else "does not beat the baseline")


def test_a_saved_model_comes_back_with_its_info_and_the_next_save_is_version_two(tmp_path):
    registry = Registry(tmp_path / "triage")
    first = registry.save("team", {"weights": [1.0, 2.0], "classes": ["a", "b"]}, _info())
    second = registry.save("team", {"weights": [3.0], "classes": ["c"]}, _info())
    assert (first.version, second.version) == (1, 2)
    model, info = registry.latest("team")
    assert model == {"weights": [3.0], "classes": ["c"]}
    assert info == second and info.evaluation == EVALUATION and info.examples == 250
    assert [(i.kind, i.version) for i in Registry(tmp_path / "triage").infos()] == \
        [("team", 1), ("team", 2)]


def test_the_folder_is_private_and_so_are_its_files(tmp_path):
    registry = Registry(tmp_path / "triage")
    registry.save("team", {"a": 1}, _info())
    assert stat.S_IMODE(os.stat(registry.folder).st_mode) == 0o700
    for name in os.listdir(registry.folder):
        assert stat.S_IMODE(os.stat(registry.folder / name).st_mode) == 0o600, name


def test_a_save_waits_for_another_process_saving_and_then_takes_the_next_version(tmp_path):
    registry = Registry(tmp_path / "triage")
    registry.save("team", {"a": 1}, _info())
    # another process (the background training, the CLI) holding the registry's lock
    other = os.open(registry.folder / ".lock", os.O_RDWR)
    fcntl.flock(other, fcntl.LOCK_EX)
    saved = []
    saver = threading.Thread(target=lambda: saved.append(
        registry.save("team", {"a": 2}, _info())))
    saver.start()
    try:
        saver.join(timeout=0.5)
        assert saver.is_alive() and not saved  # waiting on the lock, not numbering
        # the other writer saves its version 2 under the lock
        (registry.folder / "team-v2.json").write_text(
            (registry.folder / "team-v1.json").read_text().replace('"version": 1',
                                                                   '"version": 2'))
    finally:
        os.close(other)
    saver.join(timeout=30)
    assert [s.version for s in saved] == [3]


def test_a_write_leaves_another_writers_temporary_file_alone(tmp_path):
    registry = Registry(tmp_path / "triage")
    registry.folder.mkdir(mode=0o700)
    theirs = registry.folder / ".team-v1.skops.tmp"  # a writer that has not renamed yet
    theirs.write_bytes(b"half of their model")
    registry.save("team", {"a": 1}, _info())
    assert theirs.read_bytes() == b"half of their model"
    assert sio.loads((registry.folder / "team-v1.skops").read_bytes(), trusted=[]) == {"a": 1}


def test_latest_passes_over_a_version_that_is_not_usable(tmp_path):
    registry = Registry(tmp_path / "triage")
    registry.save("team", {"v": 1}, _info())
    registry.save("team", {"v": 2}, _info(usable=False))
    model, info = registry.latest("team")
    assert (model, info.version) == ({"v": 1}, 1)
    assert registry.newest("team").why_not == "does not beat the baseline"
    assert registry.latest("severity") is None


def test_old_versions_are_deleted_but_the_one_in_use_is_kept(tmp_path):
    registry = Registry(tmp_path / "triage")
    for version in range(1, 7):
        registry.save("team", {"v": version}, _info(usable=version == 2))
    registry.save("severity", {"v": 1}, _info("severity"))
    assert [(i.kind, i.version) for i in registry.infos()] == [
        ("severity", 1), ("team", 2), ("team", 4), ("team", 5), ("team", 6)]
    assert sorted(p.name for p in registry.folder.glob("team-*.skops")) == [
        "team-v2.skops", "team-v4.skops", "team-v5.skops", "team-v6.skops"]
    assert registry.latest("team")[0] == {"v": 2}
    registry.save("team", {"v": 7}, _info())
    assert [i.version for i in registry.infos() if i.kind == "team"] == [5, 6, 7]


def test_a_tampered_model_file_is_refused_and_the_older_version_is_used(tmp_path):
    registry = Registry(tmp_path / "triage")
    registry.save("team", {"v": 1}, _info())
    registry.save("team", {"v": 2}, _info())
    (registry.folder / "team-v2.skops").write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(ModelRefused, match=r"team-v2\.skops: not a readable model file"):
        registry.load(registry.newest("team"))
    model, info = registry.latest("team")
    assert (model, info.version) == ({"v": 1}, 1)


def test_a_pickle_in_place_of_a_model_is_never_unpickled(tmp_path):
    registry = Registry(tmp_path / "triage")
    registry.save("team", {"v": 1}, _info())
    marker = tmp_path / "pwned"
    # unpickling this would create the marker file
    payload = pickle.dumps(_Evil(str(marker)))
    (registry.folder / "team-v1.skops").write_bytes(payload)
    assert registry.latest("team") is None
    assert not marker.exists()


class _Evil:
    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (open, (self.path, "w"))


def test_a_skops_file_holding_an_untrusted_type_is_refused_naming_it(tmp_path):
    registry = Registry(tmp_path / "triage")
    info = registry.save("team", {"v": 1}, _info())
    foreign = FunctionTransformer(func=os.system)  # a model that would call a function
    (registry.folder / "team-v1.skops").write_bytes(sio.dumps(foreign))
    with pytest.raises(ModelRefused, match=r"types we do not trust: .*system"):
        registry.load(info)
    assert registry.latest("team") is None


def test_a_suggester_over_refused_files_declines_and_does_not_crash(tmp_path):
    registry = Registry(tmp_path / "triage")
    train_text_models(rule_examples(300), registry, NOW)
    for name in os.listdir(registry.folder):
        if name.endswith(".skops"):
            (registry.folder / name).write_bytes(b"garbage")
    got = Suggester.load(registry).suggest("webhook broken", "")
    assert got.items == () and got.similar == ()
    assert "the team model could not be loaded safely" in got.declined


def test_an_info_file_that_is_not_json_is_passed_over(tmp_path):
    registry = Registry(tmp_path / "triage")
    registry.save("team", {"v": 1}, _info())
    (registry.folder / "team-v2.json").write_text("{not json", encoding="utf-8")
    (registry.folder / "team-v3.json").write_text('{"kind": "severity", "version": 3}',
                                                  encoding="utf-8")
    assert [i.version for i in registry.infos()] == [1]


def test_a_model_of_trusted_types_but_not_a_text_model_is_not_used(tmp_path):
    registry = Registry(tmp_path / "triage")
    train_text_models(rule_examples(300), registry, NOW)
    registry.save("team", {"classes": ["a"], "platt": [1, 2]}, _info())
    got = Suggester.load(registry).suggest("webhook broken", "")
    assert [s.field for s in got.items] == ["severity", "category"]
    assert got.declined == "the team model could not be read"
