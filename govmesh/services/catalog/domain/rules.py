"""The rules a subject definition must follow before it enters the catalog."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping

from govmesh.kernel.catalog.model import DataType, FormatStandard, SharingType, Subject
from govmesh.kernel.catalog.standards import check_date
from govmesh.runtime.errors import ViolationCollector

# [0-9], not \d, so that non-ASCII digits never match; used with fullmatch, as `$` lets a newline through.
SUBJECT_CODE = re.compile(r"[1-3][0-9]{2}\.[0-9]{3}")
ITEM_CODE = re.compile(r"[1-3][0-9]{2}\.[0-9]{3}\.[0-9]{3}")

# The value shape each data standard implies.
_STANDARD_TYPES: dict[FormatStandard, tuple[DataType, ...]] = {
    FormatStandard.CITIZEN_ID: (DataType.STRING,),
    FormatStandard.CREDIT_CODE: (DataType.STRING,),
    FormatStandard.DIVISION_CODE: (DataType.STRING,),
    FormatStandard.PHONE: (DataType.STRING,),
    FormatStandard.POSTAL_CODE: (DataType.STRING,),
    FormatStandard.EMAIL: (DataType.STRING,),
    FormatStandard.DATE: (DataType.DATE, DataType.STRING),
}


def check_subject(
    subject: Subject,
    departments: Collection[str],
    item_owners: Mapping[str, str],
    *,
    prefix: str = "subject",
) -> ViolationCollector:
    """Collects every violation of a definition; `item_owners` maps item codes to their subjects."""
    found = ViolationCollector()
    if not SUBJECT_CODE.fullmatch(subject.code):
        found.add(f"{prefix}.code", "must be classification and sequence, e.g. 102.001")
    for name in ("name_zh", "name_en"):
        if not getattr(subject, name).strip():
            found.add(f"{prefix}.{name}", "must not be empty")
    if subject.provider not in departments:
        found.add(f"{prefix}.provider", "must be the code of a registered department")
    if subject.release_date and check_date(subject.release_date) is not None:
        found.add(f"{prefix}.release_date", "must be a real date written YYYY-MM-DD")
    if not subject.items:
        found.add(f"{prefix}.items", "a subject needs at least one data item")
    seen: set[str] = set()
    for index, item in enumerate(subject.items):
        path = f"{prefix}.items[{index}]"
        if not ITEM_CODE.fullmatch(item.code) or not item.code.startswith(subject.code + "."):
            found.add(f"{path}.code", f"must be the subject code and a sequence, e.g. {subject.code}.001")
        if item.code in seen:
            found.add(f"{path}.code", "appears twice in the subject")
        seen.add(item.code)
        owner = item_owners.get(item.code)
        if owner is not None and owner != subject.code:
            found.add(f"{path}.code", f"already belongs to subject {owner}")
        for name in ("name_zh", "name_en"):
            if not getattr(item, name).strip():
                found.add(f"{path}.{name}", "must not be empty")
        if item.length < 0:
            found.add(f"{path}.length", "must not be negative")
        if item.scale < 0 or (item.scale and item.data_type is not DataType.DECIMAL):
            found.add(f"{path}.scale", "only decimals have a scale, and it is not negative")
        if item.data_type is DataType.ENUM and not item.enum_values:
            found.add(f"{path}.enum_values", "an enum needs its values")
        if item.enum_values and item.data_type is not DataType.ENUM:
            found.add(f"{path}.enum_values", "only enums have values")
        if len(set(item.enum_values)) != len(item.enum_values):
            found.add(f"{path}.enum_values", "values must be unique")
        allowed = _STANDARD_TYPES.get(item.format_standard)
        if allowed is not None and item.data_type not in allowed:
            found.add(f"{path}.format_standard", f"{item.format_standard.value} applies to {allowed[0].value} values")
        if item.sharing_type is not SharingType.UNCONDITIONAL and not item.sharing_conditions.strip():
            found.add(f"{path}.sharing_conditions", "say the condition, or why the item is not shared")
        if item.sharing_type is SharingType.NOT_SHARED and item.open_to_public:
            found.add(f"{path}.open_to_public", "a not-shared item cannot be open to the public")
    return found
