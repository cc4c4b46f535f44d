"""Deny by default: every field of a domain type declares its Cedar action or why it needs none."""

from __future__ import annotations

import re

from graphql import GraphQLObjectType
from strawberry.types.field import StrawberryField

from hub.graphql.guard import Guard, Public
from hub.graphql.schema import build_schema
from hub.policy.engine import PolicyEngine
from hub.runtime import POLICIES_DIR

# Relay plumbing and roots carry no restricted data of their own: what they return is typed, and
# those types are walked too.
PLUMBING = {"Query", "Mutation", "Subscription", "PageInfo"}


def _domain_fields() -> dict[str, list[StrawberryField]]:
    """Object types of the printed schema (not interfaces or inputs) with the fields clients can select."""
    schema = build_schema()
    found: dict[str, list[StrawberryField]] = {}
    for name, graphql_type in schema._schema.type_map.items():
        if not isinstance(graphql_type, GraphQLObjectType) or name.startswith("__"):
            continue
        if name in PLUMBING or name.endswith(("Connection", "Edge")):
            continue
        found[name] = [f.extensions["strawberry-definition"] for f in graphql_type.fields.values()]
    return found


def test_every_domain_field_declares_an_action_or_a_reason() -> None:
    undeclared = [
        f"{type_name}.{field.python_name}"
        for type_name, fields in _domain_fields().items()
        for field in fields
        if not any(isinstance(e, Guard | Public) for e in field.extensions)
    ]
    assert undeclared == [], f"fields without guarded(...) or public(...): {undeclared}"


def test_every_guard_names_an_action_the_policies_define() -> None:
    declared = set()
    for group in re.findall(r"action\s+([\w\s,]+?)\s+appliesTo", PolicyEngine(POLICIES_DIR).schema_text):
        declared |= {name.strip() for name in group.split(",")}
    actions = {
        e.action for fields in _domain_fields().values() for f in fields for e in f.extensions
        if isinstance(e, Guard)
    }
    assert actions, "no guarded field found: the walk is broken"
    missing = sorted(actions - declared)
    assert missing == []


def test_walk_sees_the_organization_type() -> None:
    # If the walk silently found nothing, the two tests above would pass vacuously.
    assert {"Organization", "Viewer"} <= _domain_fields().keys()
