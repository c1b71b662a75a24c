"""The shapes of every JSON document audiencelang emits, as models: their JSON Schemas
are generated from here into ``docs/schemas/`` (a test keeps the committed copies current,
another validates what the CLI prints against them).

Every document carries ``version`` (:data:`MACHINE_JSON_VERSION`; it changes only when a
field is removed or changes meaning) and reports problems in one diagnostic shape,
:class:`DiagnosticDoc` (``audiencelang.check.output.diagnostic_json`` writes it):

=====================================  ===========================  ==========================
document                               written by                   schema
=====================================  ===========================  ==========================
check report                           ``check --format json``      ``check.schema.json``
run result(s)                          ``run --format json``        ``run.schema.json``
compile plan                           ``compile --explain``        ``compile-explain.schema.json``
deliveries made                        ``deliver --report json``    ``deliver.schema.json``
past deliveries                        ``deliver --history``        ``deliveries.schema.json``
AST                                    ``parse --format json``      ``ast.schema.json``
why a profile is in or out             ``explain --format json``    ``explain.schema.json``
rule(s)                                ``rule X --format json``     ``rule.schema.json``
changes between revisions              ``diff --format json``       ``diff.schema.json``
audience graph                         ``graph --format json``      ``graph.schema.json``
one diagnostic                         all of the above             ``diagnostic.schema.json``
=====================================  ===========================  ==========================
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["MACHINE_JSON_VERSION", "CheckDoc", "DeliverDoc", "DeliveriesDoc", "DiagnosticDoc", "DiffDoc", "ExplainDoc",
           "GraphDoc", "RuleDoc", "RunDoc",
           "machine_json_schemas"]

#: The version of the check, run and explain documents.
MACHINE_JSON_VERSION = 1


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DiagnosticDoc(_Doc):
    """One finding, the same in every document."""

    code: str
    rule: str | None
    severity: Literal["error", "warning", "info"]
    message: str
    path: str | None
    line: int | None
    column: int | None
    end_line: int | None
    end_column: int | None
    market: str | None
    audience: str | None
    hints: list[str]
    url: str | None


class _Tool(_Doc):
    name: Literal["audiencelang"]
    version: str


class CheckSummary(_Doc):
    errors: int
    warnings: int
    infos: int
    files: int
    audiences: int
    markets: int
    market_names: list[str]


class CheckDoc(_Doc):
    """``audiencelang check --format json``."""

    version: Literal[1]
    tool: _Tool
    diagnostics: list[DiagnosticDoc]
    summary: CheckSummary


class GateDoc(_Doc):
    destination: str
    minimum: int
    size: int | None
    members: int | None = None
    """Members of the audience (spec §11: before identifiers and suppression)."""
    without_identifier: int | None = None
    suppressed: int | None = None
    delivered: int | None = None
    status: str
    status_text: str


class RunDoc(_Doc):
    """One result of ``audiencelang run --format json`` (``--all``: a list of them)."""

    version: Literal[1]
    audience: str
    market: str
    status: Literal["ok", "failed", "not_run"]
    as_of: str | None
    seconds: float
    size: int | None
    min_size: int
    audience_status: str | None
    destinations: list[GateDoc]
    output: str | None
    output_rows: int | None
    diagnostics: list[DiagnosticDoc]


class DeliveryDoc(_Doc):
    """One delivery of ``deliver --report json`` (docs/deliver.md)."""

    audience: str
    market: str
    destination: str
    status: Literal["delivered", "held", "failed", "not_run"]
    as_of: str | None
    seq: int | None
    previous: int | None
    delivery_id: int | None
    entered: int
    exited: int
    listed: int
    members: int | None
    without_identifier: int | None
    suppressed: int | None
    deliverable: int | None
    min_size: int | None
    folder: str | None
    recorded: bool
    dry_run: bool
    unrecorded: list[str]
    diagnostics: list[DiagnosticDoc]


class DeliverDoc(_Doc):
    """``audiencelang deliver --report json``."""

    version: Literal[1]
    deliveries: list[DeliveryDoc]


class DeliveryRowDoc(_Doc):
    """One row of the ``deliveries`` state table (docs/deliver.md, "State tables")."""

    delivery_id: int
    audience: str
    market: str
    destination: str
    seq: int
    as_of: str
    status: Literal["delivered", "held"]
    min_size: int
    members: int
    without_identifier: int
    suppressed: int
    deliverable: int
    listed: int
    entered: int
    exited: int
    definition_hash: str
    sql_hash: str
    folder: str | None
    created_at: str
    audiencelang_version: str


class DeliveriesDoc(_Doc):
    """``audiencelang deliver --history --format json``: past deliveries, newest first."""

    version: Literal[1]
    deliveries: list[DeliveryRowDoc]


class ExplainDoc(BaseModel):
    """``audiencelang compile --explain``: the plan (docs/api.md, "The plan") and the strategy."""

    model_config = ConfigDict(extra="allow")

    version: Literal[1]
    audience: str
    market: str
    as_of: str | None
    scans: list[dict[str, Any]]
    audiences: list[dict[str, Any]]
    membership: dict[str, Any]
    output: dict[str, Any]
    strategy: dict[str, Any]


class RuleDoc(_Doc):
    """One rule of ``audiencelang rule X --format json`` (``--all``: a list of them)."""

    version: Literal[1]
    code: str
    name: str
    severity: Literal["error", "warning", "info"]
    summary: str
    explanation: str
    bad: str
    good: str
    url: str | None


class _DiffChange(_Doc):
    section: str
    text: str


class _DiffCompiles(_Doc):
    before: str | None
    after: str | None


class _DiffImpact(_Doc):
    market: str
    before: int | None
    after: int | None
    entered: int
    left: int
    gates: list[dict[str, Any]]
    error: str | None


class _DiffAudience(_Doc):
    name: str
    status: Literal["added", "removed", "renamed", "changed", "affected", "formatting"]
    file: str | None
    old_name: str | None
    old_file: str | None
    changes: list[_DiffChange]
    markets: dict[str, _DiffCompiles]
    impact: list[_DiffImpact]


class _DiffMarket(_Doc):
    market: str
    status: Literal["added", "removed", "changed"]
    file: str | None
    changes: list[str]
    audiences: list[str]


class _DiffConfig(_Doc):
    text: str
    audiences: list[str]


class DiffDoc(_Doc):
    """``audiencelang diff --format json`` (docs/review.md)."""

    version: Literal[1]
    base: str
    head: str
    as_of: str | None
    summary: dict[str, int]
    audiences: list[_DiffAudience]
    markets: list[_DiffMarket]
    config: list[_DiffConfig]


class _GraphAudience(_Doc):
    name: str
    file: str
    references: list[str]
    referenced_by: list[str]
    activates: list[str]


class _GraphDestination(_Doc):
    name: str
    defined: bool
    audiences: list[str]


class _GraphEdge(_Doc):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    from_: str = Field(alias="from")
    to: str
    kind: Literal["reference", "activation"]
    cycle: bool


class GraphDoc(_Doc):
    """``audiencelang graph --format json`` (docs/review.md)."""

    version: Literal[1]
    audiences: list[_GraphAudience]
    destinations: list[_GraphDestination]
    edges: list[_GraphEdge]
    cycles: list[list[str]]


def _one_or_many(model: type[BaseModel], name: str, title: str, item: str) -> dict[str, Any]:
    """A schema accepting one document or an array of them (``run --all``, ``rule --all``)."""
    doc = _schema(model, name, title)
    doc = {**doc, "oneOf": [{"$ref": f"#/$defs/{item}"}, {"type": "array", "items": {"$ref": f"#/$defs/{item}"}}]}
    one = {k: v for k, v in doc.items() if k in ("properties", "required", "type", "additionalProperties", "title")}
    one["title"] = item
    for k in ("properties", "required", "type", "additionalProperties"):
        doc.pop(k, None)
    doc.setdefault("$defs", {})[item] = one
    return doc


def _schema(model: type[BaseModel], name: str, title: str) -> dict[str, Any]:
    schema = model.model_json_schema(mode="serialization")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"https://audiencelang.dev/schemas/{name}.schema.json"
    schema["title"] = title
    return schema


def machine_json_schemas() -> dict[str, dict[str, Any]]:
    """File stem -> JSON Schema, for ``docs/schemas/``."""
    return {
        "diagnostic": _schema(DiagnosticDoc, "diagnostic", "audiencelang diagnostic (every JSON document)"),
        "check": _schema(CheckDoc, "check", "audiencelang check --format json"),
        "run": _one_or_many(RunDoc, "run", "audiencelang run --format json (one result; --all: an array of them)",
                            "RunResult"),
        "compile-explain": _schema(ExplainDoc, "compile-explain", "audiencelang compile --explain"),
        "deliver": _schema(DeliverDoc, "deliver", "audiencelang deliver --report json"),
        "deliveries": _schema(DeliveriesDoc, "deliveries", "audiencelang deliver --history --format json"),
        "rule": _one_or_many(RuleDoc, "rule", "audiencelang rule X --format json (one rule; --all: an array of them)",
                             "Rule"),
        "diff": _schema(DiffDoc, "diff", "audiencelang diff --format json"),
        "graph": _schema(GraphDoc, "graph", "audiencelang graph --format json"),
    }
