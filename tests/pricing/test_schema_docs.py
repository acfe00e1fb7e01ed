"""The ruleset's JSON Schema is published in docs/ and kept in step with the code."""

from __future__ import annotations

import json
from pathlib import Path

from simplepro.pricing.defaults import default_ruleset
from simplepro.pricing.ruleset import Ruleset

SCHEMA = Path(__file__).resolve().parents[2] / "docs" / "pricing-ruleset.schema.json"


def test_published_schema_matches_the_code() -> None:
    published = json.loads(SCHEMA.read_text())
    assert published == json.loads(json.dumps(Ruleset.model_json_schema())), (
        "regenerate docs/pricing-ruleset.schema.json (see docs/pricing.md)"
    )


def test_default_ruleset_is_valid_and_versioned() -> None:
    ruleset = default_ruleset()
    assert ruleset.version == "2026.2"
    assert len(ruleset.content_hash) == 64


def test_fields_added_later_stay_out_of_the_dump_so_old_hashes_hold() -> None:
    content = default_ruleset().model_dump(mode="json")
    assert "compatibility" not in content
    assert all("effective_from" not in rule for rule in content["rules"])
    assert "crew_by_volume" not in content["tariff"]
    # a ruleset stored before `valuation` existed loads to the same content and hash
    older = {k: v for k, v in content.items() if k != "valuation"}
    from simplepro.pricing.ruleset import load_ruleset

    reloaded = load_ruleset(older)
    assert reloaded.model_dump(mode="json") == older
