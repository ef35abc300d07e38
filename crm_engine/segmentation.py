"""Customer segments: K-means on log RFM features, clusters named in zh and en.

How k is chosen: K-means (k-means++, `n_init` starts) is fitted for every k in
[k_min, k_max] on a random sample of at most `selection_sample` customers (all of
them when fewer) and the k with the highest silhouette score (computed on at most
`silhouette_sample` of those) wins; ties go to the smaller k. The final model is then fitted on every customer,
starting from the winning sample centroids. Default range 2..8: fewer than 2
segments says nothing, more than 8 is more than a shop owner acts on.

How clusters are named (deterministic): a cluster's profile is the mean R, F
and M quintile score (1-5, see rfm.py) of its members, i.e. its centroid in
score space. Each cluster gets a different archetype from `ARCHETYPES`, chosen
by the one-to-one matching that minimises the total Euclidean distance between
cluster profiles and archetype prototypes (Hungarian algorithm). So a shop whose
best cluster is only moderately good still calls it "Champions" when nothing is
better, and two clusters never share a name.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from crm_engine.rfm import SCORE_COLUMNS, log_features


@dataclass(frozen=True)
class Segment:
    code: str
    name_zh: str
    name_en: str
    prototype: tuple[float, float, float]  # mean (R, F, M) score of a typical member
    advice_zh: str
    advice_en: str


ARCHETYPES = (
    Segment("champions", "冠军客户", "Champions", (5, 5, 5),
            "最近常买、花得多：优先服务，邀请试用新品。",
            "Bought recently, buy often, spend the most: serve first, invite to new products."),
    Segment("loyal", "忠诚客户", "Loyal", (3.5, 4.5, 4),
            "购买频繁：会员积分和专属优惠留住他们。",
            "Buy often: keep them with loyalty points and member offers."),
    Segment("potential_loyalist", "潜在忠诚客户", "Potential loyalists", (4.5, 3, 3),
            "最近买过几次：推荐相关商品，培养习惯。",
            "Recent, a few orders: recommend related products to build the habit."),
    Segment("new", "新客户", "New", (5, 1, 1.5),
            "刚完成首单：做好售后，引导第二次购买。",
            "Just made a first purchase: good after-sales care, nudge a second order."),
    Segment("promising", "有潜力客户", "Promising", (3.5, 1.5, 2.5),
            "买得不多但不久前来过：发放新客优惠。",
            "Few purchases, not long ago: a welcome-back offer."),
    Segment("need_attention", "需要关注客户", "Need attention", (3, 3, 3),
            "各项居中：限时优惠，防止转冷。",
            "Middle on everything: a time-limited offer before they cool down."),
    Segment("at_risk", "流失风险客户", "At risk", (2, 4, 4),
            "曾经常买，最近没来：个性化挽回。",
            "Used to buy often, not lately: a personal win-back message."),
    Segment("cant_lose", "不可流失客户", "Can't lose them", (1, 5, 5),
            "曾是大客户，很久没买：尽快人工联系。",
            "Former big spenders, long gone: contact them personally, soon."),
    Segment("hibernating", "沉睡客户", "Hibernating", (2, 2, 2),
            "很久没买、买得少：低成本唤醒。",
            "Long ago and little: low-cost reactivation."),
    Segment("lost", "已流失客户", "Lost", (1, 1, 1),
            "很久以前只买过一次：不必投入太多。",
            "One small purchase long ago: do not spend much on them."),
)  # fmt: skip
SEGMENTS = {s.code: s for s in ARCHETYPES}


def name_clusters(profiles: np.ndarray) -> list[Segment]:
    """One distinct archetype per cluster profile row (mean R, F, M score), see module doc."""
    profiles = np.asarray(profiles, dtype=float)
    if profiles.ndim != 2 or profiles.shape[1] != 3:
        raise ValueError(f"profiles must be an (n_clusters, 3) array, got shape {profiles.shape}")
    if not 1 <= len(profiles) <= len(ARCHETYPES):
        raise ValueError(
            f"the number of clusters must be in [1, {len(ARCHETYPES)}], got {len(profiles)}"
        )
    prototypes = np.array([a.prototype for a in ARCHETYPES], dtype=float)
    cost = np.linalg.norm(profiles[:, None, :] - prototypes[None, :, :], axis=2)
    rows, cols = linear_sum_assignment(cost)
    names = [ARCHETYPES[0]] * len(profiles)
    for r, c in zip(rows, cols, strict=True):
        names[r] = ARCHETYPES[c]
    return names


def select_k(
    features: np.ndarray,
    *,
    k_values: range,
    n_init: int = 10,
    silhouette_sample: int = 5_000,
    random_state: int = 0,
) -> tuple[int, dict[int, float], KMeans]:
    """The k with the best silhouette on `features` (already sampled and scaled).

    Silhouette costs O(n^2), so it is scored on at most `silhouette_sample` of the rows.
    Returns (k, {k: silhouette}, the fitted model for k). With fewer than 3
    distinct points no k >= 2 can be scored, and k = 1 is returned.
    """
    # One thread: on a sample, OpenMP's start-up and barriers cost more than they save,
    # and on a busy machine spinning threads slowed this loop twenty-fold.
    with threadpool_limits(limits=1):
        return _select_k(features, k_values, n_init, silhouette_sample, random_state)


def _select_k(
    features: np.ndarray, k_values: range, n_init: int, silhouette_sample: int, random_state: int
) -> tuple[int, dict[int, float], KMeans]:
    n_distinct = len(np.unique(features, axis=0))
    scores: dict[int, float] = {}
    best: tuple[int, KMeans] | None = None
    for k in k_values:
        if k >= n_distinct:
            break
        model = KMeans(n_clusters=k, n_init=n_init, random_state=random_state).fit(features)
        sample = silhouette_sample if len(features) > silhouette_sample else None
        scores[k] = float(
            silhouette_score(features, model.labels_, sample_size=sample, random_state=random_state)
        )
        if best is None or scores[k] > scores[best[0]]:
            best = (k, model)
    if best is None:
        return 1, scores, KMeans(n_clusters=1, n_init=1, random_state=random_state).fit(features)
    return best[0], scores, best[1]


def sample_rows(n: int, size: int, random_state: int) -> np.ndarray:
    """Sorted row positions of a reproducible random sample (all rows when n <= size)."""
    if n <= size:
        return np.arange(n)
    return np.sort(np.random.default_rng(random_state).choice(n, size=size, replace=False))


def cluster_profiles(table: pd.DataFrame, labels: np.ndarray) -> pd.DataFrame:
    """Per cluster: size, mean scores and mean RFM values (table = rfm_scores output)."""
    frame = table.assign(cluster=labels)
    grouped = frame.groupby("cluster", sort=True)
    profiles = grouped[[*SCORE_COLUMNS, "recency_days", "frequency", "monetary"]].mean()
    profiles.insert(0, "customers", grouped.size())
    return profiles


class CustomerSegmenter:
    """K-means segments on log RFM features; see the module docstring for k and names.

    fit/predict take `rfm.rfm_scores` output (one row per customer). Fitted
    attributes: scaler_, kmeans_, n_clusters_, silhouette_ ({k: score}),
    profiles_ (per-cluster DataFrame with `segment`), segments_ ([Segment] by cluster).
    """

    def __init__(
        self,
        *,
        k_min: int = 2,
        k_max: int = 8,
        selection_sample: int = 20_000,
        silhouette_sample: int = 5_000,
        n_init: int = 10,
        random_state: int = 0,
    ) -> None:
        self.k_min = k_min
        self.k_max = k_max
        self.selection_sample = selection_sample
        self.silhouette_sample = silhouette_sample
        self.n_init = n_init
        self.random_state = random_state

    def _check_params(self) -> None:
        top = len(ARCHETYPES)
        if not (isinstance(self.k_min, int) and 1 <= self.k_min <= top):
            raise ValueError(f"k_min must be an integer in [1, {top}], got {self.k_min!r}")
        if not (isinstance(self.k_max, int) and self.k_min <= self.k_max <= top):
            raise ValueError(
                f"k_max must be an integer in [k_min={self.k_min}, {top}], got {self.k_max!r}"
            )
        if not (isinstance(self.selection_sample, int) and self.selection_sample >= 100):
            raise ValueError(
                f"selection_sample must be an integer >= 100, got {self.selection_sample!r}"
            )

    def _check_table(self, table: pd.DataFrame) -> None:
        needed = ["recency_days", "frequency", "monetary", *SCORE_COLUMNS]
        missing = [c for c in needed if c not in table.columns]
        if missing:
            raise ValueError(
                f"table must be rfm_scores output; missing columns {', '.join(missing)}"
            )
        if table.empty:
            raise ValueError("table must contain at least one customer, got an empty table")

    def fit(self, table: pd.DataFrame) -> CustomerSegmenter:
        self._check_params()
        self._check_table(table)
        x = log_features(table)
        self.scaler_ = StandardScaler().fit(x)
        z = self.scaler_.transform(x)
        rows = sample_rows(len(z), self.selection_sample, self.random_state)
        k, self.silhouette_, model = select_k(
            z[rows],
            k_values=range(max(self.k_min, 2), self.k_max + 1),
            n_init=self.n_init,
            silhouette_sample=self.silhouette_sample,
            random_state=self.random_state,
        )
        if len(rows) < len(z):
            model = KMeans(n_clusters=k, init=model.cluster_centers_, n_init=1).fit(z)
        self.kmeans_ = model
        self.n_clusters_ = k
        labels = model.predict(z)
        profiles = cluster_profiles(table, labels).reindex(range(k))
        # An initial centroid can lose all its points; name it from its own centre then.
        profiles[list(SCORE_COLUMNS)] = profiles[list(SCORE_COLUMNS)].fillna(1.0)
        self.segments_ = name_clusters(profiles[list(SCORE_COLUMNS)].to_numpy())
        profiles["segment"] = [s.code for s in self.segments_]
        self.profiles_ = profiles.fillna({"customers": 0})
        return self

    def transform(self, table: pd.DataFrame) -> np.ndarray:
        """Scaled log RFM features, the space the clusters live in."""
        self._check_table(table)
        return self.scaler_.transform(log_features(table))

    def predict(self, table: pd.DataFrame) -> np.ndarray:
        """Segment code per customer (row order of `table`)."""
        labels = self.kmeans_.predict(self.transform(table))
        codes = np.array([s.code for s in self.segments_], dtype=object)
        return codes[labels]

    def fit_predict(self, table: pd.DataFrame) -> np.ndarray:
        return self.fit(table).predict(table)
