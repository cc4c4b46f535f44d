"""Stable error codes in ``extensions.code``; anything unexpected is masked and logged once."""

from __future__ import annotations

import logging

from graphql.error import GraphQLError
from strawberry.extensions import MaskErrors

from hub.errors import HubError

log = logging.getLogger("hub.graphql")

INTERNAL = "INTERNAL_SERVER_ERROR"
VALIDATION = "GRAPHQL_VALIDATION_FAILED"


def _code_of(error: GraphQLError) -> str | None:
    original = error.original_error
    if isinstance(original, HubError):
        return original.code
    if original is None:
        # graphql-core's own errors: parse, validation (incl. depth and alias limits), coercion.
        existing = (error.extensions or {}).get("code")
        return str(existing) if existing else VALIDATION
    return None


class CodedErrors(MaskErrors):
    """Masks every error that is not a HubError or a GraphQL validation error, and codes them all."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=lambda e: _code_of(e) is None, error_message="Internal server error.")

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        processed: list[GraphQLError] = []
        for error in errors:
            code = _code_of(error)
            if code is None:
                log.error("unexpected error in GraphQL execution", exc_info=error.original_error,
                          extra={"event": "graphql.internal_error", "path": error.path})
                code = INTERNAL
                message = self.error_message
            else:
                message = error.message
            processed.append(
                GraphQLError(message, nodes=error.nodes, source=error.source, positions=error.positions,
                             path=error.path, extensions={**(error.extensions or {}), "code": code})
            )
        return processed
