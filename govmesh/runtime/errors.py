"""Domain errors every service raises; one interceptor turns them into gRPC statuses with rich details."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class FieldViolation:
    """One bad field of a request: its path and what is wrong with it."""

    field: str
    description: str


class DomainError(Exception):
    """Base of the errors a use case raises; `reason` is a stable UPPER_SNAKE code for machines.

    `domain` is the ErrorInfo domain the reason belongs to (e.g. `authz.govmesh` for a denial's
    ReasonCode name); empty means the mesh's own.
    """

    reason: str = "INTERNAL"
    domain: str = ""

    def __init__(
        self,
        message: str,
        *,
        reason: str | None = None,
        metadata: dict[str, str] | None = None,
        domain: str | None = None,
    ):
        super().__init__(message)
        self.message = message
        if reason is not None:
            self.reason = reason
        if domain is not None:
            self.domain = domain
        self.metadata = dict(metadata or {})


class InvalidArgument(DomainError):
    reason = "INVALID_ARGUMENT"

    def __init__(self, message: str, violations: list[FieldViolation] | None = None, **kw: object):
        violations = list(violations or [])
        # The status message is all many clients print, so it names the first problem itself;
        # the BadRequest details still list every one.
        if violations and violations[0].field not in message:
            first = violations[0]
            more = f" (and {len(violations) - 1} more)" if len(violations) > 1 else ""
            message = f"{message}: {first.field}: {first.description}{more}"
        super().__init__(message, **kw)  # type: ignore[arg-type]
        self.violations = violations


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


class OutOfRange(DomainError):
    """A position (a revision, an offset) beyond what exists or is retained; start again from a valid one."""

    reason = "OUT_OF_RANGE"


class PermissionDenied(DomainError):
    reason = "PERMISSION_DENIED"


class Unauthenticated(DomainError):
    reason = "UNAUTHENTICATED"


class ResourceExhausted(DomainError):
    """Over a limit; `retry_after_seconds` becomes RetryInfo, and None says retrying will not help."""

    reason = "RESOURCE_EXHAUSTED"

    def __init__(self, message: str, retry_after_seconds: float | None = 1.0, **kw: object):
        super().__init__(message, **kw)  # type: ignore[arg-type]
        self.retry_after_seconds = retry_after_seconds


class Unavailable(DomainError):
    """A dependency (the database, another service) cannot be reached right now; retrying later helps."""

    reason = "UNAVAILABLE"

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
