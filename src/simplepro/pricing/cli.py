"""`simplepro pricing …`: the pricing engine from the command line, without Django.

simplepro pricing legacy-v3 --rules RULES.json [--tariff TARIFF.json]
    Price the original SimplePro-v3's inputs (JSON Lines on stdin) as the original did: one
    flushed JSON line out per line in, in order; warnings go to stderr.
simplepro pricing import-v3 RULES.json [--tariff TARIFF.json] -o ruleset.json
    Write the native ruleset (with its compatibility block) that legacy-v3 evaluates.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from decimal import Decimal
from typing import IO, Any

from simplepro.pricing.engine import PricingResult, price
from simplepro.pricing.import_v3 import V3FileError, load_v3
from simplepro.pricing.ruleset import Ruleset
from simplepro.pricing.v3 import V3Input, V3InputError

EXIT_INVALID_FILE = 2


def _number(value: Decimal) -> float | None:
    number = float(value)
    return None if math.isnan(number) or math.isinf(number) else number


def v3_output(result: PricingResult) -> dict[str, Any]:
    """The original's result shape: its key names, JSON numbers."""
    breakdown = result.breakdown
    assert result.final_price is not None, "a compatibility result carries its final price"
    return {
        "basePrice": _number(result.base_price),
        "finalPrice": _number(result.final_price),
        "appliedRules": [
            {"ruleId": r.id, "priceImpact": _number(r.impact)} for r in result.applied_rules
        ],
        "appliedHandicaps": [
            {"handicapId": h.id, "priceImpact": _number(h.impact)} for h in result.applied_handicaps
        ],
        "breakdown": {
            "baseLabor": _number(breakdown.labor),
            "materials": _number(breakdown.materials),
            "transportation": _number(breakdown.travel),
            "locationHandicaps": _number(breakdown.handicaps),
            "specialServices": _number(breakdown.special_items),
            "seasonalAdjustment": _number(breakdown.seasonal),
            "subtotal": _number(breakdown.subtotal),
            "taxes": _number(breakdown.tax),
            "total": _number(breakdown.total),
        },
    }


def price_line(line: str, ruleset: Ruleset) -> dict[str, Any]:
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        return {"error": f"not JSON: {exc.msg}"}
    try:
        return v3_output(price(V3Input(data), ruleset))
    except V3InputError as exc:
        return {"error": str(exc)}


def legacy_v3(args: argparse.Namespace, stdin: IO[str], stdout: IO[str]) -> int:
    ruleset = load_v3(args.rules, args.tariff)
    for line in stdin:
        output = price_line(line.rstrip("\r\n"), ruleset)
        stdout.write(json.dumps(output, separators=(",", ":"), allow_nan=False) + "\n")
        stdout.flush()
    return 0


def import_v3(args: argparse.Namespace) -> int:
    ruleset = load_v3(args.rules, args.tariff)
    with open(args.output, "w", encoding="utf-8") as out:
        json.dump(ruleset.model_dump(mode="json"), out, indent=2)
        out.write("\n")
    sys.stderr.write(
        f"Wrote {args.output}: {len(ruleset.rules)} rules, content hash {ruleset.content_hash}\n"
    )
    return 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="simplepro pricing",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    legacy = commands.add_parser("legacy-v3", help="price v3 inputs (JSON Lines on stdin)")
    legacy.add_argument("--rules", required=True, help="v3 rules JSON (pricingRules, …)")
    legacy.add_argument("--tariff", help="v3 tariff JSON")
    imported = commands.add_parser("import-v3", help="convert v3 rules to a native ruleset")
    imported.add_argument("rules", help="v3 rules JSON")
    imported.add_argument("--tariff", help="v3 tariff JSON")
    imported.add_argument("-o", "--output", required=True, help="where to write the ruleset")
    args = parser.parse_args(argv)
    try:
        if args.command == "legacy-v3":
            return legacy_v3(args, sys.stdin, sys.stdout)
        return import_v3(args)
    except V3FileError as exc:
        sys.stderr.write(f"simplepro pricing {args.command}: {exc}\n")
        return EXIT_INVALID_FILE
