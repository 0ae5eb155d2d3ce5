"""Every published matrix version carries its decision-authority table, so the shared
database can check an approval against the matrix in force (docs/security.md)."""

from __future__ import annotations

import re

from console.domain.matrix import check_matrix_text
from console.domain.people import authority_rows
from console.paths import default_matrix_path
from console.store.local import LocalStore

NAME = "Default escalation matrix"


def test_a_published_version_carries_the_authority_table_of_its_own_yaml(tmp_path, matrix):
    # a version whose table differs from the matrix in force: its own rows are carried
    text = re.sub(r"(role: t2_manager, limit: )5000", r"\g<1>2500",
                  default_matrix_path().read_text(encoding="utf-8"))
    published, _ = check_matrix_text(text, "edited")
    assert published is not None
    with LocalStore(tmp_path / "c", matrix) as store:
        event = store.publish_matrix(text, NAME, "lena.lead", "t2 refunds up to 2500")
        stored = store.history("_matrix")[-1]
    refund = {"action": "refund", "role": "t2_manager", "limit": 2500, "severities": None}
    incident = {"action": "declare_incident", "role": "incident_commander", "limit": None,
                "severities": ["P1"]}
    for payload in (event.payload, stored.payload):
        assert payload["authority"] == authority_rows(published)
        assert refund in payload["authority"] and incident in payload["authority"]
        assert payload["authority"] != authority_rows(matrix)
