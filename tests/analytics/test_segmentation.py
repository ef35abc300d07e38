from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from crm_engine.rfm import rfm_scores, rfm_table
from crm_engine.segmentation import ARCHETYPES, SEGMENTS, CustomerSegmenter, name_clusters
from tests.analytics.shop import AS_OF


@pytest.fixture(scope="module")
def table(frames) -> pd.DataFrame:
    return rfm_scores(rfm_table(frames[0], as_of=AS_OF))


def test_segments_recover_the_generated_kinds_with_meaningful_names(table, kinds) -> None:
    segmenter = CustomerSegmenter().fit(table)
    codes = pd.Series(segmenter.predict(table), index=table.index)
    assert segmenter.n_clusters_ == 4
    assert adjusted_rand_score(kinds.reindex(table.index), codes) == 1.0
    named = codes.groupby(kinds.reindex(table.index)).first()
    assert named["champion"] == "champions"
    assert named["new"] == "new"
    assert named["at_risk"] == "at_risk"
    assert named["lost"] in ("hibernating", "lost")


def test_k_is_the_best_silhouette_in_the_range(table) -> None:
    segmenter = CustomerSegmenter(k_min=2, k_max=6).fit(table)
    assert sorted(segmenter.silhouette_) == [2, 3, 4, 5, 6]
    assert segmenter.n_clusters_ == max(segmenter.silhouette_, key=segmenter.silhouette_.get)
    assert list(segmenter.profiles_.columns[:4]) == ["customers", "r_score", "f_score", "m_score"]
    assert segmenter.profiles_["customers"].sum() == len(table)


def test_fitting_twice_gives_the_same_segments(table) -> None:
    first = CustomerSegmenter().fit_predict(table)
    second = CustomerSegmenter().fit_predict(table)
    assert (first == second).all()


def test_sampled_selection_still_labels_every_customer(table) -> None:
    big = pd.concat([table] * 3, ignore_index=True)
    segmenter = CustomerSegmenter(selection_sample=100, silhouette_sample=50).fit(big)
    assert len(segmenter.predict(big)) == len(big)
    assert segmenter.transform(big).shape == (len(big), 3)


def test_a_single_customer_gets_one_segment(table) -> None:
    one = table.iloc[:1]
    segmenter = CustomerSegmenter().fit(one)
    assert segmenter.n_clusters_ == 1
    assert segmenter.predict(one).tolist()[0] in SEGMENTS


def test_naming_matches_each_profile_to_its_closest_distinct_archetype() -> None:
    prototypes = np.array([a.prototype for a in ARCHETYPES], dtype=float)
    order = [3, 0, 7]
    names = name_clusters(prototypes[order])
    assert [n.code for n in names] == [ARCHETYPES[i].code for i in order]
    # Two clusters near "champions": only one gets the name.
    names = name_clusters(np.array([[5, 5, 5], [4.9, 4.9, 4.9]]))
    assert len({n.code for n in names}) == 2 and "champions" in {n.code for n in names}


def test_every_archetype_has_chinese_and_english_names_and_advice() -> None:
    for a in ARCHETYPES:
        assert a.name_zh and a.name_en and a.advice_zh and a.advice_en
        assert not a.name_zh.isascii() and a.name_en.isascii()


def test_bad_parameters_are_rejected(table) -> None:
    with pytest.raises(ValueError, match=r"k_max must be an integer in \[k_min=2, 10\], got 11"):
        CustomerSegmenter(k_max=11).fit(table)
    with pytest.raises(
        ValueError, match="table must be rfm_scores output; missing columns r_score"
    ):
        CustomerSegmenter().fit(table.drop(columns=["r_score"]))
    with pytest.raises(ValueError, match="table must contain at least one customer"):
        CustomerSegmenter().fit(table.iloc[:0])
    with pytest.raises(ValueError, match=r"number of clusters must be in \[1, 10\], got 11"):
        name_clusters(np.ones((11, 3)))
