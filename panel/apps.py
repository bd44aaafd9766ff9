from __future__ import annotations

from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class PanelConfig(AppConfig):
    name = "panel"
    verbose_name = "Customer panel"


class PanelAdminConfig(admin_apps.AdminConfig):
    """Django's admin with the panel's site class (one sign-in, second factor required for staff)."""

    default = False  # named in INSTALLED_APPS by its path; PanelConfig stays the default of this module
    default_site = "panel.admin.PanelAdminSite"
