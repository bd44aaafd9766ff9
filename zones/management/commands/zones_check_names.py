from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand

from zones.models import Zone
from zones.reserved import zone_name_refusal


class Command(BaseCommand):
    help = (
        "Report existing zones whose names a customer could not create now (public suffixes, the provider's domains, "
        "reverse zones outside the account's space). Nothing is changed; exits 1 when any is found."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        found = 0
        for zone in Zone.objects.select_related("account").order_by("name").iterator():
            refusal = zone_name_refusal(zone.name, zone.account)
            if refusal is not None:
                found += 1
                self.stdout.write(f"{zone.name}\t{zone.account.name}\t{refusal}")
        self.stdout.write(f"{found} zones break the zone name rules" if found else "every zone name is allowed")
        if found:
            sys.exit(1)
