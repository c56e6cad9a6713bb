"""Near-duplicate reports: MinHash/LSH for candidates, a similarity score to rank them, and
distance and time windows to decide.

Two reports are the same problem when their texts are alike **and** (when both have a point)
they are close together **and** they were made within a time window. The text side runs in two
steps: MinHash signatures over each text's shingles (jieba words and character bigrams) put
likely pairs into the same LSH bucket without comparing every pair; each candidate pair is
then scored exactly (:func:`similarity`). Grouping (hotspots) joins every pair that passes,
transitively, with a union-find.
"""

from __future__ import annotations

import math
import re
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache

from datasketch import MinHash, MinHashLSH
from rapidfuzz import fuzz

from cityloop.core.text import words

NUM_PERM = 64
# LSH catches pairs whose shingle Jaccard is above this; the exact score decides after.
LSH_THRESHOLD = 0.25
EARTH_METRES = 6_371_000.0
_KEEP = re.compile(r"[\w]+", re.UNICODE)
# Words that every report has and that say nothing about which problem it is.
STOP = frozenset(
    """
    的 了 是 在 有 和 我 我们 你 您 他 她 它 这 那 就 也 都 又 还 很
    被 把 给 让 对 从 到 与 及 或 等 请 请问 您好 你好 尊敬 领导 反映
    问题 希望 相关 部门 尽快 解决 处理 谢谢 感谢 一下 现在 已经 没有 不
    无 个 一 上 下 中 里 能 要 会 可以 什么 怎么 为什么 如何 由于 因为
    所以 但是 而且 0
    """.split()
)


def distance_metres(lng1: float, lat1: float, lng2: float, lat2: float) -> float:
    """Great-circle distance (haversine); exact enough at the scale of a street."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_METRES * math.asin(math.sqrt(h))


@lru_cache(maxsize=4096)
def _words(text: str) -> tuple[str, ...]:
    text = re.sub(r"\d+", "0", text or "")
    return tuple(w for w in words(text) if w not in STOP)


def shingles(text: str) -> frozenset[str]:
    """Content words and character bigrams: words carry meaning, bigrams survive the
    places where jieba cuts two reports of one problem differently."""
    ws = _words(text)
    chars = "".join(_KEEP.findall(re.sub(r"\d+", "0", text or "")))
    grams = {chars[i : i + 2] for i in range(len(chars) - 1)}
    return frozenset(ws) | frozenset(f"#{g}" for g in grams)


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def similarity(a: str, b: str) -> float:
    """0…1: the mean of the shingle Jaccard and rapidfuzz's token-set ratio over content
    words. The ratio forgives one text being a longer telling of the other; the Jaccard keeps
    two texts that only share generic words (小区, 路灯) apart."""
    wa, wb = _words(a), _words(b)
    if not wa or not wb:
        return 0.0
    ratio = fuzz.token_set_ratio(" ".join(wa), " ".join(wb)) / 100
    return round((jaccard(shingles(a), shingles(b)) + ratio) / 2, 4)


def minhash(text: str) -> MinHash:
    m = MinHash(num_perm=NUM_PERM, seed=1)
    m.update_batch([s.encode("utf-8") for s in shingles(text)])
    return m


@dataclass
class Report:
    """One report as the duplicate finder sees it."""

    key: Hashable
    text: str
    lng: float | None = None
    lat: float | None = None
    at: datetime | None = None
    support: int = 0  # residents' support (点赞数), for ranking hotspots
    title: str = ""
    place: str = ""
    data: dict = field(default_factory=dict)


def near(a: Report, b: Report, *, metres: float | None, days: float | None) -> float | None:
    """The distance in metres (0 when either has no point) if within both windows, else
    ``None``. ``metres`` / ``days`` of ``None`` switch that window off."""
    if days is not None and a.at is not None and b.at is not None:
        if abs(a.at - b.at) > timedelta(days=days):
            return None
    if a.lng is None or a.lat is None or b.lng is None or b.lat is None:
        return 0.0
    d = distance_metres(a.lng, a.lat, b.lng, b.lat)
    return d if metres is None or d <= metres else None


class DuplicateIndex:
    """An LSH index over reports; ask it for the reports that look like a new one."""

    def __init__(self, *, threshold: float = LSH_THRESHOLD):
        self._lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
        self._reports: dict[Hashable, Report] = {}

    def __len__(self) -> int:
        return len(self._reports)

    def add(self, report: Report) -> None:
        if report.key in self._reports or not _words(report.text):
            return
        self._lsh.insert(report.key, minhash(report.text))
        self._reports[report.key] = report

    def candidates(self, text: str) -> list[Report]:
        if not _words(text):
            return []
        return [self._reports[k] for k in self._lsh.query(minhash(text))]

    def similar(
        self,
        report: Report,
        *,
        metres: float | None,
        days: float | None,
        min_similarity: float,
    ) -> list[tuple[Report, float, float]]:
        """(report, similarity, distance m) of every indexed report that is the same problem,
        best first."""
        found = []
        for other in self.candidates(report.text):
            if other.key == report.key:
                continue
            d = near(report, other, metres=metres, days=days)
            if d is None:
                continue
            s = similarity(report.text, other.text)
            if s >= min_similarity:
                found.append((other, s, round(d, 1)))
        found.sort(key=lambda x: (-x[1], x[2]))
        return found


def rank(
    text: str,
    candidates: Sequence[tuple[Hashable, str]],
    *,
    min_similarity: float,
    use_lsh_above: int = 50,
) -> list[tuple[Hashable, float]]:
    """Score ``candidates`` (key, text) against ``text``; best first, those above the floor.

    Few candidates (what a 50 m / 7-day window holds) are scored directly; many go through
    LSH first, so the cost grows with the likely matches, not with all of them."""
    if len(candidates) > use_lsh_above:
        index = DuplicateIndex()
        for key, other in candidates:
            index.add(Report(key, other))
        pool = [(r.key, r.text) for r in index.candidates(text)]
    else:
        pool = list(candidates)
    scored = [(key, similarity(text, other)) for key, other in pool]
    return sorted([(k, s) for k, s in scored if s >= min_similarity], key=lambda x: -x[1])


def group(
    reports: Iterable[Report],
    *,
    metres: float | None,
    days: float | None,
    min_similarity: float,
) -> list[list[Report]]:
    """Groups of reports about one problem: pairs within the windows whose texts pass the
    floor are joined, transitively. Groups come back largest first; singletons included."""
    items = list(reports)
    index = DuplicateIndex()
    for r in items:
        index.add(r)
    parent = {r.key: r.key for r in items}

    def root(k):
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    for r in items:
        for other, _s, _d in index.similar(
            r, metres=metres, days=days, min_similarity=min_similarity
        ):
            a, b = root(r.key), root(other.key)
            if a != b:
                parent[b] = a
    groups: dict[Hashable, list[Report]] = {}
    for r in items:
        groups.setdefault(root(r.key), []).append(r)
    return sorted(groups.values(), key=lambda g: -len(g))
