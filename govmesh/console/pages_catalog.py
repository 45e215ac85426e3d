"""Catalog pages: departments, subjects, items with their sharing types, versions and diffs, search, and changes.

A maintainer proposes a change by editing a subject as YAML (the layout `govmesh catalog export`
writes) or in a form, which becomes the same YAML; the console checks it with the same requests
`govmesh catalog plan` sends, shows the diff with breaking changes flagged, and applies it only when
the maintainer confirms.
"""

from __future__ import annotations

import dataclasses

import grpc
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from govmesh.client import error_details
from govmesh.console.web import PAGE_SIZE, BadInput, Page, page, posted
from govmesh.contracts.catalog.v1 import catalog_pb2 as pb
from govmesh.contracts.catalog.v1 import catalog_pb2_grpc
from govmesh.kernel.catalog import convert, plan
from govmesh.kernel.catalog.files import parse_subject, subject_text
from govmesh.kernel.catalog.model import SharingType, Subject


async def catalog(request: Request) -> Response:
    current = page(request)
    stats = await current.stubs.catalog.GetCatalogStats(pb.GetCatalogStatsRequest())
    reply = await current.stubs.catalog.ListDepartments(
        pb.ListDepartmentsRequest(page_size=PAGE_SIZE, page_token=current.query("page_token"))
    )
    return current.render("catalog.html", stats=stats, departments=reply, pb=pb)


async def search(request: Request) -> Response:
    """Full page, or only the results when htmx asks as the person types."""
    current = page(request)
    query = current.query("q")
    reply = None
    if query:
        reply = await current.stubs.catalog.Search(
            pb.SearchRequest(query=query, page_size=PAGE_SIZE, page_token=current.query("page_token"))
        )
    template = "search_results.html" if request.headers.get("hx-request") else "search.html"
    return current.render(template, query=query, results=reply, pb=pb)


async def subjects(request: Request) -> Response:
    current = page(request)
    provider = current.query("provider")
    department = None
    if provider:
        department = (
            await current.stubs.catalog.GetDepartment(pb.GetDepartmentRequest(name=f"departments/{provider}"))
        ).department
    reply = await current.stubs.catalog.ListSubjects(
        pb.ListSubjectsRequest(page_size=PAGE_SIZE, page_token=current.query("page_token"), provider=provider)
    )
    return current.render("subjects.html", subjects=reply, provider=provider, department=department, pb=pb)


async def subject(request: Request) -> Response:
    current = page(request)
    code = request.path_params["code"]
    version = current.query("version")
    found = (
        await current.stubs.catalog.GetSubject(pb.GetSubjectRequest(name=f"subjects/{code}", version=version))
    ).subject
    return current.render("subject.html", subject=found, version=version, pb=pb)


async def versions(request: Request) -> Response:
    current = page(request)
    code = request.path_params["code"]
    reply = await current.stubs.catalog.ListSubjectVersions(
        pb.ListSubjectVersionsRequest(name=f"subjects/{code}", page_size=20, page_token=current.query("page_token"))
    )
    return current.render("versions.html", code=code, versions=reply, pb=pb)


async def changes(request: Request) -> Response:
    current = page(request)
    reply = await current.stubs.catalog.ListCatalogChanges(
        pb.ListCatalogChangesRequest(
            subject=current.query("subject"), page_size=PAGE_SIZE, page_token=current.query("page_token")
        )
    )
    return current.render("changes.html", changes=reply, pb=pb)


async def edit(request: Request) -> Response:
    """The subject as YAML in a text area, ready to edit (a new subject starts from a template)."""
    current = page(request)
    code = request.path_params.get("code", "")
    text = _NEW_SUBJECT
    if code:
        live = (await current.stubs.catalog.GetSubject(pb.GetSubjectRequest(name=f"subjects/{code}"))).subject
        text = subject_text(convert.subject_from_proto(live))
    return current.render("edit.html", code=code, text=text, reason="", errors=[])


async def propose(request: Request) -> Response:
    """Checks the edited subject (stores nothing) and shows the diff, breaking changes flagged."""
    current = page(request)
    form = await posted(request, current)
    return await _check(current, str(form.get("subject_yaml") or ""), str(form.get("reason") or "").strip())


async def edit_form(request: Request) -> Response:
    """The subject's names and each item's names, length, requiredness and sharing type as a form."""
    current = page(request)
    code = request.path_params["code"]
    live = (await current.stubs.catalog.GetSubject(pb.GetSubjectRequest(name=f"subjects/{code}"))).subject
    return current.render("edit_form.html", subject=live, pb=pb, sharing=[t.value for t in SharingType])


async def propose_form(request: Request) -> Response:
    """A form edit becomes the same YAML proposal as a text edit, checked the same way."""
    current = page(request)
    form = await posted(request, current)
    code = str(form.get("code") or "")
    live = (await current.stubs.catalog.GetSubject(pb.GetSubjectRequest(name=f"subjects/{code}"))).subject
    edited = _edited(convert.subject_from_proto(live), form)
    return await _check(current, subject_text(edited), str(form.get("reason") or "").strip())


def _edited(subject: Subject, form: FormData) -> Subject:
    items = []
    for item in subject.items:
        field = f"item.{item.code}."
        length = str(form.get(field + "length") or "0").strip()
        sharing = str(form.get(field + "sharing_type") or item.sharing_type.value)
        if not length.isdigit() or sharing not in {t.value for t in SharingType}:
            raise BadInput(f"{item.code}: length must be a whole number and sharing one of the three types")
        items.append(
            dataclasses.replace(
                item,
                name_zh=str(form.get(field + "name_zh") or "").strip(),
                name_en=str(form.get(field + "name_en") or "").strip(),
                length=int(length),
                required=form.get(field + "required") == "on",
                sharing_type=SharingType(sharing),
            )
        )
    return dataclasses.replace(
        subject,
        name_zh=str(form.get("name_zh") or "").strip(),
        name_en=str(form.get("name_en") or "").strip(),
        abstract=str(form.get("abstract") or "").strip(),
        items=tuple(items),
    )


async def _check(current: Page, text: str, reason: str) -> Response:
    parsed, exists, errors = await _read_proposal(current.stubs.catalog, text)
    if parsed is None or errors:
        return current.render("edit.html", status_code=400, code="", text=text, reason=reason, errors=errors)
    checked = plan.check_request(parsed, exists=exists, reason=reason or "proposed in the console")
    try:
        change = await _send(current.stubs.catalog, checked)
    except grpc.aio.AioRpcError as error:
        if error.code() != grpc.StatusCode.INVALID_ARGUMENT:
            raise
        # The catalog's rules refused it: the text stays in the editor beside every violation.
        errors = [error.details() or "", *error_details(error)[1]]
        return current.render("edit.html", status_code=400, code="", text=text, reason=reason, errors=errors)
    return _review(current, parsed, exists, change, text, reason)


def _review(
    current: Page, parsed: Subject, exists: bool, change: pb.SubjectChange, text: str, reason: str, refused: str = ""
) -> Response:
    return current.render(
        "plan.html",
        status_code=409 if refused else 200,
        subject=parsed,
        exists=exists,
        change=change,
        breaking=plan.breaking(change),
        text=text,
        reason=reason,
        refused=refused,
    )


async def _send(
    stub: catalog_pb2_grpc.CatalogServiceStub, request: pb.CreateSubjectRequest | pb.UpdateSubjectRequest
) -> pb.SubjectChange:
    if isinstance(request, pb.UpdateSubjectRequest):
        updated: pb.UpdateSubjectResponse = await stub.UpdateSubject(request)
        return updated.change
    created: pb.CreateSubjectResponse = await stub.CreateSubject(request)
    return created.change


async def apply(request: Request) -> Response:
    """Applies a checked proposal; a breaking one needs the maintainer to declare a new major version."""
    current = page(request)
    form = await posted(request, current)
    text, reason = str(form.get("subject_yaml") or ""), str(form.get("reason") or "").strip()
    if not reason:
        raise BadInput("say why: the reason is recorded in the new version and the audit log")
    parsed, exists, errors = await _read_proposal(current.stubs.catalog, text)
    if parsed is None or errors:
        return current.render("edit.html", status_code=400, code="", text=text, reason=reason, errors=errors)
    major = form.get("major") == "on"
    change = await _send(current.stubs.catalog, plan.check_request(parsed, exists=exists, reason=reason))
    try:
        await _send(
            current.stubs.catalog, plan.apply_request(parsed, change, exists=exists, reason=reason, major=major)
        )
    except grpc.aio.AioRpcError as error:
        # Refused (a breaking change without a major version, a stale edit): the review stays on screen.
        code, details = error.code().name, error.details() or ""
        return _review(current, parsed, exists, change, text, reason, refused=f"{code}: {details}")
    return RedirectResponse(f"/catalog/subjects/{parsed.code}/versions", status_code=303)


async def _read_proposal(
    stub: catalog_pb2_grpc.CatalogServiceStub, text: str
) -> tuple[Subject | None, bool, list[str]]:
    """The subject in the text, whether it already exists, and every error with its line."""
    parsed, file_errors = parse_subject(text, "subject.yaml")
    errors = [str(e) for e in file_errors]
    if parsed is None or errors:
        return parsed, False, errors
    try:
        await stub.GetSubject(pb.GetSubjectRequest(name=f"subjects/{parsed.code}"))
    except grpc.aio.AioRpcError as error:
        if error.code() == grpc.StatusCode.NOT_FOUND:
            return parsed, False, []
        raise
    return parsed, True, []


_NEW_SUBJECT = """\
code: "102.901"
name_zh: 新主题
name_en: a new subject
provider: AIC
abstract: what the subject records, and for whom
category: basic
update_cycle: daily
release_date: "2026-01-01"
items:
  - code: "102.901.001"
    name_zh: 统一社会信用代码
    name_en: unified social credit code
    data_type: string
    length: 18
    format_standard: credit_code
    required: true
    sharing_type: unconditional
"""

routes = [
    Route("/catalog", catalog),
    Route("/catalog/search", search),
    Route("/catalog/subjects", subjects),
    Route("/catalog/subjects/{code}", subject),
    Route("/catalog/subjects/{code}/versions", versions),
    Route("/catalog/subjects/{code}/edit", edit),
    Route("/catalog/subjects/{code}/form", edit_form),
    Route("/changes", changes),
    Route("/changes/new", edit),
    Route("/changes/check", propose, methods=["POST"]),
    Route("/changes/check-form", propose_form, methods=["POST"]),
    Route("/changes/apply", apply, methods=["POST"]),
]
