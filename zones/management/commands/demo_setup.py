from __future__ import annotations

import os
from typing import Any

from django.core.management.base import BaseCommand

from accounts.actors import Actor
from accounts.models import Account
from accounts.services import account_create, user_create
from zones.models import Zone
from zones.services import zone_create, zone_set_api_password

DEMO_ACCOUNT = "demo"
DEMO_ZONE = "example.test"
DEMO_USER = "demo"


class Command(BaseCommand):
    help = (
        "Create the demo account and zone that the README's examples use (idempotent). "
        "The zone's legacy API password comes from DEMO_API_PASSWORD (default: demo-password), the panel user "
        "demo's password from DEMO_USER_PASSWORD (default: demo-panel-password)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        actor = Actor.cli("make run (demo setup)")
        account = Account.objects.filter(name=DEMO_ACCOUNT).first() or account_create(name=DEMO_ACCOUNT, actor=actor)
        zone = Zone.objects.filter(name=DEMO_ZONE).first()
        if zone is None:
            zone = zone_create(name=DEMO_ZONE, account=account, actor=actor)
            password = os.environ.get("DEMO_API_PASSWORD", "demo-password")
            zone_set_api_password(zone=zone, password=password, actor=actor)
            self.stdout.write(f"demo zone {DEMO_ZONE} created (account {DEMO_ACCOUNT}, API password {password!r})")
        else:
            self.stdout.write(f"demo zone {DEMO_ZONE} exists")
        if not account.members.filter(username=DEMO_USER).exists():
            password = os.environ.get("DEMO_USER_PASSWORD", "demo-panel-password")
            user_create(username=DEMO_USER, password=password, account=account, actor=actor)
            self.stdout.write(f"panel user {DEMO_USER} created (password {password!r})")
