"""What changed between two versions of a subject, and which changes break consumers (BACKWARD mode)."""

from __future__ import annotations

from govmesh.kernel.catalog.model import DataItem, FieldChange, FormatStandard, Subject, format_retention

# Subject fields whose change is descriptive only.
_DESCRIPTIVE_SUBJECT_FIELDS = ("name_zh", "name_en", "abstract", "category", "format", "update_cycle", "release_date")
_DESCRIPTIVE_ITEM_FIELDS = ("name_zh", "name_en", "sharing_conditions", "sensitivity", "description")


def _text(value: object) -> str:
    if isinstance(value, tuple):
        return ", ".join(str(v) for v in value)
    enum_value = getattr(value, "value", None)
    return str(enum_value if enum_value is not None else value)


def _retention_text(subject: Subject) -> str:
    return format_retention(subject.retention) if subject.retention else "forever"


def diff_subjects(old: Subject, new: Subject) -> list[FieldChange]:
    """Every difference between two definitions of one subject, each flagged breaking or not."""
    changes: list[FieldChange] = []
    for name in _DESCRIPTIVE_SUBJECT_FIELDS:
        before, after = getattr(old, name), getattr(new, name)
        if before != after:
            changes.append(FieldChange(name, "changed", _text(before), _text(after)))
    if old.provider != new.provider:
        changes.append(
            FieldChange(
                "provider",
                "changed",
                old.provider,
                new.provider,
                "grants and subscriptions name the providing department",
            )
        )
    if old.deprecated != new.deprecated:
        changes.append(FieldChange("deprecated", "changed", _text(old.deprecated), _text(new.deprecated)))
    if old.retention != new.retention:
        # Consumers read records as they come; how long the hub keeps them afterwards is not in the contract.
        changes.append(FieldChange("retention", "changed", _retention_text(old), _retention_text(new)))

    old_items = {item.code: item for item in old.items}
    new_items = {item.code: item for item in new.items}
    for code, item in old_items.items():
        if code not in new_items:
            changes.append(
                FieldChange(f"items/{code}", "removed", item.name_en, "", "consumers reading this item lose it")
            )
    for code, item in new_items.items():
        previous = old_items.get(code)
        if previous is None:
            reason = "publishers' existing records lack a new required item" if item.required else ""
            changes.append(FieldChange(f"items/{code}", "added", "", item.name_en, reason))
        else:
            changes.extend(diff_items(previous, item))
    return changes


def diff_items(old: DataItem, new: DataItem) -> list[FieldChange]:
    """Every difference between two definitions of one data item, each flagged breaking or not."""
    path = f"items/{old.code}"
    changes: list[FieldChange] = []

    def add(name: str, reason: str = "") -> None:
        changes.append(
            FieldChange(f"{path}/{name}", "changed", _text(getattr(old, name)), _text(getattr(new, name)), reason)
        )

    for name in _DESCRIPTIVE_ITEM_FIELDS:
        if getattr(old, name) != getattr(new, name):
            add(name)
    if old.data_type != new.data_type:
        add("data_type", "consumers parse the value by its type")
    if old.length != new.length:
        narrowed = (old.length == 0 and new.length > 0) or (0 < new.length < old.length)
        add("length", "existing values may no longer fit" if narrowed else "")
    if old.scale != new.scale:
        add("scale", "existing values may lose digits" if new.scale < old.scale else "")
    if old.enum_values != new.enum_values:
        removed = set(old.enum_values) - set(new.enum_values)
        add("enum_values", f"values in use disappear: {', '.join(sorted(removed))}" if removed else "")
    if old.format_standard != new.format_standard:
        tightened = new.format_standard is not FormatStandard.NONE
        add("format_standard", "existing values may fail the new standard" if tightened else "")
    if old.required != new.required:
        add("required", "publishers' existing records may lack it" if new.required else "")
    if old.sharing_type != new.sharing_type:
        tighter = new.sharing_type.tightness > old.sharing_type.tightness
        add("sharing_type", "consumers entitled today would lose the item" if tighter else "")
    if old.open_to_public != new.open_to_public:
        add("open_to_public", "the public would lose the item" if old.open_to_public else "")
    if old.deprecated != new.deprecated:
        add("deprecated")
    return changes
