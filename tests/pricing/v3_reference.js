// An independent reading of ../shared/reference/simplepro-v3/SEMANTICS.md, written directly in
// JavaScript so that its arithmetic is the original's own: IEEE doubles, Math.round, JS
// comparison. Tests run it under Node.js beside `simplepro pricing legacy-v3` and compare.
// Usage: node v3_reference.js RULES.json [TARIFF.json|-] < inputs.jsonl
"use strict";
const fs = require("fs");
const readline = require("readline");

const rulesDoc = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const tariff = process.argv[3] && process.argv[3] !== "-" ? JSON.parse(fs.readFileSync(process.argv[3], "utf8")) : null;
const rules = rulesDoc.pricingRules;
const handicaps = rulesDoc.locationHandicaps || [];
const DAYS = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"];
const round2 = (x) => Math.round(x * 100) / 100;
const get = (obj, path) => path.split(".").reduce((o, k) => (o == null ? undefined : o[k]), obj);

function holdsOne(c, input) {
  const v = get(input, c.field);
  switch (c.operator) {
    case "eq": return v === c.value;
    case "ne": return v !== c.value;
    case "gt": return v > c.value;
    case "gte": return v >= c.value;
    case "lt": return v < c.value;
    case "lte": return v <= c.value;
    case "in": return Array.isArray(c.value) && c.value.includes(v);
    case "nin": return !(Array.isArray(c.value) && c.value.includes(v));
    case "between": return Array.isArray(c.value) && v >= c.value[0] && v <= c.value[1];
    case "exists": return v !== undefined && v !== null;
    case "regex": return new RegExp(c.value).test(String(v));
  }
  return false;
}

function holds(conditions, input) {
  let result = true, op = "and";
  for (const c of conditions || []) {
    const t = holdsOne(c, input);
    result = op === "and" ? result && t : result || t;
    if (c.logicalOperator) op = c.logicalOperator;
  }
  return result;
}

function base(input) {
  const crew = input.crewSize, hours = input.estimatedDuration;
  if (tariff) {
    const day = DAYS[new Date(input.moveDate).getUTCDay()];
    if (input.service === "local") {
      const row = ((tariff.hourlyRates || {}).rates || []).find((r) => r.crewSize === crew);
      const rate = row && row[day];
      if (rate) {
        const min = ((tariff.hourlyRates || {}).minHours || {})[day];
        return rate * Math.max(hours || 2, min || 2);
      }
    }
    if (input.service === "packing_only") {
      const row = ((tariff.packingRates || {}).rates || []).find((r) => r.crewSize === crew);
      const rate = row && row[day];
      if (rate) return rate * (hours || 2);
    }
    if (input.service === "long_distance") {
      const table = (tariff.distanceRates || []).find((t) => t.isActive && t.type === "by_weight");
      const w = input.totalWeight;
      const bracket = table && (table.brackets || []).find((b) => b.min <= w && w < b.max);
      if (bracket && bracket.rate) return w * bracket.rate;
    }
  }
  switch (input.service) {
    case "local": return (150 + 75 * Math.max(0, crew - 2)) * hours;
    case "long_distance": return 1.25 * input.totalWeight;
    case "storage": return 8 * input.totalVolume;
    case "packing_only": return 85 * hours;
  }
  throw new Error("Unknown service type: " + input.service);
}

function price(input) {
  const basePrice = base(input);
  let p = basePrice;
  const appliedRules = [];
  const when = new Date(input.moveDate);
  const sorted = rules.map((r, i) => [r, i]).sort((a, b) => (a[0].priority - b[0].priority) || (a[1] - b[1]));
  for (const [rule] of sorted) {
    if (!rule.isActive || !(rule.applicableServices || []).includes(input.service)) continue;
    if (rule.effectiveFrom && when < new Date(rule.effectiveFrom)) continue;
    if (rule.effectiveTo && when > new Date(rule.effectiveTo)) continue;
    if (!holds(rule.conditions, input)) continue;
    let total = 0;
    for (const a of rule.actions) {
      switch (a.type) {
        case "add_fixed":
          if (rule.id === "crew_size_adjustment") total += a.amount * (Math.max(0, input.crewSize - 2) * input.estimatedDuration);
          else if (rule.id === "fragile_items_surcharge") total += a.amount * Math.max(0, get(input, "specialItems.fragileItems") - 5);
          else total += a.amount;
          break;
        case "add_percentage": total += p * a.amount; break;
        case "multiply": total += a.targetField === "totalWeight" ? a.amount * input.totalWeight : p * (a.amount - 1); break;
        case "set_minimum": total += Math.max(0, a.amount - p); break;
        case "set_maximum": total -= Math.max(0, p - a.amount); break;
        case "replace": total = a.amount - p; break;
      }
    }
    const impact = round2(total);
    p += impact;
    appliedRules.push({ ruleId: rule.id, priceImpact: impact });
  }
  const appliedHandicaps = [];
  for (const h of handicaps) {
    if (!h.isActive || !holds(h.conditions, input)) continue;
    const entry = tariff && (tariff.handicaps || []).find((t) => t.isActive && t.percentage && (
      (t.category === "stairs" && h.id.includes("stairs")) || (t.category === "elevator" && h.id.includes("elevator")) ||
      (t.category === "long_carry" && h.id.includes("long_carry")) ||
      (String(t.name || "").toLowerCase().includes("flight") && h.id.includes("stairs")) ||
      (String(t.name || "").toLowerCase().includes("elevator") && h.id.includes("elevator"))));
    let impact, next;
    if (entry) {
      impact = p * entry.percentage / 100;
      if (entry.isMultiplier && h.id.includes("stairs")) {
        let flights = 0;
        if (h.id.includes("pickup")) flights += (input.pickup && input.pickup.stairsCount) || 0;
        if (h.id.includes("delivery")) flights += (input.delivery && input.delivery.stairsCount) || 0;
        impact *= Math.max(flights, 1);
      }
      next = p + impact;
    } else {
      let fixed = h.fixedAmount > 0 ? h.fixedAmount : 0;
      if (h.id.includes("stairs")) {
        const side = h.id.includes("pickup") ? input.pickup : h.id.includes("delivery") ? input.delivery : undefined;
        fixed *= (side && side.stairsCount) || 1;
      }
      impact = fixed;
      next = p + fixed;
      const m = h.multiplier === undefined ? 1 : h.multiplier;
      if (m !== 1) { impact += p * (m - 1); next = p * m + fixed; }
    }
    appliedHandicaps.push({ handicapId: h.id, priceImpact: round2(impact) });
    p = round2(next);
  }
  const sum = (pred) => appliedRules.filter((r) => pred(r.ruleId)).reduce((s, r) => s + r.priceImpact, 0);
  const has = (...parts) => (id) => parts.some((x) => id.includes(x));
  const materials = sum((id) => id === "packing_service_rate" || id === "assembly_service");
  const transportation = sum(has("distance"));
  const specialServices = sum(has("piano", "antique", "fragile"));
  const seasonalAdjustment = sum(has("weekend", "season"));
  const locationHandicaps = appliedHandicaps.reduce((s, h) => s + h.priceImpact, 0);
  return {
    basePrice, finalPrice: p, appliedRules, appliedHandicaps,
    breakdown: {
      baseLabor: round2(basePrice), materials, transportation, locationHandicaps, specialServices, seasonalAdjustment,
      subtotal: round2(basePrice + materials + transportation + specialServices + seasonalAdjustment + locationHandicaps),
      taxes: 0, total: round2(p),
    },
  };
}

const rl = readline.createInterface({ input: process.stdin, terminal: false });
rl.on("line", (line) => {
  let out;
  try { out = price(JSON.parse(line)); } catch (e) { out = { error: e.message }; }
  process.stdout.write(JSON.stringify(out) + "\n");
});
