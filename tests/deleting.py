"""A zone deleted by staff while a script's request is between finding the zone and changing it.

The race cannot be timed from outside, so a test wraps the lookup a request makes first: the wrapper deletes the zone
(through the real service) right after it was found, and the request reaches zone_apply with a zone that is gone.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from accounts.actors import Actor
from zones.models import Zone
from zones.services import zone_delete


def deleting_after(lookup: Callable[..., Any], actor: Actor) -> Callable[..., Any]:
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        found = lookup(*args, **kwargs)
        zone = found[0] if isinstance(found, tuple) else found
        if zone is not None:
            zone_delete(zone=Zone.objects.get(pk=zone.pk), actor=actor)
        return found

    return wrapped
