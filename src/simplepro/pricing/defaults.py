"""Our own default ruleset for a new company (docs/pricing.md explains every line)."""

from __future__ import annotations

from functools import lru_cache
from importlib.resources import files

from simplepro.pricing.ruleset import Ruleset, load_ruleset


@lru_cache(maxsize=1)
def default_ruleset() -> Ruleset:
    return load_ruleset(
        files("simplepro.pricing").joinpath("data/default_ruleset.json").read_text()
    )
