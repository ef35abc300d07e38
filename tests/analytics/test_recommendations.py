"""The documented ranking: max confidence x lift over applicable rules, then fallbacks."""

from __future__ import annotations

import pandas as pd
import pytest

from crm_engine.recommendations import rank_from_rules, rank_items


def _rules(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(
        rows, columns=["antecedents", "consequents", "confidence", "lift", "support"]
    )


RULES = _rules(
    [
        (frozenset({"tea"}), frozenset({"cup"}), 0.6, 3.0, 0.10),  # 1.8
        (frozenset({"tea", "cup"}), frozenset({"pot"}), 0.9, 4.0, 0.05),  # 3.6, needs both
        (frozenset({"tea"}), frozenset({"honey", "lemon"}), 0.5, 2.0, 0.04),  # 1.0 for each
        (frozenset({"tea"}), frozenset({"lemon"}), 0.4, 2.5, 0.06),  # 1.0, more support
        (frozenset({"milk"}), frozenset({"cereal"}), 0.9, 9.0, 0.20),  # not applicable
    ]
)


def test_items_are_ranked_by_the_best_rule_score_with_ties_by_support_then_code() -> None:
    ranked = rank_from_rules(RULES, {"tea"}, limit=10)
    assert ranked["item"].tolist() == ["cup", "lemon", "honey"]
    assert ranked["score"].tolist() == pytest.approx([1.8, 1.0, 1.0])
    assert ranked["because_of"].tolist() == [("tea",), ("tea",), ("tea",)]


def test_rules_fire_only_when_every_antecedent_was_bought_and_skip_owned_items() -> None:
    ranked = rank_from_rules(RULES, {"tea", "cup"}, limit=10)
    assert ranked["item"].tolist()[0] == "pot"
    assert "cup" not in ranked["item"].tolist()


def test_fallbacks_fill_the_list_in_order_without_repeats() -> None:
    ranked = rank_items(
        RULES,
        {"tea"},
        fallbacks=[
            ("segment", [("cup", 0.9), ("biscuit", 0.5)]),
            ("popular", [("tea", 1.0), ("jam", 0.3)]),
        ],
        limit=5,
    )
    assert [(item, reason) for item, _, reason, _ in ranked] == [
        ("cup", "rules"),
        ("lemon", "rules"),
        ("honey", "rules"),
        ("biscuit", "segment"),
        ("jam", "popular"),
    ]


def test_limit_is_validated() -> None:
    with pytest.raises(ValueError, match=r"limit must be an integer in \[1, 50\], got 51"):
        rank_from_rules(RULES, {"tea"}, limit=51)
