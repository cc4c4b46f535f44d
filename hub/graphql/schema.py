"""Builds the Strawberry schema with the Hub's extensions (caches, limits, error codes)."""

from __future__ import annotations

import strawberry
from strawberry.extensions import (
    AddValidationRules,
    MaxAliasesLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)

from hub.graphql.errors import CodedErrors
from hub.graphql.mutations.adcvd import EntryMutations
from hub.graphql.mutations.bonds import BondMutations
from hub.graphql.mutations.detentions import DetentionMutations
from hub.graphql.mutations.forced_labor import ForcedLaborMutations
from hub.graphql.mutations.webhooks import WebhookMutations
from hub.graphql.query import Query
from hub.graphql.subscriptions import Subscription
from hub.graphql.types.adcvd import AdcvdCaseNode, EntryNode
from hub.graphql.types.bonds import BondNode
from hub.graphql.types.detentions import DetentionType
from hub.graphql.types.forced_labor import AllegationNode, ForcedLaborDetentionNode, WithholdReleaseOrderNode
from hub.graphql.types.parties import OrganizationType


@strawberry.type
class Mutation(DetentionMutations, WebhookMutations, BondMutations, ForcedLaborMutations, EntryMutations):
    """The Mutation root: one base class per domain."""


def build_schema(max_depth: int = 12, max_aliases: int = 30) -> strawberry.Schema:
    # The limit rules are built once: the validation cache is keyed by the rule classes, and a limiter
    # constructed per request would make a new class each time, so the cache would never hit.
    limits = [*QueryDepthLimiter(max_depth=max_depth).validation_rules,
              *MaxAliasesLimiter(max_alias_count=max_aliases).validation_rules]
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[OrganizationType, DetentionType, BondNode, WithholdReleaseOrderNode, ForcedLaborDetentionNode,
               AllegationNode, AdcvdCaseNode, EntryNode],
        extensions=[
            # Parsing and validating cost ~2 ms of a small query (DESIGN.md): cache both. Factories,
            # so each request gets fresh extension state; the caches themselves are module-level.
            lambda: ParserCache(maxsize=1024),
            lambda: ValidationCache(maxsize=1024),
            lambda: AddValidationRules(limits),
            CodedErrors,
        ],
    )


def printed_sdl() -> str:
    return build_schema().as_str() + "\n"
