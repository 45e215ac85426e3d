"""Domain errors every service raises; one interceptor turns them into gRPC statuses with rich details."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class FieldViolation:
    """One bad field of a request: its path and what is wrong with it."""

    field: str
    description: str


class DomainError(Exception):
    """Base of the errors a use case raises; `reason` is a stable UPPER_SNAKE code for machines."""

    reason: str = "INTERNAL"

    def __init__(self, message: str, *, reason: str | None = None, metadata: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        if reason is not None:
            self.reason = reason
        self.metadata = dict(metadata or {})


class InvalidArgument(DomainError):
    reason = "INVALID_ARGUMENT"

    def __init__(self, message: str, violations: list[FieldViolation] | None = None, **kw: object):
        super().__init__(message, **kw)  # type: ignore[arg-type]
        self.violations = list(violations or [])


class NotFound(DomainError):
    reason = "NOT_FOUND"

    def __init__(self, resource_type: str, name: str, **kw: object):
        super().__init__(f"{resource_type} {name!r} not found", **kw)  # type: ignore[arg-type]
        self.resource_type = resource_type
        self.name = name


class AlreadyExists(DomainError):
    reason = "ALREADY_EXISTS"

    def __init__(self, resource_type: str, name: str, **kw: object):
        super().__init__(f"{resource_type} {name!r} already exists", **kw)  # type: ignore[arg-type]
        self.resource_type = resource_type
        self.name = name


@dataclass(frozen=True)
class PreconditionViolation:
    """A rule the current state breaks: its type (e.g. BREAKING_CHANGE), subject and description."""

    type: str
    subject: str
    description: str


class FailedPrecondition(DomainError):
    reason = "FAILED_PRECONDITION"

    def __init__(self, message: str, violations: list[PreconditionViolation] | None = None, **kw: object):
        super().__init__(message, **kw)  # type: ignore[arg-type]
        self.violations = list(violations or [])


class Aborted(DomainError):
    """A concurrent change won; the caller may re-read and retry."""

    reason = "ABORTED"


class PermissionDenied(DomainError):
    reason = "PERMISSION_DENIED"


class Unauthenticated(DomainError):
    reason = "UNAUTHENTICATED"


class ResourceExhausted(DomainError):
    reason = "RESOURCE_EXHAUSTED"

    def __init__(self, message: str, retry_after_seconds: float = 1.0, **kw: object):
        super().__init__(message, **kw)  # type: ignore[arg-type]
        self.retry_after_seconds = retry_after_seconds


@dataclass
class ViolationCollector:
    """Gathers every field violation of a request so the caller sees them all at once."""

    violations: list[FieldViolation] = field(default_factory=list)

    def add(self, field_path: str, description: str) -> None:
        self.violations.append(FieldViolation(field_path, description))

    def raise_if_any(self, message: str = "the request has invalid fields") -> None:
        if self.violations:
            raise InvalidArgument(message, self.violations)
