"""Customer accounts. Users are members of one or more accounts; staff are Django staff users."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Account(models.Model):
    name = models.SlugField(max_length=64, unique=True, help_text="Short unique handle, e.g. 'acme'.")
    display_name = models.CharField(max_length=200, blank=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="accounts", blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
