"""An immutable in-memory view of the whole catalog at one revision: lookups, search and record schemas."""

from __future__ import annotations

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
        self._fuzzy_choices = [f"{e.name_zh.lower()} {e.en_lower}" for e in entries]

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
        for index, entry in enumerate(self._entries):
            if needle not in entry.haystack or not admitted(entry):
                continue
            matched.add(index)
            hits.append(self._classify(entry, needle))
        if len(hits) < wanted:
            for _choice, score, index in process.extract(
                needle, self._fuzzy_choices, scorer=fuzz.WRatio, limit=wanted * 2, score_cutoff=FUZZY_CUTOFF
            ):
                entry = self._entries[index]
                if index in matched or not admitted(entry):
                    continue
                hits.append(self._hit(entry, MatchKind.FUZZY, float(score)))
        hits.sort(key=lambda h: (h.match, -h.score, _KIND_ORDER[h.kind], h.code))
        return hits

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
