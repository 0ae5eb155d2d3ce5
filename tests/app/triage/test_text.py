"""The text features: a suggestion computes one ticket's row directly, without
scikit-learn's per-call checks; it must be the very row the models were trained on."""

from __future__ import annotations

import numpy as np

from console.app.triage.text import featurize, fit_classifier, fit_features, row_decisions

from .rule_data import rule_examples


def test_one_text_s_row_is_the_row_the_fitted_features_give():
    examples = rule_examples(60)
    union, _ = fit_features([f"{e.title}\n{e.text}" for e in examples])
    for text in ("Webhook broken für alle", "", "  ", "invoice invoice invoice wondering"):
        expected = union.transform([text]).tocsr()
        expected.sort_indices()
        row = featurize(union, text)
        order = np.argsort(row.indices)
        assert row.indices[order].tolist() == expected.indices.tolist()
        assert np.allclose(row.data[order], expected.data, atol=1e-6)


def test_one_row_s_scores_are_the_classifier_s():
    examples = rule_examples(80)
    texts = [f"{e.title}\n{e.text}" for e in examples]
    union, matrix = fit_features(texts)
    for labels in ([e.team for e in examples], ["a" if "invoice" in t else "b" for t in texts]):
        classifier = fit_classifier(matrix, labels)
        expected = classifier.decision_function(union.transform(["invoice broken"]))
        got = row_decisions(classifier, featurize(union, "invoice broken"))
        if expected.ndim == 2:
            assert np.allclose(got, expected[0])
        else:  # two classes: one score, for the second
            assert np.allclose(got, [-expected[0], expected[0]])


def test_the_last_rows_of_two_matrices_are_those_of_both_stacked():
    import scipy.sparse as sp

    from console.app.triage.train import last_rows

    first = sp.csr_matrix(np.arange(12, dtype=float).reshape(6, 2))
    second = sp.csr_matrix(np.arange(100, 108, dtype=float).reshape(4, 2))
    both = sp.vstack([first, second]).toarray()
    for count in (1, 4, 5, 10, 11):
        assert (last_rows(count, first, second).toarray() == both[-count:]).all(), count
