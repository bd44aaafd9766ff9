"""Writes to accounts and their members (people who log in to the panel)."""

from __future__ import annotations

import logging

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from panel.actors import Actor
from panel.models import Account

log = logging.getLogger(__name__)


class AccountError(Exception):
    """A request about accounts or their members that cannot be carried out."""


def user_create(
    *,
    username: str,
    password: str,
    actor: Actor,
    account: Account | None = None,
    email: str = "",
    is_staff: bool = False,
) -> AbstractUser:
    """Create a person who can log in to the panel, as a member of `account` (staff need none).

    The password must pass Django's validators: it guards the zones and address space of a whole account.
    """
    user_model = get_user_model()
    if user_model.objects.filter(username=username).exists():
        raise AccountError(f"the user {username} exists already")
    candidate = user_model(username=username, email=email, is_staff=is_staff)
    try:
        candidate.full_clean(exclude=["password"])
        validate_password(password, user=candidate)
    except ValidationError as exc:
        raise AccountError(" ".join(exc.messages)) from None
    with transaction.atomic():
        user = user_model.objects.create_user(username=username, email=email, password=password, is_staff=is_staff)
        if account is not None:
            account.members.add(user)
    log.info("user %s created%s by %s", username, f" in {account.name}" if account else "", actor.label)
    return user
