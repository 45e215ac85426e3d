"""The catalog's use cases: reads from the in-memory view, versioned writes with compatibility checks."""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from opentelemetry import trace

from govmesh.kernel.catalog.files import read_catalog_dir
from govmesh.kernel.catalog.model import (
    CatalogChange,
    DataItem,
    Department,
    FieldChange,
    SharingType,
    Subject,
    SubjectCategory,
    SubjectChange,
    SubjectVersionEntry,
    Version,
)
from govmesh.kernel.catalog.plan import SUBJECT_FIELDS
from govmesh.kernel.catalog.validation import RecordViolation, TypedValue
from govmesh.kernel.catalog.view import CatalogView, SearchHit
from govmesh.runtime.errors import (
    Aborted,
    AlreadyExists,
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    PreconditionViolation,
)
from govmesh.runtime.identity import Principal, Role
from govmesh.runtime.paging import Page, PageRequest, page_of, paginate
from govmesh.runtime.unit_of_work import Database
from govmesh.services.catalog.domain.compatibility import diff_subjects
from govmesh.services.catalog.domain.rules import check_subject
from govmesh.services.catalog.persistence.repository import CatalogRepository
from govmesh.services.catalog.shipped import SEED_DIR

log = logging.getLogger("govmesh.catalog")

MAINTAINER_ROLE = Role.CATALOG_MAINTAINER
MAX_RECORDS_PER_VALIDATION = 10_000
ITEM_FIELDS = frozenset(
    f.name for f in dataclasses.fields(DataItem) if f.name not in {"code", "subject_code", "deprecated"}
)


def _trace_id() -> str:
    ctx = trace.get_current_span().get_span_context()
    return format(ctx.trace_id, "032x") if ctx.is_valid else ""


def load_seed() -> tuple[list[Department], list[Subject]]:
    """Reads the shipped catalog; a broken seed is a packaging bug, so it fails loudly."""
    departments, subjects, errors = read_catalog_dir(SEED_DIR)
    if errors:
        raise RuntimeError("the shipped catalog has errors:\n" + "\n".join(str(e) for e in errors[:20]))
    return departments, [subject for _path, subject in subjects]


@dataclasses.dataclass(frozen=True)
class WriteResult:
    subject: Subject
    change: SubjectChange


class Catalog:
    """The catalog's application service; every method is one use case."""

    def __init__(self, database: Database, repository: CatalogRepository):
        self.database = database
        self.repository = repository
        self._view = CatalogView([], [], 0)
        self._refresh_lock = threading.Lock()
        self._old_versions: dict[tuple[str, Version], Subject] = {}

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self, seed: Callable[[], tuple[list[Department], list[Subject]]] = load_seed) -> None:
        """Loads the shipped catalog on first start, then builds the in-memory view."""
        departments, subjects = seed()
        for subject in subjects:
            found = check_subject(subject, {d.code for d in departments}, {}, prefix=f"subjects/{subject.code}")
            if found.violations:
                raise RuntimeError(f"the shipped catalog breaks a rule: {found.violations[0]}")
        with self.database.unit_of_work() as work:
            seeded = self.repository.seed_if_empty(
                work.conn, departments, subjects, principal="service/catalog", trace_id=_trace_id()
            )
        if seeded:
            log.info("loaded the shipped catalog: %d departments, %d subjects", len(departments), len(subjects))
        self.reload()

    def reload(self) -> None:
        with self._refresh_lock:
            revision = self.repository.revision()
            self._view = CatalogView(self.repository.departments(), self.repository.current_subjects(), revision)

    def refresh(self) -> bool:
        """Catches up with changes other replicas made; returns True when the view moved on."""
        with self._refresh_lock:
            view = self._view
            changes = self.repository.changes_after(view.revision, limit=10_000)
            if not changes:
                return False
            codes = {c.subject_code for c in changes}
            updated = {s.code: s for s in self.repository.current_subjects(codes)}
            subjects = [updated.pop(s.code, s) for s in view.subjects] + list(updated.values())
            self._view = CatalogView(view.departments, subjects, changes[-1].revision)
            return True

    @property
    def view(self) -> CatalogView:
        return self._view

    # -- reads -------------------------------------------------------------------------------

    def list_departments(self, page: PageRequest) -> Page[Department]:
        return paginate(self._view.departments, page)

    def get_department(self, code: str) -> Department:
        department = self._view.department_by_code.get(code)
        if department is None:
            raise NotFound("department", f"departments/{code}")
        return department

    def list_subjects(
        self,
        page: PageRequest,
        *,
        provider: str = "",
        category: SubjectCategory | None = None,
        include_deprecated: bool = False,
    ) -> Page[Subject]:
        if provider:
            self.get_department(provider)
        chosen = [
            s
            for s in self._view.subjects
            if (not provider or s.provider == provider)
            and (category is None or s.category is category)
            and (include_deprecated or not s.deprecated)
        ]
        return paginate(chosen, page)

    def get_subject(self, code: str, version: str = "") -> Subject:
        current = self._view.subject_by_code.get(code)
        if current is None:
            raise NotFound("subject", f"subjects/{code}")
        if not version or version == str(current.version):
            return current
        try:
            wanted = Version.parse(version)
        except ValueError as error:
            raise InvalidArgument(str(error), [FieldViolation("version", "must be major.minor")]) from error
        found = self._old_versions.get((code, wanted))
        if found is None:
            found = self.repository.subject_at(code, wanted)
            if found is None:
                raise NotFound("subject version", f"subjects/{code}@{version}")
            # Versions never change once written, so a replica may keep them for good.
            self._old_versions[(code, wanted)] = found
        return found

    def has_cached_version(self, code: str, version: str) -> bool:
        current = self._view.subject_by_code.get(code)
        if current is not None and str(current.version) == version:
            return True
        try:
            return (code, Version.parse(version)) in self._old_versions
        except ValueError:
            return True  # get_subject reports the bad version without touching the database

    def list_versions(self, code: str, page: PageRequest) -> Page[SubjectVersionEntry]:
        self.get_subject(code)
        return page_of(self.repository.versions(code, page.offset, page.size + 1), page)

    def list_items(
        self, subject_code: str, page: PageRequest, *, sharing_type: SharingType | None = None
    ) -> Page[DataItem]:
        if subject_code == "-":
            items: Sequence[DataItem] = [i for s in self._view.subjects for i in s.items]
        else:
            items = self.get_subject(subject_code).items
        if sharing_type is not None:
            items = [i for i in items if i.sharing_type is sharing_type]
        return paginate(items, page)

    def get_item(self, subject_code: str, item_code: str) -> DataItem:
        item = self._view.item_by_code.get(item_code)
        if item is None or item.subject_code != subject_code:
            raise NotFound("data item", f"subjects/{subject_code}/items/{item_code}")
        return item

    def search(
        self,
        query: str,
        page: PageRequest,
        *,
        kinds: frozenset[str] = frozenset(),
        department: str = "",
        sharing_type: SharingType | None = None,
    ) -> Page[SearchHit]:
        if not query.strip():
            raise InvalidArgument("empty query", [FieldViolation("query", "must not be empty")])
        if len(query) > 200:
            raise InvalidArgument("query too long", [FieldViolation("query", "at most 200 characters")])
        if sharing_type is not None:
            kinds = frozenset({"item"})
        hits = self._view.search(
            query, kinds=kinds, department=department, sharing_type=sharing_type, wanted=page.offset + page.size
        )
        return paginate(hits, page)

    def stats(self) -> tuple[int, int, int, dict[SharingType, int], int]:
        view = self._view
        per_type = dict.fromkeys(SharingType, 0)
        for item in view.item_by_code.values():
            per_type[item.sharing_type] += 1
        return len(view.departments), len(view.subjects), len(view.item_by_code), per_type, view.revision

    def list_changes(self, subject_code: str, page: PageRequest) -> Page[CatalogChange]:
        if subject_code:
            self.get_subject(subject_code)
        return page_of(self.repository.changes(subject_code or None, page.offset, page.size + 1), page)

    def changes_after(self, revision: int) -> list[CatalogChange]:
        return self.repository.changes_after(revision)

    # -- validation --------------------------------------------------------------------------

    def validate_records(
        self, subject_code: str, version: str, records: Sequence[Mapping[str, TypedValue]]
    ) -> tuple[Version, list[list[RecordViolation]]]:
        if len(records) > MAX_RECORDS_PER_VALIDATION:
            raise InvalidArgument(
                "too many records", [FieldViolation("records", f"at most {MAX_RECORDS_PER_VALIDATION} a call")]
            )
        subject = self.get_subject(subject_code, version)
        schema = self._view.schema(subject)
        return subject.version, [schema.validate(values) for values in records]

    # -- writes ------------------------------------------------------------------------------

    def create_subject(
        self, principal: Principal, subject: Subject, *, reason: str, validate_only: bool
    ) -> WriteResult:
        self._require_maintainer(principal)
        self._require_reason(reason)
        self.refresh()
        if subject.code in self._view.subject_by_code:
            raise AlreadyExists("subject", f"subjects/{subject.code}")
        fresh = dataclasses.replace(
            subject,
            version=Version(1, 0),
            deprecated=False,
            items=tuple(dataclasses.replace(i, subject_code=subject.code) for i in subject.items),
        )
        self._check(fresh)
        change = SubjectChange(
            subject.code,
            "",
            "1.0",
            tuple(FieldChange(f"items/{i.code}", "added", "", i.name_en) for i in fresh.items),
        )
        if validate_only:
            return WriteResult(fresh, change)
        with self.database.unit_of_work() as work:
            self.repository.save_version(
                work.conn,
                fresh,
                change,
                previous=None,
                action="create_subject",
                principal=str(principal),
                reason=reason,
                trace_id=_trace_id(),
            )
        self.refresh()
        return WriteResult(self._view.subject_by_code[subject.code], change)

    def update_subject(
        self,
        principal: Principal,
        code: str,
        fields: Mapping[str, Any],
        *,
        reason: str,
        major: bool,
        validate_only: bool,
        expected_version: str = "",
    ) -> WriteResult:
        unknown = set(fields) - SUBJECT_FIELDS
        if unknown:
            raise InvalidArgument(
                "unknown fields in update_mask",
                [FieldViolation("update_mask", f"not writable: {p}") for p in sorted(unknown)],
            )

        def build(current: Subject) -> Subject:
            values = dict(fields)
            if "items" in values:
                values["items"] = tuple(dataclasses.replace(i, subject_code=code) for i in values["items"])
            return dataclasses.replace(current, **values)

        return self._change_subject(
            principal,
            code,
            build,
            action="update_subject",
            reason=reason,
            major=major,
            validate_only=validate_only,
            expected_version=expected_version,
        )

    def deprecate_subject(self, principal: Principal, code: str, *, reason: str, validate_only: bool) -> WriteResult:
        return self._change_subject(
            principal,
            code,
            lambda s: dataclasses.replace(s, deprecated=True),
            action="deprecate_subject",
            reason=reason,
            major=False,
            validate_only=validate_only,
        )

    def create_item(
        self, principal: Principal, subject_code: str, item: DataItem, *, reason: str, validate_only: bool
    ) -> tuple[DataItem, SubjectChange]:
        def build(current: Subject) -> Subject:
            if current.item(item.code) is not None:
                raise AlreadyExists("data item", f"subjects/{subject_code}/items/{item.code}")
            return dataclasses.replace(
                current, items=(*current.items, dataclasses.replace(item, subject_code=subject_code))
            )

        result = self._change_subject(
            principal,
            subject_code,
            build,
            action="create_item",
            reason=reason,
            major=False,
            validate_only=validate_only,
        )
        return self._item_of(result, item.code), result.change

    def update_item(
        self,
        principal: Principal,
        subject_code: str,
        item_code: str,
        fields: Mapping[str, Any],
        *,
        reason: str,
        major: bool,
        validate_only: bool,
    ) -> tuple[DataItem, SubjectChange]:
        unknown = set(fields) - ITEM_FIELDS
        if unknown:
            raise InvalidArgument(
                "unknown fields in update_mask",
                [FieldViolation("update_mask", f"not writable: {p}") for p in sorted(unknown)],
            )
        return self._replace_item(
            principal,
            subject_code,
            item_code,
            lambda i: dataclasses.replace(i, **fields),
            action="update_item",
            reason=reason,
            major=major,
            validate_only=validate_only,
        )

    def deprecate_item(
        self, principal: Principal, subject_code: str, item_code: str, *, reason: str, validate_only: bool
    ) -> tuple[DataItem, SubjectChange]:
        return self._replace_item(
            principal,
            subject_code,
            item_code,
            lambda i: dataclasses.replace(i, deprecated=True),
            action="deprecate_item",
            reason=reason,
            major=False,
            validate_only=validate_only,
        )

    # -- write machinery ---------------------------------------------------------------------

    def _replace_item(
        self,
        principal: Principal,
        subject_code: str,
        item_code: str,
        change_item: Callable[[DataItem], DataItem],
        **kw: Any,
    ) -> tuple[DataItem, SubjectChange]:
        def build(current: Subject) -> Subject:
            if current.item(item_code) is None:
                raise NotFound("data item", f"subjects/{subject_code}/items/{item_code}")
            return dataclasses.replace(
                current, items=tuple(change_item(i) if i.code == item_code else i for i in current.items)
            )

        result = self._change_subject(principal, subject_code, build, **kw)
        return self._item_of(result, item_code), result.change

    @staticmethod
    def _item_of(result: WriteResult, code: str) -> DataItem:
        item = result.subject.item(code)
        assert item is not None
        return item

    def _change_subject(
        self,
        principal: Principal,
        code: str,
        build: Callable[[Subject], Subject],
        *,
        action: str,
        reason: str,
        major: bool,
        validate_only: bool,
        expected_version: str = "",
    ) -> WriteResult:
        self._require_maintainer(principal)
        self._require_reason(reason)
        self.refresh()
        current = self.get_subject(code)
        if expected_version and expected_version != str(current.version):
            raise Aborted(
                f"subject {code} is at version {current.version}, not {expected_version}",
                metadata={"current_version": str(current.version)},
            )
        candidate = build(current)
        self._check(candidate)
        changes = diff_subjects(current, candidate)
        if not changes:
            return WriteResult(current, SubjectChange(code, str(current.version), str(current.version)))
        breaking = [c for c in changes if c.breaking]
        if breaking and not major:
            raise FailedPrecondition(
                f"{len(breaking)} change(s) break consumers of subjects/{code}; declare a new major version",
                [PreconditionViolation("BREAKING_CHANGE", c.path, c.breaking_reason) for c in breaking],
                reason="BREAKING_CHANGE",
            )
        new_version = current.version.next(major=major)
        new_subject = dataclasses.replace(candidate, version=new_version)
        change = SubjectChange(code, str(current.version), str(new_version), tuple(changes))
        if validate_only:
            return WriteResult(new_subject, change)
        with self.database.unit_of_work() as work:
            self.repository.save_version(
                work.conn,
                new_subject,
                change,
                previous=current.version,
                action=action,
                principal=str(principal),
                reason=reason,
                trace_id=_trace_id(),
            )
        self.refresh()
        return WriteResult(self._view.subject_by_code[code], change)

    def _check(self, subject: Subject) -> None:
        view = self._view
        found = check_subject(subject, view.department_by_code.keys(), view.item_owners())
        found.raise_if_any(f"subject {subject.code} breaks catalog rules")

    @staticmethod
    def _require_maintainer(principal: Principal) -> None:
        if not principal.has_role(MAINTAINER_ROLE):
            raise PermissionDenied(
                f"{principal} lacks the {MAINTAINER_ROLE} role",
                reason="ROLE_REQUIRED",
                metadata={"role": MAINTAINER_ROLE},
            )

    @staticmethod
    def _require_reason(reason: str) -> None:
        if not reason.strip():
            raise InvalidArgument("say why", [FieldViolation("reason", "every catalog change records why it was made")])
