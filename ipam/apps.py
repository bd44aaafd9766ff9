from __future__ import annotations

from django.apps import AppConfig


class IpamConfig(AppConfig):
    name = "ipam"
    verbose_name = "Address space"

    def ready(self) -> None:
        # Which reverse zones a customer may create is address-space knowledge; zones asks through this hook, so that
        # the dependency points from ipam to zones only. Imported here: selectors need the models loaded.
        from ipam.selectors import reverse_zone_within_allocations
        from zones.reserved import reverse_zone_check_register

        reverse_zone_check_register(reverse_zone_within_allocations)
