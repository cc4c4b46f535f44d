"""Field access declared once, on the field: ``guarded(action)`` or ``public(reason)``.

Every field of a domain type must carry one of the two (a test walks the schema). A guarded field
asks the policy engine with its object's policy subject; when denied it resolves to null and the
withholding is noted for the ``disclosure`` explanation. The decision itself lives in ``policies/``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, cast

import strawberry
from strawberry.extensions import FieldExtension

from hub.policy.facts import Subject

if TYPE_CHECKING:
    from strawberry.types import Info


class HasSubject(Protocol):
    subject: Subject


class Guard(FieldExtension):
    """Resolves the field only if any of ``actions`` is allowed on the object's subject.

    Denied: ``None`` (or ``[]`` for list fields, so a hidden list is empty, never an error). With
    ``audit`` the allowed read is recorded in the disclosure log at the end of the request.
    """

    def __init__(self, *actions: str, audit: bool = False, empty: Any = None) -> None:
        self.actions = actions
        self.action = actions[0]
        self.audit = audit
        self.empty = empty

    def _allowed(self, source: HasSubject, info: Info[Any, Any]) -> bool:
        ctx = info.context
        for action in self.actions:
            decision = ctx.decide(action, source.subject)
            if decision.allowed:
                if self.audit:
                    ctx.disclose(source.subject, info.field_name, decision)
                return True
        return False

    def resolve(self, next_: Callable[..., Any], source: Any, info: Info[Any, Any], **kwargs: Any) -> Any:
        if not self._allowed(source, info):
            return self.empty
        return next_(source, info, **kwargs)

    async def resolve_async(
        self, next_: Callable[..., Awaitable[Any]], source: Any, info: Info[Any, Any], **kwargs: Any
    ) -> Any:
        if not self._allowed(source, info):
            return self.empty
        return await next_(source, info, **kwargs)


class Public(FieldExtension):
    """Says why a field needs no field-level decision (e.g. the object's read is already decided)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def resolve(self, next_: Callable[..., Any], source: Any, info: Info[Any, Any], **kwargs: Any) -> Any:
        return next_(source, info, **kwargs)

    async def resolve_async(
        self, next_: Callable[..., Awaitable[Any]], source: Any, info: Info[Any, Any], **kwargs: Any
    ) -> Any:
        return await next_(source, info, **kwargs)


F = TypeVar("F", bound=Callable[..., Any])


def guarded(*actions: str, audit: bool = False, empty: Any = None, **kwargs: Any) -> Callable[[F], F]:
    """Decorates a resolver whose value one of the policy ``actions`` must allow."""
    return cast(Callable[[F], F], strawberry.field(extensions=[Guard(*actions, audit=audit, empty=empty)], **kwargs))


def public(reason: str, **kwargs: Any) -> Callable[[F], F]:
    """Decorates a resolver shown whenever its object is shown, saying why."""
    return cast(Callable[[F], F], strawberry.field(extensions=[Public(reason)], **kwargs))


def root(description: str) -> Callable[[F], F]:
    """A Query/Mutation root field: what it returns is scoped by row scopes and its types' guards."""
    return cast(Callable[[F], F], strawberry.field(description=description))


def public_value(reason: str, **kwargs: Any) -> Any:
    """The same for a plain attribute field (``name: str = public_value("...")``)."""
    return strawberry.field(extensions=[Public(reason)], **kwargs)
