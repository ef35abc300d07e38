"""Frequent itemsets and association rules over baskets (orders, invoices).

Output is the same as mlxtend's `fpgrowth` + `association_rules` for the same
thresholds: the same itemsets with the same support, and the same rules with the
same metric columns, computed with the same floating-point expressions so values
match bit for bit. Only the row order differs (ours is deterministic: support
descending, then length, then items).

Mining uses Borgelt's C implementation of FP-growth (`pyfim`) when it is
installed and mlxtend's `fpgrowth` otherwise (engine="mlxtend" forces it).
Rule generation is vectorised: every (itemset, antecedent) split of one itemset
size is looked up at once, instead of one Python call per candidate rule.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

ENGINES = ("auto", "pyfim", "mlxtend")
# mlxtend's metric columns, in its order.
RULE_METRICS = (
    "antecedent support",
    "consequent support",
    "support",
    "confidence",
    "lift",
    "representativity",
    "leverage",
    "conviction",
    "zhangs_metric",
    "jaccard",
    "certainty",
    "kulczynski",
)
# Metrics whose threshold is a fraction; the others (lift, conviction, ...) are unbounded.
_FRACTION_METRICS = ("support", "confidence", "jaccard", "kulczynski", "representativity")


def check_fraction(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 1:
        raise ValueError(f"{name} must be a number in (0, 1], got {value!r}")
    return float(value)


def pyfim_available() -> bool:
    try:
        import fim  # noqa: F401
    except ImportError:
        return False
    return True


def _resolve_engine(engine: str) -> str:
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}, got {engine!r}")
    if engine == "auto":
        return "pyfim" if pyfim_available() else "mlxtend"
    if engine == "pyfim" and not pyfim_available():
        raise ValueError("engine 'pyfim' needs the pyfim package (pip install pyfim)")
    return engine


def min_count(min_support: float, n_baskets: int) -> int:
    """The smallest basket count c with c / n_baskets >= min_support, as mlxtend tests it."""
    c = max(1, math.ceil(min_support * n_baskets))
    while c > 1 and (c - 1) / float(n_baskets) >= min_support:
        c -= 1
    while c / float(n_baskets) < min_support:
        c += 1
    return c


def baskets_from_lines(lines: pd.DataFrame, *, basket: str, item: str) -> list[list[str]]:
    """One list of distinct items per basket from a long table of (basket, item) rows."""
    for col in (basket, item):
        if col not in lines.columns:
            raise ValueError(
                f"lines must have a column {col!r}; columns are {', '.join(map(str, lines.columns))}"
            )
    pairs = lines[[basket, item]].dropna().drop_duplicates()
    return [list(group) for _, group in pairs.groupby(basket, sort=True)[item]]


def _check_baskets(baskets: Iterable[Iterable[str]]) -> list:
    """The baskets as a list, each a collection pyfim and our checks can read twice.

    Lists, tuples and sets pass through untouched (the common case costs one type
    scan, no copy); anything else (iterators, Series) is copied to a list.
    """
    baskets = list(baskets)
    types = set(map(type, baskets))
    if str in types:
        basket = next(b for b in baskets if isinstance(b, str))
        raise ValueError(f"each basket must be a collection of items, got the string {basket!r}")
    if not types <= {list, tuple, set, frozenset}:
        baskets = [list(b) for b in baskets]
    return baskets


def _encode(baskets: Iterable[Iterable[str]]) -> tuple[list[list[int]], np.ndarray]:
    """Baskets as lists of distinct int ids, and the id -> label array."""
    ids: dict[str, int] = {}
    encoded = [sorted({ids.setdefault(item, len(ids)) for item in basket}) for basket in baskets]
    labels = np.empty(len(ids), dtype=object)
    for label, i in ids.items():
        labels[i] = label
    return encoded, labels


def _in_every_basket(baskets: list) -> list:
    """Items present in every basket (usually none: the scan stops at the first empty result)."""
    common = set(baskets[0])
    for basket in itertools.islice(baskets, 1, None):
        if not common:
            break
        common.intersection_update(basket)
    return sorted(common, key=str)


def _mine_pyfim(baskets: list, count: int, max_len: int | None) -> list[tuple]:
    """(items, count) pairs; items are the basket labels themselves.

    pyfim takes any hashable items and recodes them in C, which is cheaper than
    encoding them to ints in Python first; it also ignores repeated items in a basket.
    """
    import fim

    if max_len is None:
        found = fim.fpgrowth(baskets, target="s", supp=-count, zmin=1, report="a")
    else:
        found = fim.fpgrowth(baskets, target="s", supp=-count, zmin=1, zmax=max_len, report="a")
    # pyfim 6.28 leaves out the itemsets made only of items that are in every basket
    # (perfect extensions of the empty set); add them back: each has count n.
    n = len(baskets)
    everywhere = _in_every_basket(baskets)
    if everywhere:
        reported = {frozenset(items) for items, _ in found}
        longest = min(len(everywhere), max_len or len(everywhere))
        for size in range(1, longest + 1):
            for items in itertools.combinations(everywhere, size):
                if frozenset(items) not in reported:
                    found.append((items, n))
    return found


def _mine_mlxtend(
    encoded: list[list[int]], n_items: int, min_support: float, max_len: int | None
) -> list[tuple]:
    from mlxtend.frequent_patterns import fpgrowth
    from scipy.sparse import csr_matrix

    indptr = np.cumsum([0] + [len(b) for b in encoded])
    indices = np.fromiter(itertools.chain.from_iterable(encoded), dtype=np.int64, count=indptr[-1])
    matrix = csr_matrix(
        (np.ones(len(indices), dtype=bool), indices, indptr), shape=(len(encoded), n_items)
    )
    onehot = pd.DataFrame.sparse.from_spmatrix(matrix, columns=[str(i) for i in range(n_items)])
    found = fpgrowth(onehot, min_support=min_support, max_len=max_len)
    n = float(len(encoded))
    # Supports come back as count / n; round-trip to the integer count.
    return [
        (tuple(int(i) for i in s), round(sup * n))
        for sup, s in zip(found["support"], found["itemsets"], strict=True)
    ]


def itemsets_from_counts(found: Iterable[tuple[Sequence, int]], n_baskets: int) -> pd.DataFrame:
    """The itemsets frame (support = count / n_baskets, as mlxtend) from (items, count) pairs.

    Shared by every miner (pyfim, mlxtend, Spark MLlib) so their output is identical.
    Rows are sorted by support descending, then length, then the items' labels as
    sorted strings.
    """
    found = list(found)
    if not found:
        return _itemsets_frame(pd.DataFrame([], columns=["support", "itemsets"]), n_baskets)
    items = [row[0] for row in found]
    counts = np.fromiter((row[1] for row in found), dtype=np.int64, count=len(found))
    lengths = np.fromiter(map(len, items), dtype=np.int64, count=len(items))
    # np.lexsort: the last key is the primary one. Equal counts give equal supports.
    order = np.lexsort((*_label_rank_columns(items, lengths), lengths, -counts))
    sets = list(map(frozenset, items))
    frame = pd.DataFrame(
        {
            "support": counts[order] / float(n_baskets),
            "itemsets": [sets[i] for i in order.tolist()],
        }
    )
    return _itemsets_frame(frame, n_baskets)


def _itemsets_frame(frame: pd.DataFrame, n_baskets: int) -> pd.DataFrame:
    frame.attrs["n_baskets"] = n_baskets
    return frame


def _label_rank_columns(items: list[Sequence], lengths: np.ndarray) -> list[np.ndarray]:
    """Sort keys, last column first, equivalent to each itemset's sorted tuple of str labels.

    Each label becomes its rank in str order (equal strings, equal rank), so
    comparing rows of sorted ranks is comparing the sorted str tuples, without
    building a tuple of strings per itemset. Rows of one length only ever tie-break
    against rows of the same length, so the padding never decides.
    """
    rank = _str_ranks({label for row in items for label in row})
    flat = np.fromiter(
        map(rank.__getitem__, itertools.chain.from_iterable(items)),
        dtype=np.int64,
        count=int(lengths.sum()),
    )
    starts = np.cumsum(lengths) - lengths
    grid = np.full((len(items), int(lengths.max())), len(rank), dtype=np.int64)
    grid[
        np.repeat(np.arange(len(items)), lengths), np.arange(len(flat)) - np.repeat(starts, lengths)
    ] = flat
    grid.sort(axis=1)
    return [grid[:, col] for col in range(grid.shape[1] - 1, -1, -1)]


def frequent_itemsets(
    baskets: Sequence[Iterable[str]],
    *,
    min_support: float,
    max_len: int | None = None,
    engine: str = "auto",
) -> pd.DataFrame:
    """Itemsets whose support (share of baskets containing them) is >= min_support.

    Returns columns `support` (float) and `itemsets` (frozenset of item labels),
    as mlxtend does; `result.attrs["n_baskets"]` keeps the basket count that rules need.
    """
    min_support = check_fraction("min_support", min_support)
    if max_len is not None and (
        isinstance(max_len, bool) or not isinstance(max_len, int) or max_len < 1
    ):
        raise ValueError(f"max_len must be a positive integer or None, got {max_len!r}")
    engine = _resolve_engine(engine)
    baskets = _check_baskets(baskets)
    n = len(baskets)
    if n == 0:
        raise ValueError("baskets must contain at least one basket, got an empty history")
    if engine == "pyfim":
        return itemsets_from_counts(_mine_pyfim(baskets, min_count(min_support, n), max_len), n)
    encoded, labels = _encode(baskets)
    found = _mine_mlxtend(encoded, len(labels), min_support, max_len)
    return itemsets_from_counts(((labels[list(items)], count) for items, count in found), n)


def _rule_metrics(sAC: np.ndarray, sA: np.ndarray, sC: np.ndarray, n: int) -> dict[str, np.ndarray]:
    """mlxtend's formulas for complete data, operation for operation (so floats match)."""
    nf = float(n) - 0.0
    confidence = (sAC * nf) / (sA * nf - 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        conviction = np.full(confidence.shape, np.inf)
        below = confidence < 1.0
        conviction[below] = (1.0 - sC[below]) / (1.0 - confidence[below])
        leverage = sAC - sA * sC
        denominator = np.maximum(sAC * (1 - sA), sA * (sC - sAC))
        zhangs = np.where(denominator == 0, 0, leverage / denominator)
        certainty_denom = 1 - sC
        certainty = np.where(certainty_denom == 0, 0, (confidence - sC) / certainty_denom)
    return {
        "antecedent support": sA,
        "consequent support": sC,
        "support": sAC,
        "confidence": confidence,
        "lift": confidence / sC,
        "representativity": np.full(sAC.shape, nf / n),
        "leverage": leverage,
        "conviction": conviction,
        "zhangs_metric": zhangs,
        "jaccard": sAC / (sA + sC - sAC),
        "certainty": certainty,
        "kulczynski": ((sAC * nf) / (sA * nf - 0.0) + (sAC * nf) / (sC * nf - 0.0)) / 2,
    }


class _SupportIndex:
    """Support lookup for itemsets of one size, vectorised over many queries.

    Each row of item ids becomes one int64 (the ids as digits in base n_items) when
    that fits, so a lookup is one hash-table probe per row; wider rows use a MultiIndex.
    """

    def __init__(self, ids: np.ndarray, support: np.ndarray, n_items: int) -> None:
        width = ids.shape[1]
        self.packed = n_items**width < 2**63
        if self.packed:
            self.weights = np.array([n_items**k for k in range(width)], dtype=np.int64)
        self.index = self._keys(ids)
        self.support = support

    def _keys(self, ids: np.ndarray) -> pd.Index:
        if self.packed:
            return pd.Index(ids @ self.weights)
        return pd.MultiIndex.from_arrays(list(ids.T))

    def lookup(self, ids: np.ndarray) -> np.ndarray:
        pos = self.index.get_indexer(self._keys(ids))
        if (pos < 0).any():
            raise ValueError(
                "itemsets must be downward closed (every subset of an itemset present)"
            )
        return self.support[pos]


def _str_ranks(labels: set) -> dict:
    """Each label's rank in str order; labels whose str is equal share a rank.

    Comparing ranks then compares the labels as mlxtend's documented order does (by
    str), without building strings per itemset or rule.
    """
    texts = sorted({str(label) for label in labels})
    text_rank = {text: r for r, text in enumerate(texts)}
    return {label: text_rank[str(label)] for label in labels}


def _rule_order(parts: list[tuple], ranks: np.ndarray, frame: pd.DataFrame) -> np.ndarray:
    """Row order: confidence, lift, support descending, then (antecedent, consequent) labels.

    Same order as sorting by the tuples (sorted str antecedent, sorted str consequent):
    the id rows are already sorted by str, so their str ranks, padded with -1 (a
    shorter tuple sorts before a longer one with the same prefix), compare the same way.
    """
    width = max(max(p[0].shape[1], p[1].shape[1]) for p in parts)

    def padded(blocks: list[np.ndarray]) -> np.ndarray:
        return np.concatenate(
            [
                np.pad(ranks[b], ((0, 0), (0, width - b.shape[1])), constant_values=-1)
                for b in blocks
            ]
        )

    a, c = padded([p[0] for p in parts]), padded([p[1] for p in parts])
    keys = [c[:, k] for k in range(width - 1, -1, -1)] + [a[:, k] for k in range(width - 1, -1, -1)]
    keys += [-frame[m].to_numpy() for m in ("support", "lift", "confidence")]
    return np.lexsort(keys)  # stable, last key primary


def association_rules(
    itemsets: pd.DataFrame,
    *,
    n_baskets: int | None = None,
    metric: str = "confidence",
    min_threshold: float = 0.8,
) -> pd.DataFrame:
    """Rules A -> C from every split of every frequent itemset with metric >= min_threshold.

    `itemsets` is `frequent_itemsets` output (or mlxtend's). Columns: `antecedents`,
    `consequents` (frozensets) and RULE_METRICS; sorted by confidence, lift, support
    (descending), then items.
    """
    if metric not in RULE_METRICS:
        raise ValueError(f"metric must be one of {', '.join(RULE_METRICS)}, got {metric!r}")
    if metric in _FRACTION_METRICS:
        check_fraction("min_threshold", min_threshold)
    elif isinstance(min_threshold, bool) or not isinstance(min_threshold, (int, float)):
        raise ValueError(f"min_threshold must be a number, got {min_threshold!r}")
    if not {"support", "itemsets"} <= set(itemsets.columns):
        raise ValueError("itemsets must have the columns 'support' and 'itemsets'")
    n = n_baskets if n_baskets is not None else itemsets.attrs.get("n_baskets")
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ValueError(f"n_baskets must be a positive integer, got {n!r}")

    columns = ["antecedents", "consequents", *RULE_METRICS]
    labels = sorted({item for s in itemsets["itemsets"] for item in s}, key=str)
    ids = {label: i for i, label in enumerate(labels)}
    by_size: dict[int, list[tuple[list[int], float]]] = {}
    for s, sup in zip(itemsets["itemsets"], itemsets["support"], strict=True):
        by_size.setdefault(len(s), []).append((sorted(ids[i] for i in s), float(sup)))
    tables = {
        size: (np.array([r[0] for r in rows], dtype=np.int64), np.array([r[1] for r in rows]))
        for size, rows in by_size.items()
    }
    index = {size: _SupportIndex(arr, sup, len(labels)) for size, (arr, sup) in tables.items()}

    parts = []
    for size, (arr, sAC) in sorted(tables.items()):
        if size < 2:
            continue
        for a_size in range(size - 1, 0, -1):
            for a_cols in itertools.combinations(range(size), a_size):
                c_cols = [c for c in range(size) if c not in a_cols]
                a_ids, c_ids = arr[:, list(a_cols)], arr[:, c_cols]
                sA = index[a_size].lookup(a_ids)
                sC = index[size - a_size].lookup(c_ids)
                metrics = _rule_metrics(sAC, sA, sC, n)
                keep = metrics[metric] >= min_threshold
                if keep.any():
                    parts.append(
                        (a_ids[keep], c_ids[keep], {k: v[keep] for k, v in metrics.items()})
                    )
    if not parts:
        return pd.DataFrame(columns=columns)

    def as_sets(blocks: list[np.ndarray]) -> list[frozenset]:
        return [frozenset(map(labels.__getitem__, row)) for b in blocks for row in b.tolist()]

    frame = pd.DataFrame(
        {
            "antecedents": as_sets([p[0] for p in parts]),
            "consequents": as_sets([p[1] for p in parts]),
            **{m: np.concatenate([p[2][m] for p in parts]) for m in RULE_METRICS},
        }
    )
    rank = _str_ranks(set(labels))
    order = _rule_order(parts, np.array([rank[label] for label in labels], dtype=np.int64), frame)
    return frame.take(order).reset_index(drop=True)


def mine_rules(
    baskets: Sequence[Iterable[str]],
    *,
    min_support: float,
    min_confidence: float,
    max_len: int | None = None,
    engine: str = "auto",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Frequent itemsets and the rules with confidence >= min_confidence, in one call."""
    min_confidence = check_fraction("min_confidence", min_confidence)
    found = frequent_itemsets(baskets, min_support=min_support, max_len=max_len, engine=engine)
    rules = association_rules(found, metric="confidence", min_threshold=min_confidence)
    return found, rules
