"""An immutable in-memory view of the whole catalog at one revision: lookups, search and record schemas."""

from __future__ import annotations

import bisect
import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import overload

from rapidfuzz import fuzz, process

from govmesh.kernel.catalog.model import DataItem, Department, DepartmentLevel, SharingType, Subject, Version
from govmesh.kernel.catalog.validation import RecordSchema


class MatchKind:
    EXACT_CODE = 1
    EXACT_NAME = 2
    PREFIX = 3
    SUBSTRING = 4
    FUZZY = 5


class ResourceKind:
    DEPARTMENT = "department"
    SUBJECT = "subject"
    ITEM = "item"


@dataclass(frozen=True)
class SearchHit:
    kind: str
    code: str
    name_zh: str
    name_en: str
    department: str
    sharing_type: SharingType | None
    match: int
    score: float


@dataclass(frozen=True)
class _Entry:
    kind: str
    code: str
    name_zh: str
    name_en: str
    department: str
    sharing_type: SharingType | None
    code_lower: str
    zh_lower: str
    en_lower: str
    haystack: str  # code, Chinese and English names, lowercased, joined by NUL


def _entry(kind: str, code: str, zh: str, en: str, department: str, sharing: SharingType | None) -> _Entry:
    # Chinese names can hold Latin letters too (IC卡, GDP), so they are lowercased like the rest.
    code_lower, zh_lower, en_lower = code.lower(), zh.lower(), en.lower()
    return _Entry(
        kind, code, zh, en, department, sharing, code_lower, zh_lower, en_lower, f"{code_lower}\0{zh_lower}\0{en_lower}"
    )


_KIND_ORDER = {ResourceKind.DEPARTMENT: 0, ResourceKind.SUBJECT: 1, ResourceKind.ITEM: 2}
FUZZY_CUTOFF = 80.0
_FUZZY_MIN_LENGTH = 4
_FUZZY_TERMS = 30
_WORD = re.compile(r"[a-z0-9]+")
# Codes are looked up exactly or by prefix; a near-miss code names something else entirely.
_CODE_LIKE = re.compile(r"^[0-9.]+$")


class CatalogView:
    """Everything the read RPCs and validation need, so neither touches the database."""

    def __init__(self, departments: Iterable[Department], subjects: Iterable[Subject], revision: int):
        self.revision = revision
        levels = {DepartmentLevel.CITY: 0, DepartmentLevel.DISTRICT: 1}
        self.departments = sorted(departments, key=lambda d: (levels[d.level], d.code))
        self.department_by_code = {d.code: d for d in self.departments}
        self.subjects = sorted(subjects, key=lambda s: s.code)
        self.subject_by_code = {s.code: s for s in self.subjects}
        self.item_by_code: dict[str, DataItem] = {i.code: i for s in self.subjects for i in s.items}
        self._schemas: dict[tuple[str, Version], RecordSchema] = {}
        self._schema_lock = threading.Lock()
        entries = [
            _entry(ResourceKind.DEPARTMENT, d.code, d.name_zh, d.name_en, d.code, None) for d in self.departments
        ]
        for subject in self.subjects:
            entries.append(
                _entry(ResourceKind.SUBJECT, subject.code, subject.name_zh, subject.name_en, subject.provider, None)
            )
            for item in subject.items:
                entries.append(
                    _entry(
                        ResourceKind.ITEM, item.code, item.name_zh, item.name_en, subject.provider, item.sharing_type
                    )
                )
        self._entries = entries
        # One string holding every haystack lets `str.find` (C speed) do the scan a Python loop
        # over thousands of entries would; `_starts` maps a position back to its entry.
        self._blob = "\n".join(e.haystack for e in entries)
        self._starts: list[int] = []
        position = 0
        for entry in entries:
            self._starts.append(position)
            position += len(entry.haystack) + 1
        # Near misses are looked up among the distinct words and names (a few thousand, where the
        # entries are many more), then mapped back to every entry that holds them.
        postings: dict[str, list[int]] = {}
        for index, entry in enumerate(entries):
            for term in {entry.zh_lower, entry.en_lower, *_WORD.findall(entry.en_lower)}:
                if len(term) >= _FUZZY_MIN_LENGTH:
                    postings.setdefault(term, []).append(index)
        self._vocabulary = list(postings)
        self._postings = [postings[term] for term in self._vocabulary]

    def item_owners(self) -> dict[str, str]:
        return {code: item.subject_code for code, item in self.item_by_code.items()}

    def schema(self, subject: Subject) -> RecordSchema:
        """The compiled record schema of a subject version, built once and cached."""
        key = (subject.code, subject.version)
        schema = self._schemas.get(key)
        if schema is None:
            with self._schema_lock:
                schema = self._schemas.setdefault(key, RecordSchema(subject))
        return schema

    def search(
        self,
        query: str,
        *,
        kinds: frozenset[str] = frozenset(),
        department: str = "",
        sharing_type: SharingType | None = None,
        wanted: int = 50,
    ) -> Sequence[SearchHit]:
        """Ranks exact code and name matches first, then prefixes, substrings, and near misses."""
        needle = query.strip().lower()
        if not needle:
            return RankedHits([], self._entries)

        def admitted(entry: _Entry) -> bool:
            if kinds and entry.kind not in kinds:
                return False
            if department and entry.department != department:
                return False
            return sharing_type is None or entry.sharing_type is sharing_type

        # Ranked as plain tuples (match, -score, kind order, code, entry index); SearchHit objects are
        # made only for the page the caller reads, since popular words match hundreds of entries.
        ranked: list[tuple[int, float, int, str, int]] = []
        matched: set[int] = set()
        entries = self._entries
        for index in self._substring_matches(needle):
            entry = entries[index]
            if admitted(entry):
                matched.add(index)
                match, score = self._classify(entry, needle)
                ranked.append((match, -score, _KIND_ORDER[entry.kind], entry.code, index))
        exact = any(r[0] <= MatchKind.EXACT_NAME for r in ranked)
        if len(ranked) < wanted and not exact and not _CODE_LIKE.match(needle):
            for index, score in self._near_misses(needle).items():
                entry = entries[index]
                if index not in matched and admitted(entry):
                    matched.add(index)
                    ranked.append((MatchKind.FUZZY, -score, _KIND_ORDER[entry.kind], entry.code, index))
        ranked.sort()
        return RankedHits(ranked, entries)

    def _substring_matches(self, needle: str) -> list[int]:
        """Indexes of the entries whose code or names contain the needle, in catalog order."""
        if "\n" in needle or "\0" in needle:
            return []
        found: list[int] = []
        blob, starts = self._blob, self._starts
        position = blob.find(needle)
        while position != -1:
            index = bisect.bisect_right(starts, position) - 1
            found.append(index)
            following = index + 1
            if following >= len(starts):
                break
            position = blob.find(needle, starts[following])
        return found

    def _near_misses(self, needle: str) -> dict[int, float]:
        """Entries holding a word or name within a few edits of the needle or of one of its words."""
        scores: dict[int, float] = {}
        probes = {needle, *(w for w in _WORD.findall(needle) if len(w) >= _FUZZY_MIN_LENGTH)}
        for probe in probes:
            for _term, score, position in process.extract(
                probe, self._vocabulary, scorer=fuzz.ratio, limit=_FUZZY_TERMS, score_cutoff=FUZZY_CUTOFF
            ):
                for index in self._postings[position]:
                    scores[index] = max(scores.get(index, 0.0), float(score))
        return scores

    @staticmethod
    def _classify(entry: _Entry, needle: str) -> tuple[int, float]:
        """How an entry that contains the needle matches it, and how much of it the needle covers."""
        if entry.code_lower == needle:
            return MatchKind.EXACT_CODE, 100.0
        if entry.zh_lower == needle or entry.en_lower == needle:
            return MatchKind.EXACT_NAME, 100.0
        coverage = 100.0 * len(needle) / max(len(entry.haystack), 1)
        if (
            entry.code_lower.startswith(needle)
            or entry.zh_lower.startswith(needle)
            or entry.en_lower.startswith(needle)
        ):
            return MatchKind.PREFIX, coverage
        return MatchKind.SUBSTRING, coverage


class RankedHits(Sequence[SearchHit]):
    """Search results in rank order; each SearchHit is made when it is read."""

    def __init__(self, ranked: list[tuple[int, float, int, str, int]], entries: list[_Entry]):
        self._ranked = ranked
        self._entries = entries

    def __len__(self) -> int:
        return len(self._ranked)

    @overload
    def __getitem__(self, position: int) -> SearchHit: ...

    @overload
    def __getitem__(self, position: slice) -> list[SearchHit]: ...

    def __getitem__(self, position: int | slice) -> SearchHit | list[SearchHit]:
        if isinstance(position, slice):
            return [self._hit(r) for r in self._ranked[position]]
        return self._hit(self._ranked[position])

    def _hit(self, ranked: tuple[int, float, int, str, int]) -> SearchHit:
        match, negative_score, _order, _code, index = ranked
        e = self._entries[index]
        return SearchHit(e.kind, e.code, e.name_zh, e.name_en, e.department, e.sharing_type, match, -negative_score)
