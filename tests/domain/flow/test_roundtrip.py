"""Saving without edits keeps the meaning: a property over generated valid matrices.

Each matrix is the default one mutated the way leads edit it: targets, names and
descriptions (any text), added teams, contacts, chains and triggers, and node positions.
Derandomized: the same cases every run."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from console.domain.flow import (
    add_chain,
    add_contact,
    add_step,
    add_team,
    add_trigger,
    build_graph,
    check_records,
    dump_records,
    load_records,
    move,
    set_field,
    set_target,
)
from console.domain.matrix import check_matrix_text

from .conftest import records_of

PROPERTY = settings(max_examples=80, derandomize=True, deadline=None)

texts = st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=30).filter(
    lambda s: s.strip() != "")
new_ids = st.from_regex(r"[A-Za-z0-9_.\-]{1,10}", fullmatch=True)
# over 15m, so the default matrix's pre-breach lead times stay shorter than every target
minutes = st.integers(16, 60 * 24 * 30)


def as_duration(total: int, style: int) -> str:
    if style == 0:
        return f"{total}m"
    days, rest = divmod(total, 1440)
    hours, mins = divmod(rest, 60)
    return "".join(f"{n}{u}" for n, u in ((days, "d"), (hours, "h"), (mins, "m")) if n) or "1m"


@st.composite
def matrices(draw) -> dict:
    r = records_of()
    for sev in r["severities"]:
        if draw(st.booleans()):
            response = draw(minutes)
            r = set_target(r, sev["id"], "response", as_duration(response, draw(st.integers(0, 1))))
            resolution = response * draw(st.integers(1, 20))
            if "resolution" in sev["targets"] or draw(st.booleans()):
                r = set_target(r, sev["id"], "resolution", as_duration(resolution, 1))
        if draw(st.booleans()):
            r = set_target(r, sev["id"], "update", as_duration(draw(minutes), 1))
        if draw(st.booleans()):
            r = set_field(r, f"severity:{sev['id']}", ("name",), draw(texts))
    for kind, section in (("team", "teams"), ("tier", "tiers"), ("contact", "contacts")):
        for row in r[section]:
            if draw(st.integers(0, 4)) == 0:
                r = set_field(r, f"{kind}:{row['id']}", ("name",), draw(texts))
    if draw(st.booleans()):
        r["description"] = draw(texts) + "\n" + draw(texts)
    taken = set(build_graph(r).nodes) | {f"chain:{c}" for c in r["chains"]}
    tiers = [t["id"] for t in r["tiers"]]
    contacts = [c["id"] for c in r["contacts"]]
    for _ in range(draw(st.integers(0, 3))):
        tid = draw(new_ids)
        if f"team:{tid}" not in taken:
            taken.add(f"team:{tid}")
            r = add_team(r, tid, draw(texts), draw(st.sampled_from(tiers)),
                         draw(st.sampled_from(["support", "engineering", "product"])))
    for _ in range(draw(st.integers(0, 3))):
        cid = draw(new_ids)
        if f"contact:{cid}" not in taken:
            taken.add(f"contact:{cid}")
            contacts.append(cid)
            r = add_contact(r, cid, draw(texts), email=draw(st.none() | texts))
    for _ in range(draw(st.integers(0, 2))):
        chain = draw(new_ids)
        if f"chain:{chain}" not in taken:
            taken.add(f"chain:{chain}")
            first, second = draw(st.permutations(contacts))[:2]
            r = add_chain(r, chain, first, "email", as_duration(draw(minutes), 0))
            r = add_step(r, chain, second, "slack", backup=first)
            tid = draw(new_ids)
            if f"trigger:{tid}" not in taken:
                taken.add(f"trigger:{tid}")
                r = add_trigger(r, tid, {"unresolved_for": as_duration(draw(minutes), 1)},
                                [{"notify": chain}], description=draw(texts))
    if draw(st.booleans()):
        nodes = sorted(build_graph(r).nodes)
        chosen = draw(st.lists(st.sampled_from(nodes), max_size=8, unique=True))
        coords = st.floats(-5000, 5000, allow_nan=False)
        r = move(r, {nid: (draw(coords), draw(coords)) for nid in chosen})
    return r


@PROPERTY
@given(matrices())
def test_saving_and_loading_a_valid_matrix_keeps_its_meaning(records):
    matrix, problems = check_records(records)
    assert problems == [] and matrix is not None
    text = dump_records(records)
    assert load_records(text) == records
    reloaded, problems = check_matrix_text(text, "saved.yaml")
    assert problems == []
    assert reloaded == matrix
    assert build_graph(load_records(text)) == build_graph(records)


def test_the_shipped_matrices_survive_a_save_unchanged():
    for name in ("default", "business-hours"):
        records = records_of(name)
        assert load_records(dump_records(records)) == records
