"""The pricing engine, a pure library (no Django): `load_ruleset`, `EstimateInput`, `price`."""

from simplepro.pricing.engine import PricingResult, input_hash, price
from simplepro.pricing.inputs import EstimateInput
from simplepro.pricing.ruleset import Ruleset, RulesetError, load_ruleset

__all__ = [
    "EstimateInput",
    "PricingResult",
    "Ruleset",
    "RulesetError",
    "input_hash",
    "load_ruleset",
    "price",
]
