"""The exchange's signal topics: what its streams watch with the runtime's Signals."""

from __future__ import annotations

from govmesh.runtime.signals import Signals, listen, wait

__all__ = ["Signals", "inbox_topic", "listen", "records_topic", "request_topic", "subscription_topic", "wait"]


def records_topic(subject_code: str) -> str:
    return f"records:{subject_code}"


def subscription_topic(subscription_id: str) -> str:
    return f"subscription:{subscription_id}"


def inbox_topic(department: str) -> str:
    return f"inbox:{department}"


def request_topic(request_id: str) -> str:
    return f"request:{request_id}"
