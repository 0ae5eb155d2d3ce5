"""Suggestion quality, honestly measured: a rule in the text is learnt and beats the
majority baseline widely; shuffled labels are not, and the Suggester declines with the
reason; too little history trains and suggests nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from console.app.triage.registry import Registry
from console.app.triage.suggest import Suggester
from console.app.triage.train import train_text_models

from .rule_data import rule_examples

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def _trained(tmp_path: Path, count: int = 400, shuffled: bool = False) -> Registry:
    registry = Registry(tmp_path / "triage")
    train_text_models(rule_examples(count, shuffled=shuffled), registry, NOW)
    return registry


def test_a_label_that_follows_from_the_text_beats_the_baseline_by_a_wide_margin(tmp_path):
    registry = _trained(tmp_path)
    infos = {i.kind: i for i in registry.infos()}
    for kind in ("severity", "team", "category"):
        e = infos[kind].evaluation
        assert infos[kind].usable, infos[kind].why_not
        assert e["accuracy"] >= 0.9 and e["accuracy"] - e["baseline"] >= 0.5, (kind, e)
        assert e["macro_f1"] - e["baseline_macro_f1"] >= 0.5, (kind, e)
        assert e["tested"] == 80  # the later 20 % of 400


def test_the_suggestion_names_the_rule_and_the_words_that_drove_it(tmp_path):
    suggester = Suggester.load(_trained(tmp_path))
    got = suggester.suggest("Our webhook is broken", "many users see it again today")
    by = {s.field: s for s in got.items}
    assert got.declined == ""
    assert (by["team"].value, by["severity"].value, by["category"].value) == \
        ("specialists", "P2", "bug")
    assert "webhook" in by["team"].words
    assert any("many" in w or "users" in w for w in by["severity"].words)
    assert "broken" in by["category"].words
    assert by["team"].confidence > 0.5 and by["team"].model_version == 1


def test_similar_resolved_tickets_share_the_words_and_say_how_they_were_resolved(tmp_path):
    suggester = Suggester.load(_trained(tmp_path))
    got = suggester.suggest("invoice broken", "")
    assert 1 <= len(got.similar) <= 5
    assert {s.team for s in got.similar} == {"billing"}  # the invoice tickets
    assert [s.score for s in got.similar] == sorted((s.score for s in got.similar),
                                                    reverse=True)
    assert got.similar[0].resolution == "fixed by billing"


def test_shuffled_labels_do_not_beat_the_baseline_and_nothing_is_suggested(tmp_path):
    registry = _trained(tmp_path, shuffled=True)
    infos = {i.kind: i for i in registry.infos()}
    for kind in ("severity", "team", "category"):
        assert not infos[kind].usable, (kind, infos[kind].evaluation)
        assert "does not beat the majority baseline" in infos[kind].why_not
    got = Suggester.load(registry).suggest("Our webhook is broken", "many users")
    assert got.items == ()
    assert "the team model does not beat the majority baseline" in got.declined


def test_only_the_model_that_beats_the_baseline_is_used(tmp_path):
    examples = rule_examples(400)
    noisy = rule_examples(400, shuffled=True)
    # the team rule kept, the severity labels shuffled
    mixed = [e.__class__(**{**{f: getattr(e, f) for f in e.__slots__},
                            "severity": n.severity, "resolved_severity": n.severity})
             for e, n in zip(examples, noisy, strict=True)]
    registry = Registry(tmp_path / "triage")
    train_text_models(mixed, registry, NOW)
    got = Suggester.load(registry).suggest("password reset", "one user")
    assert [s.field for s in got.items] == ["team", "category"]
    assert got.declined.startswith("the severity model does not beat the majority baseline")


def test_fewer_than_200_resolved_tickets_train_nothing_and_suggest_nothing(tmp_path):
    registry = Registry(tmp_path / "triage")
    result = train_text_models(rule_examples(199), registry, NOW)
    assert result.declined == "fewer than 200 resolved tickets (199): nothing trained"
    assert registry.infos() == []
    got = Suggester.load(registry).suggest("webhook broken", "")
    assert got.items == () and got.similar == ()
    assert got.declined == "fewer than 200 resolved tickets (199)"


def test_a_suggester_with_no_models_says_none_was_trained(tmp_path):
    got = Suggester.load(Registry(tmp_path / "nothing")).suggest("webhook", "")
    assert got.items == () and "no triage model has been trained" in got.declined


def test_a_retraining_is_a_new_version_and_the_suggester_uses_the_newest(tmp_path):
    registry = _trained(tmp_path)
    train_text_models(rule_examples(300, seed=9), registry, NOW)
    assert [i.version for i in registry.infos() if i.kind == "team"] == [1, 2]
    got = Suggester.load(registry).suggest("webhook", "")
    assert {s.model_version for s in got.items} == {2}


def test_any_text_gets_an_answer_lone_surrogates_and_huge_pastes_too(tmp_path):
    suggester = Suggester.load(_trained(tmp_path, count=300))
    for text in ("\udcff webhook", "\x00", "\U0001f600" * 1000, "webhook " * 50_000):
        got = suggester.suggest(text, text)
        assert {s.field for s in got.items} == {"severity", "team", "category"}, text[:20]
    assert suggester.suggest(" ", "\n\t").declined == "nothing written yet"
