"""Publishing a matrix parses its YAML once: the store validates it and the projection
switches to that parse; the queue, the version list and the matrix followers (the GUI's
matrixChanged, the notify runner's engine) get the parsed Matrix, never the text."""

from __future__ import annotations

from typing import Any

import pytest
from matrix_variant import NEW_TEAM, TEAM_ID, variant_yaml
from service_fakes import running_service

from console.app.matrices import load_matrix_file
from console.app.runtime import matrix_ops
from console.domain.matrix import Matrix, MatrixError, yamlpos
from console.paths import default_matrix_path


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The YAML texts parsed from now on (every matrix and records loader composes
    through yamlpos._compose)."""
    texts: list[str] = []
    compose = yamlpos._compose

    def counting(text: str, lines: Any) -> Any:
        texts.append(text)
        return compose(text, lines)

    monkeypatch.setattr(yamlpos, "_compose", counting)
    return texts


def _publish(service: Any, qtbot: Any, text: str) -> Any:
    done: list[Any] = []
    failed: list[BaseException] = []
    with qtbot.waitSignal(service.matrixChanged, timeout=10000):
        matrix_ops.publish(service, text, "Default escalation matrix", "lena.lead",
                           "a change", done.append, failed.append, role="lead")
        qtbot.waitUntil(lambda: bool(done or failed), timeout=10000)
    assert not failed
    return done[0]


def test_a_publish_parses_the_matrix_yaml_once(tmp_path, qtbot, parses) -> None:  # type: ignore[no-untyped-def]
    matrix = load_matrix_file(default_matrix_path())
    with running_service(tmp_path / "lead", matrix, qtbot, user="lena.lead") as service:
        followed: list[Matrix] = []
        service.store.follow_matrix(followed.append)
        _publish(service, qtbot, variant_yaml())
        assert service.matrix.team(TEAM_ID).name == NEW_TEAM
        followed.clear()
        parses.clear()  # an earlier version exists: the publish must not re-read it
        text = default_matrix_path().read_text(encoding="utf-8")

        version = _publish(service, qtbot, text)

        assert len(parses) == 1 and parses[0] == text
        assert (version.number, version.valid, version.yaml) == (2, True, text)
        assert service.matrix.team(TEAM_ID).name != NEW_TEAM
        assert [m.team(TEAM_ID).name != NEW_TEAM for m in followed] == [True]


def test_the_store_refuses_to_publish_an_invalid_matrix(tmp_path, qtbot) -> None:  # type: ignore[no-untyped-def]
    matrix = load_matrix_file(default_matrix_path())
    with running_service(tmp_path / "lead", matrix, qtbot, user="lena.lead") as service:
        with pytest.raises(MatrixError, match="the matrix to publish"):
            service.store.publish_matrix("severities: [", "broken", "lena.lead")
        assert service.store.matrix_versions() == []


def _versions(service: Any, qtbot: Any) -> list[Any]:
    loaded: list[Any] = []
    matrix_ops.load_versions(service, loaded.append)
    qtbot.waitUntil(lambda: bool(loaded), timeout=10000)
    return loaded[0]  # type: ignore[no-any-return]


def test_the_version_list_parses_each_version_once_and_the_published_one_never(  # type: ignore[no-untyped-def]
        tmp_path, qtbot, parses) -> None:
    # an open flowchart re-reads the whole list after every publish, on every console
    matrix = load_matrix_file(default_matrix_path())
    with running_service(tmp_path / "lead", matrix, qtbot, user="lena.lead") as service:
        _publish(service, qtbot, variant_yaml())
        arrived = default_matrix_path().read_text(encoding="utf-8")
        with qtbot.waitSignal(service.matrixChanged, timeout=10000):
            service.store.publish_matrix(arrived, "as a pull brings it", "maria.lead")
        parses.clear()

        first, again = _versions(service, qtbot), _versions(service, qtbot)

        assert parses == [arrived]  # the version this process did not publish, once
        assert [(v.number, v.valid) for v in first] == [(1, True), (2, True)]
        assert again == first
