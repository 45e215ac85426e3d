"""A proposed catalog change as requests: checked first (validate_only) for its diff, then applied."""

from __future__ import annotations

from google.protobuf import field_mask_pb2

from govmesh.contracts.catalog.v1 import catalog_pb2 as pb
from govmesh.kernel.catalog import convert
from govmesh.kernel.catalog.model import Subject

# What a maintainer's subject file sets; UpdateSubject writes exactly these, so a file is the whole truth.
SUBJECT_FIELDS = frozenset(
    {
        "name_zh",
        "name_en",
        "provider",
        "abstract",
        "category",
        "format",
        "update_cycle",
        "release_date",
        "items",
        "retention",
    }
)


def check_request(subject: Subject, *, exists: bool, reason: str) -> pb.CreateSubjectRequest | pb.UpdateSubjectRequest:
    """The request that shows what applying `subject` would change and stores nothing.

    An update is checked as `major` so every breaking change is listed with its reason, not just refused.
    """
    return _request(subject, exists=exists, reason=reason, major=True, validate_only=True)


def apply_request(
    subject: Subject, change: pb.SubjectChange | None, *, exists: bool, reason: str, major: bool
) -> pb.CreateSubjectRequest | pb.UpdateSubjectRequest:
    """The request that applies `subject`; `major` is sent only when the checked change breaks consumers."""
    breaking = change is not None and any(c.breaking for c in change.changes)
    return _request(subject, exists=exists, reason=reason, major=major and breaking, validate_only=False)


def _request(
    subject: Subject, *, exists: bool, reason: str, major: bool, validate_only: bool
) -> pb.CreateSubjectRequest | pb.UpdateSubjectRequest:
    message = convert.subject_to_proto(subject)
    if not exists:
        return pb.CreateSubjectRequest(subject=message, reason=reason, validate_only=validate_only)
    return pb.UpdateSubjectRequest(
        subject=message,
        update_mask=field_mask_pb2.FieldMask(paths=sorted(SUBJECT_FIELDS)),
        reason=reason,
        major=major,
        validate_only=validate_only,
    )


def breaking(change: pb.SubjectChange) -> list[pb.FieldChange]:
    """The field changes that break consumers (and so need a new major version)."""
    return [c for c in change.changes if c.breaking]
