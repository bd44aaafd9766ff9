"""The account security log's one writer. Every security-relevant service calls it inside its own
transaction.atomic(), so the row commits or rolls back with the change it records. Rows past their retention go
through security_events_prune (the retention task in zones.retention decides when)."""

from __future__ import annotations

import datetime
from collections.abc import Mapping

from accounts.actors import Actor
from accounts.models import Account, SecurityEvent


def security_event_record(
    *,
    action: SecurityEvent.Action,
    actor: Actor,
    subject: str,
    account: Account | None = None,
    detail: Mapping[str, object] | None = None,
) -> SecurityEvent:
    """Record who (`actor`: label, user, interface, address) did `action` to `subject` in `account`, now.

    `subject` and `detail` are shown to the account's members: never pass a secret, a hash of one, or a part of one.
    """
    user = actor.user if actor.user is not None and actor.user.is_authenticated else None
    return SecurityEvent.objects.create(  # type: ignore[misc]  # actor.user is the AUTH_USER_MODEL the stubs cannot see
        account=account,
        account_name=account.name if account is not None else "",
        action=action,
        subject=subject[:255],
        detail=dict(detail or {}),
        actor=actor.label[:200],
        user=user,
        interface=actor.interface.value,
        client_address=actor.address,
    )


def security_events_prune(*, before: datetime.datetime, limit: int) -> int:
    """Delete up to `limit` of the oldest security log rows written before `before`, in one short statement; returns
    how many went. The caller (zones.retention) repeats it until none is left and decides the retention."""
    ids = list(
        SecurityEvent.objects.filter(created__lt=before).order_by("created", "id").values_list("id", flat=True)[:limit]
    )
    if ids:
        SecurityEvent.objects.filter(id__in=ids).delete()
    return len(ids)
