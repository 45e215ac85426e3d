"""The linking model's trained parameters: a versioned JSON file shipped with the service and loaded at start."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from govmesh.services.masters.domain.comparisons import COMPARISONS, LinkageModel
from govmesh.services.masters.domain.records import Kind

__all__ = ["FILE_FORMAT", "SHIPPED_MODEL", "ModelFileError", "TrainedModels", "load_models", "save_models"]

SHIPPED_MODEL: Final = Path(__file__).resolve().parent / "linkage_model.json"
# The layout of the file; a reader refuses a layout it does not know rather than guess at weights.
FILE_FORMAT: Final = 1


@dataclass(frozen=True, slots=True)
class TrainedModels:
    """Both kinds' parameters, with the version that names them and what they were estimated on."""

    version: int
    trained_on: str
    models: Mapping[Kind, LinkageModel]


class ModelFileError(ValueError):
    """The file cannot be used as the linking model; the message says which file and why."""


def _check(model: LinkageModel, path: Path) -> None:
    # The comparisons are declared in code: a file trained for other levels would misweigh every pair.
    for spec in COMPARISONS[model.kind]:
        levels = model.weights.get(spec.field)
        if levels is None or len(levels) != spec.level_count - 1:
            raise ModelFileError(
                f"{path}: {model.kind.value}.{spec.field} needs {spec.level_count - 1} levels "
                f"(the comparisons changed since it was trained: retrain it)"
            )
        for level in levels:
            if not (0.0 < level.m <= 1.0 and 0.0 < level.u <= 1.0):
                raise ModelFileError(f"{path}: {model.kind.value}.{spec.field} has m or u outside (0, 1]")
    extra = set(model.weights) - {spec.field for spec in COMPARISONS[model.kind]}
    if extra:
        raise ModelFileError(f"{path}: {model.kind.value} weighs fields the model does not compare: {sorted(extra)}")
    if not 0.0 < model.probability_two_random_records_match < 1.0:
        raise ModelFileError(f"{path}: {model.kind.value}'s prior must lie in (0, 1)")


def load_models(path: Path | None = None) -> TrainedModels:
    """The models of a file written by `save_models` (the shipped one unless given); ModelFileError if unusable."""
    path = path or SHIPPED_MODEL
    try:
        document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ModelFileError(f"{path}: cannot read the linking model ({error})") from error
    if document.get("format") != FILE_FORMAT:
        raise ModelFileError(f"{path}: format {document.get('format')!r}, this version reads {FILE_FORMAT}")
    models: dict[Kind, LinkageModel] = {}
    for kind in Kind:
        entry = document.get("models", {}).get(kind.value)
        if entry is None:
            raise ModelFileError(f"{path}: no model for {kind.value}")
        try:
            model = LinkageModel.from_dict(entry)
        except (AssertionError, KeyError, TypeError, ValueError) as error:
            raise ModelFileError(f"{path}: the {kind.value} model is malformed ({error!r})") from error
        if model.kind is not kind:
            raise ModelFileError(f"{path}: the {kind.value} entry holds a {model.kind.value} model")
        _check(model, path)
        models[kind] = model
    return TrainedModels(int(document.get("version", 0)), str(document.get("trained_on", "")), models)


def save_models(path: Path, models: Mapping[Kind, LinkageModel], version: int, trained_on: str) -> None:
    """Writes the models as a file `load_models` reads (checked first, so a bad model is never written)."""
    document = {
        "format": FILE_FORMAT,
        "version": version,
        "trained_on": trained_on,
        "models": {kind.value: models[kind].to_dict() for kind in Kind},
    }
    for kind in Kind:
        _check(models[kind], path)
    path.write_text(json.dumps(document, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
