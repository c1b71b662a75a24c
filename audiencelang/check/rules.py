"""The registry of every code the checker emits: E3xx, E4xx and the L0xx lint rules.

Each entry has a stable code, a kebab-case name, a default severity, a one-line
summary, an explanation and a bad/good example. ``audiencelang rule CODE``, the
SARIF rule table and ``docs/checks.md`` are built from (and tested against) this
table.
"""

from __future__ import annotations

from dataclasses import dataclass

from audiencelang.diagnostics import Severity

__all__ = ["RULES", "Rule", "docs_url", "get_rule", "lint_rules"]

DOCS_BASE = "https://github.com/audiencelang/audiencelang/blob/main/docs/"


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    severity: Severity
    summary: str
    explanation: str
    bad: str
    good: str
    default_enabled: bool = True
    """``False``: only runs when ``[lint] select`` is set and selects it (``select = ["L", ...]``)."""

    @property
    def is_lint(self) -> bool:
        return self.code.startswith("L")

    @property
    def doc_page(self) -> str:
        return "checks.md" if self.is_lint else "errors.md"

    @property
    def help_uri(self) -> str:
        return docs_url(self.code)


def docs_url(code: str) -> str:
    """The documentation anchor of a code: ``docs/checks.md#l003``, ``docs/errors.md#e301``."""
    page = "checks.md" if code.startswith("L") else "errors.md"
    return f"{DOCS_BASE}{page}#{code.lower()}"


E, W, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO

_ALL: tuple[Rule, ...] = (
    # ------------------------------------------------------------------ E3xx names and types
    Rule("E301", "unknown-trait", E, "a trait the market does not define",
         "A top-level field name must be a trait of the market's `profiles.traits`. The audience "
         "does not compile for a market that lacks the trait; the message names the market.",
         "include land = \"DE\"", "include country = \"DE\""),
    Rule("E302", "unknown-event", E, "an event the market does not define",
         "`performed E` and aggregates `f(E.p)` need an event E in the market's `events`.",
         "include performed purchse", "include performed purchase"),
    Rule("E303", "unknown-property", E, "an event property the event does not define",
         "Inside `where` (and in `f(E.p)`) names are properties of the event E in that market. "
         "A trait cannot be used inside `where`: close the filter with a window or parentheses.",
         "include performed purchase where country = \"DE\"",
         "include (performed purchase where channel = \"app\") and country = \"DE\""),
    Rule("E304", "unknown-purpose", E, "`has consent P` with a purpose the market does not define",
         "`has consent P` needs P in the market's `consent.purposes` (and the market needs a "
         "consent block).",
         "include has consent newsleter", "include has consent email_marketing"),
    Rule("E305", "unknown-audience", E, "`in audience X` names no audience of the project",
         "References are resolved across every audience file of the project.",
         "include in audience existing_customer", "include in audience existing_customers"),
    Rule("E306", "duplicate-audience", E, "two audiences of the project share a name",
         "Audience names are unique across the whole project; the second definition is an error "
         "(the first one is the one `in audience` refers to).",
         "# a.aud and b.aud both define\naudience vip { include age > 1 }",
         "audience vip { include age > 1 }\naudience vip_eu { include age > 1 }"),
    Rule("E307", "reference-cycle", E, "audiences refer to each other in a cycle",
         "`in audience` references must not form a cycle (membership would be undefined). The "
         "message spells out the cycle, e.g. `a -> b -> a`.",
         "audience a { include in audience b }\naudience b { include in audience a }",
         "audience a { include in audience b }\naudience b { include age >= 18 }"),
    Rule("E308", "reference-chain-too-deep", E, "an `in audience` chain deeper than 100 levels",
         "Every level of an `in audience` chain is one more step of the compiled SQL statement "
         "(a CTE that carries the levels below it), so the statement grows with the square of the "
         "depth: an audience may stand on at most 100 levels of references. Refer to audiences "
         "that are not built on long chains: write the conditions of some levels into one audience.",
         "# a1 refers to a0, a2 to a1, ... a150 to a149\naudience a150 { include in audience a149 }",
         "audience a150 { include in audience a100 and age > 18 }"),
    Rule("E310", "type-mismatch", E, "a value of the wrong type for the trait, property or aggregate",
         "Strings compare with strings, numbers with numbers (integer and decimal mix freely), "
         "booleans with `true`/`false`, dates and timestamps with date or timestamp literals. "
         "The same holds for every value of an `in [...]` list and both `between` bounds.",
         "include age = \"18\"", "include age = 18"),
    Rule("E311", "operator-not-allowed", E, "an operator the value's type does not support",
         "Strings are not ordered (`<` on strings depends on the warehouse collation) and take "
         "`= != in not in` and string matches; booleans take `=` and `!=` only; `in [...]` is for "
         "strings and numbers; `between` for numbers, dates and timestamps.",
         "include country > \"DE\"", "include country in [\"DE\", \"FR\"]"),
    Rule("E312", "match-not-string", E, "`contains`/`starts with`/`ends with` on a non-string",
         "String matches apply to string traits and properties only.",
         "include age contains \"1\"", "include email contains \"@example.\""),
    Rule("E313", "aggregate-type", E, "an aggregate function that does not apply to the property's type",
         "`sum` and `avg` need a numeric property; `min` and `max` take numbers, dates and "
         "timestamps; `count(E)` and `count(E.p)` take any event/property; `first` and `last` "
         "take any property, and their test must fit its type (E310-E312, E314). `sum`, `avg`, "
         "`min`, `max`, `first` and `last` need a property: `sum(purchase.revenue)`.",
         "include sum(purchase.channel) > 3", "include sum(purchase.revenue) > 3"),
    Rule("E314", "time-test-not-time", E,
         "`in last`, `more than ... ago`, `before` or `after` on something that is not a date or timestamp",
         "Time tests need a `date` or `timestamp` trait, property or aggregate (`min`/`max`/"
         "`first`/`last` of one).",
         "include age in last 30 days", "include signup_date in last 30 days"),
    Rule("E315", "between-order", E, "`between LOW and HIGH` with LOW greater than HIGH",
         "`between` is inclusive on both ends and needs its bounds in order; reversed bounds "
         "match nothing.",
         "include age between 65 and 18", "include age between 18 and 65"),
    Rule("E316", "count-not-allowed", E, "a count clause on a sequence or on `first`/`last performed`",
         "A sequence (`performed A then B`) holds once its steps happened in order, and `first "
         "performed` / `last performed` are about one occurrence: counting them means nothing "
         "(spec §8). Count the event in a condition of its own.",
         "include performed add_to_cart then purchase at least 2 times",
         "include performed add_to_cart then purchase and performed purchase at least 2 times"),
    Rule("E317", "absent-step-not-last", E, "`then not E` on a step that is not the last of its sequence",
         "An absent step (`then not E within D`) ends a sequence: it says nothing followed. Only "
         "the last step may be `not` (spec §8).",
         "include performed add_to_cart then not purchase within 1 day then page_view",
         "include performed add_to_cart then page_view then not purchase within 1 day"),
    Rule("E318", "absent-step-without-within", E, "an absent last step without `within`",
         "`then not E` needs `within D`: the time after the previous step during which E must not "
         "happen, and which must have passed by `as_of` (spec §8).",
         "include performed add_to_cart then not purchase",
         "include performed add_to_cart then not purchase within 1 day"),
    Rule("E330", "sample-percent-out-of-range", E, "`in sample P%` with P not in 0 < P ≤ 100",
         "A sample keeps the profiles whose bucket (0 … 9999) is below P * 100 (spec §10): P must "
         "be more than 0 and at most 100.",
         "include in sample 0% salt \"q4_holdout\"", "include in sample 10% salt \"q4_holdout\""),
    Rule("E331", "sample-percent-precision", E, "`in sample P%` with more than two decimals",
         "Buckets are hundredths of a percent, so a sample's percentage has at most two decimals "
         "(spec §10); a third decimal would be silently dropped.",
         "include in sample 12.345% salt \"q4_holdout\"", "include in sample 12.35% salt \"q4_holdout\""),
    Rule("E332", "empty-sample-salt", E, "`in sample P% salt \"\"` with an empty salt",
         "The salt names the sample: audiences that use the same salt split profiles the same way "
         "(treatment and control of one holdout), different salts split them independently. An "
         "empty salt is almost always a slip.",
         "include in sample 10% salt \"\"", "include in sample 10% salt \"q4_holdout\""),
    Rule("E319", "within-longer-than-window", E, "a step's `within` longer than its sequence's window",
         "Every positive step of a sequence lies inside its window (`in last N UNIT`, `between`), "
         "so no gap can be longer than the window: a longer `within` limits nothing and is "
         "usually a slip. An absent step looks past the window, so its `within` may be longer.",
         "include performed add_to_cart then purchase within 30 days in last 7 days",
         "include performed add_to_cart then purchase within 1 day in last 7 days"),
    # ------------------------------------------------------------------ E4xx consent and activation
    Rule("E401", "activation-without-consent", E, "`activate D` without `require consent P` for a purpose D requires",
         "A destination's `consent` list names purposes every delivered member must have "
         "(spec §4). The audience must say so with `require consent P`.",
         "audience a {\n  include age >= 18\n  activate meta_ads\n}",
         "audience a {\n  include age >= 18\n  require consent ads_personalization\n  activate meta_ads\n}"),
    Rule("E402", "unknown-destination", E, "`activate D` names no destination of the project config",
         "Destinations are defined under `[destinations.NAME]` in `audiencelang.toml`.",
         "activate meta", "activate meta_ads"),
    Rule("E403", "identifier-missing", E, "a destination's `identifier` trait is missing in a market",
         "A destination delivers its `identifier` trait with each member; every market the "
         "audience compiles for must define that trait.",
         "# market us has no trait email_sha256\nactivate meta_ads",
         "# add email_sha256 to markets/us.yaml profiles.traits"),
    Rule("E404", "purpose-not-in-market", E, "`require consent P` with a purpose the market does not define",
         "Every required purpose must be defined in the market's `consent.purposes`; a market "
         "without a consent block cannot check any purpose.",
         "require consent newsleter", "require consent email_marketing"),
    Rule("E405", "unknown-suppression", E, "a `suppress` list names an audience the project does not define",
         "Top-level `suppress` and `[destinations.D] suppress` name audiences whose members are never "
         "delivered (spec §11). Delivery to D is blocked until the name is fixed.",
         'suppress = ["do_not_contac"]', 'suppress = ["do_not_contact"]'),
    Rule("E406", "suppression-activates", E, "a suppression audience activates destinations itself",
         "A suppression list is used only to hold members back; an audience that is also delivered "
         "somewhere is almost always a mistake in the config (spec §11).",
         "audience do_not_contact {\n  include opted_out = true\n  activate meta_ads\n}",
         "audience do_not_contact {\n  include opted_out = true\n}"),
    Rule("E407", "suppression-does-not-compile", E, "a suppression audience does not compile in a market",
         "Each destination's suppression audiences are compiled into its statement in every market it "
         "is delivered in; one that has errors in market M blocks the destination in M (the message "
         "names M).",
         "# employees reads trait staff_flag, which market us does not define",
         "# add staff_flag to markets/us.yaml, or write employees for every market"),
    # ------------------------------------------------------------------ L0xx lint
    Rule("L000", "unused-suppression", W, "an `# audiencelang: ignore[...]` comment that suppresses nothing",
         "A suppression comment names codes; each one must silence a finding in the clause (or "
         "audience) the comment belongs to. Stale suppressions hide future "
         "findings. Errors (E-codes) cannot be suppressed.",
         "include age >= 18  # audiencelang: ignore[L003]", "include age >= 18"),
    Rule("L001", "audience-naming", W, "an audience name that does not match `[lint] naming`",
         "Audience names must match the project's naming pattern (a full match, RE2 syntax), by default "
         "`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`: snake_case starting with a letter (`b2b_leads`, `q4_promo`, `top100_customers`), no leading, trailing or double underscores.",
         "audience _vip__eu { include age > 1 }", "audience vip_eu { include age > 1 }"),
    Rule("L002", "missing-metadata", W, "an audience without a metadata clause listed in `[lint] require`",
         "By default every audience needs an `owner` and a `description`, so the people who "
         "receive an alert know whom to ask.",
         "audience vip { include age > 1 }",
         "audience vip {\n  owner \"crm@example.com\"\n  description \"Adults.\"\n  include age > 1\n}"),
    Rule("L003", "always-true-condition", W, "a condition that holds for every profile",
         "`performed E at least 0 times`, `count(E) >= 0`, `count(E) > -1` are always true: the "
         "condition does nothing and is usually a typo for a larger number.",
         "include performed purchase at least 0 times", "include performed purchase at least 1 time"),
    Rule("L004", "contradictory-condition", W, "conditions on one value that cannot hold together (the audience part is always empty)",
         "Inside one `and`, two comparisons of the same trait (or the same aggregate) whose "
         "ranges do not overlap — `age > 50 and age < 30`, `age = 20 and age between 30 and 40` "
         "— are never true together. The same holds for counts: `count(E) < 0` never holds, and "
         "neither does `performed E at most 0 times and performed E at least 1 time`.",
         "include age > 50 and age < 30", "include age > 30 and age < 50"),
    Rule("L005", "window-exceeds-retention", W, "a time window longer than the event table keeps history",
         "When a market gives an event `retention_days`, a window `in last N` longer than that "
         "sees only the retained days: the audience silently means less than it says. Reported "
         "per market.",
         "performed purchase in last 800 days   # retention_days: 730",
         "performed purchase in last 730 days"),
    Rule("L006", "duplicate-condition", W, "the same condition twice in one `and`/`or`",
         "Repeating a condition in the same conjunction or disjunction changes nothing; it is "
         "usually a copy-paste slip where another value was meant.",
         "include age >= 18 and age >= 18", "include age >= 18 and age < 65"),
    Rule("L007", "duplicate-clause-value", W, "the same destination, purpose or tag listed twice",
         "`activate D` twice, `require consent P` twice or a repeated tag has no effect.",
         "activate meta_ads\nactivate meta_ads", "activate meta_ads"),
    Rule("L008", "double-negation", INFO, "`not not X`",
         "Two `not`s cancel out; write the condition itself (info by default).",
         "include not not performed purchase", "include performed purchase"),
    Rule("L009", "unused-audience", INFO, "an audience no `activate` delivers and no other audience references",
         "An audience that is neither activated nor used through `in audience` by another audience "
         "of the project is delivered nowhere; it is often left over from a rename. Info by default: "
         "an audience kept for sizing or analysis is legitimate, and can say so with "
         "`# audiencelang: ignore[L009]` on the line before it. Not in the default rule set "
         "(most projects keep audiences for analysis): switch it on with `[lint] select = [\"L\"]` "
         "or `select = [\"L009\", ...]`. Computed over the whole project, so "
         "`check FILE` reports the same as `check`.",
         "audience old_vip { include sum(purchase.revenue) > 1000 }",
         "audience old_vip {\n  include sum(purchase.revenue) > 1000\n  require consent ads_personalization\n"
         "  activate meta_ads\n}", default_enabled=False),
    Rule("L010", "duplicate-meaning", W, "two audiences with the same members",
         "Two audiences whose `include`, `exclude` and required consent are the same — up to the "
         "order of `and`/`or` items and purposes, layout and metadata — have the same members in "
         "every market. Keep one and activate every destination from it. Reported at the later one "
         "(by file, then line), over the whole project.",
         "audience vip { include age > 60 and country = \"DE\" }\n"
         "audience seniors_de { include country = \"DE\" and age > 60 }",
         "audience vip { include age > 60 and country = \"DE\" }"),
    Rule("L011", "negated-at-least", INFO, "`not performed E at least N times`: say `performed E at most N-1 times`",
         "`not performed E at least N times` (N ≥ 2) holds for exactly the profiles with fewer than N "
         "such events, none included — the same as `performed E at most N-1 times`, which reads "
         "without the double turn. The two forms are equivalent: this is a readability hint (info).",
         "include not performed purchase at least 3 times in last 90 days",
         "include performed purchase at most 2 times in last 90 days"),
    Rule("L012", "dead-exclusion", W, "an exclusion that can never match inside the include",
         "When the include fixes a trait — `country in [\"DE\"]`, `age >= 18`, `is_employee = false` — an "
         "`exclude` alternative testing the same trait for values the include rules out "
         "(`country = \"FR\"`, `age < 18`, `is_employee = true`, `country is null`) never removes "
         "anyone: it is dead code, usually a wrong value. Decided for traits compared with literals "
         "in the top-level `and` of the include and the top-level `or` of the exclude.",
         "include country in [\"DE\", \"AT\"]\nexclude country = \"FR\"",
         "include country in [\"DE\", \"AT\"]\nexclude country = \"AT\""),
    Rule("L013", "unused-destination", W, "a destination in the config that no audience activates",
         "A `[destinations.NAME]` that no audience of the project activates is reported at its line "
         "in the config, when the whole project is checked (`check`, `check .`, or `check` naming "
         "the config). Not in the default rule set (a destination is often configured before its "
         "first audience): switch it on with `[lint] select = [\"L\"]` or `select = [\"L013\", ...]`.",
         "[destinations.snapchat]   # no audience says 'activate snapchat'",
         "# remove it, or: activate snapchat", default_enabled=False),
    Rule("L014", "owner-not-allowed", W, "an `owner` not in `[lint] owners` or not matching `[lint] owner-pattern`",
         "With `[lint] owners = [...]` every audience's `owner` must be one of them; with "
         "`[lint] owner-pattern = \"...\"` it must match the expression (a full match, RE2 syntax). An audience "
         "without an owner is L002.",
         "owner \"bob\"            # [lint] owner-pattern = \".+@example\\\\.com\"",
         "owner \"crm-team@example.com\""),
)

RULES: dict[str, Rule] = {r.code: r for r in _ALL}
_BY_NAME: dict[str, Rule] = {r.name: r for r in _ALL}


def get_rule(code_or_name: str) -> Rule | None:
    """A rule by code (``L003``, case-insensitive) or name (``always-true-condition``)."""
    return RULES.get(code_or_name.upper()) or _BY_NAME.get(code_or_name.lower())


def lint_rules() -> list[Rule]:
    return [r for r in _ALL if r.is_lint]
