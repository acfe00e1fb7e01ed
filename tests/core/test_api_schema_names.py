"""Two request or response schemas with the same class name become one in the OpenAPI
document (django-ninja names components by class name), so one route is documented with
the other's shape: the API fuzzer caught /api/inventory/templates answering "TemplateOut"
of the notification wording. Every schema class of ours has its own name."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from pydantic import BaseModel

import simplepro.urls  # noqa: F401  (imports every router and its schemas)

# Bases that carry configuration only and never appear in the API document.
BASES = {"Strict", "StrictIn"}


def _subclasses(cls: type) -> Iterator[type]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def test_schema_class_names_are_unique() -> None:
    modules: dict[str, set[str]] = defaultdict(set)
    for cls in set(_subclasses(BaseModel)):
        if cls.__module__.startswith("simplepro.") and cls.__name__ not in BASES:
            modules[cls.__name__].add(cls.__module__)
    assert {name: where for name, where in modules.items() if len(where) > 1} == {}
