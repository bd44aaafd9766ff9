from __future__ import annotations

from django.apps import AppConfig


class ZonesConfig(AppConfig):
    name = "zones"
    verbose_name = "DNS zones"

    def ready(self) -> None:
        # The catalog zone writes through zones.services, which enqueues the push pipeline: the pipeline reaches it
        # through this registration, so that no import points back up. Imported here: the catalog needs the models.
        from zones.catalog import catalog_hooks
        from zones.push.services import catalog_hooks_register

        catalog_hooks_register(catalog_hooks())
