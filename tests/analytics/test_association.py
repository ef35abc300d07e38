"""Frequent itemsets and rules must equal mlxtend's (the reference) for the same thresholds."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from mlxtend.frequent_patterns import association_rules as mlx_rules
from mlxtend.frequent_patterns import fpgrowth as mlx_fpgrowth
from mlxtend.preprocessing import TransactionEncoder

from crm_engine import association
from crm_engine.association import (
    RULE_METRICS,
    association_rules,
    baskets_from_lines,
    frequent_itemsets,
    min_count,
    mine_rules,
)

ENGINES = [
    "mlxtend",
    pytest.param(
        "pyfim",
        marks=pytest.mark.skipif(not association.pyfim_available(), reason="pyfim not installed"),
    ),
]


def _baskets(n: int = 600, seed: int = 3) -> list[list[str]]:
    """Random baskets with planted co-occurrence so there are multi-item rules."""
    rng = np.random.default_rng(seed)
    items = [f"i{k:02d}" for k in range(25)]
    weights = np.linspace(3, 0.2, len(items))
    weights /= weights.sum()
    baskets = []
    for _ in range(n):
        size = int(rng.integers(1, 7))
        basket = set(rng.choice(items, size=size, replace=False, p=weights))
        if "i00" in basket and rng.random() < 0.6:
            basket |= {"i07", "i11"}
        baskets.append(sorted(str(item) for item in basket))
    return baskets


def _reference(baskets, min_support, max_len=None):
    encoder = TransactionEncoder()
    onehot = pd.DataFrame(encoder.fit(baskets).transform(baskets), columns=encoder.columns_)
    return mlx_fpgrowth(onehot, min_support=min_support, use_colnames=True, max_len=max_len)


def _as_dict(itemsets: pd.DataFrame) -> dict[frozenset, float]:
    return dict(zip(itemsets["itemsets"], itemsets["support"], strict=True))


def _rules_dict(rules: pd.DataFrame) -> dict[tuple[frozenset, frozenset], tuple]:
    return {
        (a, c): tuple(row)
        for a, c, row in zip(
            rules["antecedents"],
            rules["consequents"],
            rules[list(RULE_METRICS)].itertuples(index=False),
            strict=True,
        )
    }


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("min_support", [0.02, 0.05, 0.1])
def test_itemsets_and_rules_equal_mlxtend(engine: str, min_support: float) -> None:
    baskets = _baskets()
    ours = frequent_itemsets(baskets, min_support=min_support, engine=engine)
    ref = _reference(baskets, min_support)
    assert _as_dict(ours) == _as_dict(ref)  # same itemsets, bit-identical supports
    assert ours["itemsets"].map(len).max() >= 3

    rules = association_rules(ours, metric="confidence", min_threshold=0.3)
    ref_rules = mlx_rules(ref, num_itemsets=len(baskets), metric="confidence", min_threshold=0.3)
    assert list(rules.columns) == list(ref_rules.columns)
    assert len(rules) > 10
    assert _rules_dict(rules) == _rules_dict(ref_rules)


@pytest.mark.parametrize(
    "metric, threshold", [("lift", 1.2), ("leverage", 0.01), ("support", 0.05)]
)
def test_rules_on_other_metrics_equal_mlxtend(metric: str, threshold: float) -> None:
    baskets = _baskets()
    ours = frequent_itemsets(baskets, min_support=0.03)
    ref = _reference(baskets, 0.03)
    rules = association_rules(ours, metric=metric, min_threshold=threshold)
    ref_rules = mlx_rules(ref, num_itemsets=len(baskets), metric=metric, min_threshold=threshold)
    assert _rules_dict(rules) == _rules_dict(ref_rules)


@pytest.mark.parametrize("engine", ENGINES)
def test_max_len_equals_mlxtend(engine: str) -> None:
    baskets = _baskets()
    ours = frequent_itemsets(baskets, min_support=0.02, max_len=2, engine=engine)
    assert ours["itemsets"].map(len).max() == 2
    assert _as_dict(ours) == _as_dict(_reference(baskets, 0.02, max_len=2))


def test_support_threshold_boundary_matches_mlxtend_float_comparison() -> None:
    # 3/300 == 0.01 exactly in floats, while ceil(0.01 * 300) is 4.
    assert min_count(0.01, 300) == 3
    baskets = [["a", "b"]] * 3 + [["c"]] * 297
    ours = frequent_itemsets(baskets, min_support=0.01)
    assert frozenset({"a", "b"}) in set(ours["itemsets"])
    assert _as_dict(ours) == _as_dict(_reference(baskets, 0.01))


def test_output_is_sorted_deterministically() -> None:
    ours = frequent_itemsets(_baskets(), min_support=0.05)
    assert ours["support"].is_monotonic_decreasing
    rules = association_rules(ours, min_threshold=0.3)
    assert rules["confidence"].is_monotonic_decreasing
    again = association_rules(frequent_itemsets(_baskets(), min_support=0.05), min_threshold=0.3)
    pd.testing.assert_frame_equal(rules, again)


@pytest.mark.parametrize("engine", ENGINES)
def test_row_order_is_support_length_then_items_as_strings(engine: str) -> None:
    # Int labels: str order ("10" < "9") differs from numeric order; baskets as
    # tuples, sets and iterators are all accepted.
    baskets = [tuple(int(i[1:]) for i in b) for b in _baskets()]
    baskets = [iter(b) if k % 3 == 1 else set(b) if k % 3 else b for k, b in enumerate(baskets)]
    found = frequent_itemsets(baskets, min_support=0.02, engine=engine)
    expected = sorted(
        zip(found["support"], found["itemsets"], strict=True),
        key=lambda r: (-r[0], len(r[1]), sorted(map(str, r[1]))),
    )
    assert list(zip(found["support"], found["itemsets"], strict=True)) == expected
    rules = association_rules(found, min_threshold=0.2)
    keys = [
        (-conf, -lift, -sup, sorted(map(str, a)), sorted(map(str, c)))
        for a, c, conf, lift, sup in zip(
            rules["antecedents"],
            rules["consequents"],
            rules["confidence"],
            rules["lift"],
            rules["support"],
            strict=True,
        )
    ]
    assert keys == sorted(keys)


def test_support_lookup_of_wide_itemsets_over_many_items() -> None:
    # 4000 ** 6 does not fit in an int64 key: the lookup falls back to a MultiIndex.
    ids = np.array([[0, 1, 2, 3, 4, 3999], [5, 6, 7, 8, 9, 10]])
    index = association._SupportIndex(ids, np.array([0.1, 0.2]), n_items=4000)
    assert list(index.lookup(ids[::-1])) == [0.2, 0.1]


def test_mine_rules_finds_the_planted_rule() -> None:
    _, rules = mine_rules(_baskets(), min_support=0.05, min_confidence=0.5)
    planted = rules[
        (rules["antecedents"] == frozenset({"i00"}))
        & (rules["consequents"] == frozenset({"i07", "i11"}))
    ]
    assert len(planted) == 1
    assert planted["lift"].iloc[0] > 2


def test_no_rules_gives_an_empty_frame_with_the_columns() -> None:
    found = frequent_itemsets([["a"], ["b"], ["c"]], min_support=0.3)
    rules = association_rules(found, min_threshold=0.5)
    assert rules.empty
    assert list(rules.columns) == ["antecedents", "consequents", *RULE_METRICS]


def test_baskets_from_lines_groups_distinct_items_per_basket() -> None:
    lines = pd.DataFrame({"order": ["o1", "o1", "o1", "o2"], "sku": ["A", "B", "A", "C"]})
    assert baskets_from_lines(lines, basket="order", item="sku") == [["A", "B"], ["C"]]
    with pytest.raises(ValueError, match="lines must have a column 'item'"):
        baskets_from_lines(lines, basket="order", item="item")


@pytest.mark.parametrize("bad", [0, 0.0, -0.1, 1.5, "0.1", None, True])
def test_min_support_outside_0_1_is_rejected(bad: object) -> None:
    with pytest.raises(ValueError, match=r"min_support must be a number in \(0, 1\], got"):
        frequent_itemsets([["a"]], min_support=bad)


def test_confidence_threshold_outside_0_1_is_rejected() -> None:
    with pytest.raises(ValueError, match=r"min_confidence must be a number in \(0, 1\], got 2"):
        mine_rules([["a", "b"]], min_support=0.5, min_confidence=2)
    found = frequent_itemsets([["a", "b"]], min_support=0.5)
    with pytest.raises(ValueError, match=r"min_threshold must be a number in \(0, 1\], got 0"):
        association_rules(found, metric="confidence", min_threshold=0)


def test_bad_inputs_name_the_parameter() -> None:
    with pytest.raises(ValueError, match="baskets must contain at least one basket, got an empty"):
        frequent_itemsets([], min_support=0.1)
    with pytest.raises(ValueError, match="engine must be one of auto, pyfim, mlxtend, got 'spark'"):
        frequent_itemsets([["a"]], min_support=0.1, engine="spark")
    with pytest.raises(ValueError, match="each basket must be a collection of items"):
        frequent_itemsets(["ab"], min_support=0.1)
    with pytest.raises(ValueError, match="max_len must be a positive integer or None, got 0"):
        frequent_itemsets([["a"]], min_support=0.1, max_len=0)
    found = frequent_itemsets([["a", "b"]], min_support=0.5)
    with pytest.raises(ValueError, match="metric must be one of .*, got 'accuracy'"):
        association_rules(found, metric="accuracy")
    with pytest.raises(ValueError, match="n_baskets must be a positive integer, got None"):
        association_rules(pd.DataFrame({"support": [1.0], "itemsets": [frozenset({"a"})]}))


@pytest.mark.parametrize("engine", ENGINES)
def test_items_in_every_basket_are_reported_like_mlxtend(engine: str) -> None:
    # Regression: pyfim drops itemsets made only of items present in all baskets.
    baskets = [
        ["milk", "bread", "tea"],
        ["milk", "tea"],
        ["milk", "bread", "tea"],
        ["milk", "tea", "jam"],
    ]
    for max_len in (None, 1, 2):
        ours = frequent_itemsets(baskets, min_support=0.25, max_len=max_len, engine=engine)
        assert _as_dict(ours) == _as_dict(_reference(baskets, 0.25, max_len=max_len))
    assert frozenset({"milk", "tea"}) in set(
        frequent_itemsets(baskets, min_support=0.5)["itemsets"]
    )
