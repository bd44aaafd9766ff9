from __future__ import annotations

from django.apps import AppConfig


class IpamConfig(AppConfig):
    name = "ipam"
    verbose_name = "Address space"
