"""An immutable in-memory view of the whole catalog at one revision: lookups, search and record schemas."""

from __future__ import annotations

import bisect
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from catalog.domain.model import DataItem, Department, DepartmentLevel, SharingType, Subject, Version
from catalog.domain.validation import RecordSchema


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
    en_lower: str
    haystack: str  # code, Chinese and English names, lowercased, joined by NUL


def _entry(kind: str, code: str, zh: str, en: str, department: str, sharing: SharingType | None) -> _Entry:
    # Chinese names can hold Latin letters too (IC卡, GDP), so they are lowercased like the rest.
    code_lower, en_lower = code.lower(), en.lower()
    return _Entry(
        kind, code, zh, en, department, sharing, code_lower, en_lower, f"{code_lower}\0{zh.lower()}\0{en_lower}"
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
            for term in {entry.name_zh.lower(), entry.en_lower, *_WORD.findall(entry.en_lower)}:
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
    ) -> list[SearchHit]:
        """Ranks exact code and name matches first, then prefixes, substrings, and near misses."""
        needle = query.strip().lower()
        if not needle:
            return []

        def admitted(entry: _Entry) -> bool:
            if kinds and entry.kind not in kinds:
                return False
            if department and entry.department != department:
                return False
            return sharing_type is None or entry.sharing_type is sharing_type

        hits: list[SearchHit] = []
        matched: set[int] = set()
        for index in self._substring_matches(needle):
            entry = self._entries[index]
            if admitted(entry):
                matched.add(index)
                hits.append(self._classify(entry, needle))
        exact = any(h.match <= MatchKind.EXACT_NAME for h in hits)
        if len(hits) < wanted and not exact and not _CODE_LIKE.match(needle):
            for index, score in self._near_misses(needle).items():
                entry = self._entries[index]
                if index not in matched and admitted(entry):
                    matched.add(index)
                    hits.append(self._hit(entry, MatchKind.FUZZY, score))
        hits.sort(key=lambda h: (h.match, -h.score, _KIND_ORDER[h.kind], h.code))
        return hits

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
    def _classify(entry: _Entry, needle: str) -> SearchHit:
        if entry.code_lower == needle:
            return CatalogView._hit(entry, MatchKind.EXACT_CODE, 100.0)
        if entry.name_zh.lower() == needle or entry.en_lower == needle:
            return CatalogView._hit(entry, MatchKind.EXACT_NAME, 100.0)
        if (
            entry.code_lower.startswith(needle)
            or entry.name_zh.lower().startswith(needle)
            or entry.en_lower.startswith(needle)
        ):
            return CatalogView._hit(entry, MatchKind.PREFIX, 100.0 * len(needle) / max(len(entry.haystack), 1))
        return CatalogView._hit(entry, MatchKind.SUBSTRING, 100.0 * len(needle) / max(len(entry.haystack), 1))

    @staticmethod
    def _hit(entry: _Entry, match: int, score: float) -> SearchHit:
        return SearchHit(
            entry.kind, entry.code, entry.name_zh, entry.name_en, entry.department, entry.sharing_type, match, score
        )
