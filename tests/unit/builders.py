"""Small builders for catalog domain objects, so each test names only the fields it is about."""

from __future__ import annotations

import dataclasses
from typing import Any

from govmesh.kernel.catalog.model import (
    DataItem,
    DataType,
    Department,
    DepartmentLevel,
    SharingType,
    Subject,
    SubjectCategory,
    UpdateCycle,
    Version,
)

SUBJECT_CODE = "102.001"
PROVIDER = "gsj"


def item(sequence: int = 1, subject_code: str = SUBJECT_CODE, **fields: Any) -> DataItem:
    """A valid unconditional string item `<subject>.<sequence>`; keyword arguments override fields."""
    defaults: dict[str, Any] = {
        "code": f"{subject_code}.{sequence:03d}",
        "subject_code": subject_code,
        "name_zh": f"数据项{sequence}",
        "name_en": f"item {sequence}",
        "data_type": DataType.STRING,
        "length": 0,
        "sharing_type": SharingType.UNCONDITIONAL,
    }
    defaults.update(fields)
    return DataItem(**defaults)


def subject(*items: DataItem, code: str = SUBJECT_CODE, **fields: Any) -> Subject:
    """A valid subject holding `items` (one default item when none are given)."""
    defaults: dict[str, Any] = {
        "code": code,
        "name_zh": "企业登记信息",
        "name_en": "enterprise registration",
        "provider": PROVIDER,
        "abstract": "",
        "category": SubjectCategory.BASIC,
        "format": "structured",
        "update_cycle": UpdateCycle.DAILY,
        "release_date": "2024-01-01",
        "version": Version(1, 0),
        "items": tuple(items) if items else (item(1, code),),
    }
    defaults.update(fields)
    return Subject(**defaults)


def department(code: str = PROVIDER, **fields: Any) -> Department:
    defaults: dict[str, Any] = {
        "code": code,
        "name_zh": "市场监督管理局",
        "name_en": "market regulation bureau",
        "level": DepartmentLevel.CITY,
        "division_code": "440100",
    }
    defaults.update(fields)
    return Department(**defaults)


def changed(base: DataItem, **fields: Any) -> DataItem:
    return dataclasses.replace(base, **fields)
