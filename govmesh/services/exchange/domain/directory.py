"""The reference directory: which departments hold data on an entity, as Crossroads Bank keeps it."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass


class HoldingSource(enum.Enum):
    PUBLISHED = "published"
    REGISTERED = "registered"


@dataclass(frozen=True)
class Holding:
    department: str
    subject_code: str
    source: HoldingSource
    update_time: dt.datetime | None
