from __future__ import annotations

from django.urls import re_path

from zones.legacy.views import primarydnsapi

urlpatterns = [
    re_path(r"^customer/primarydnsapi/?$", primarydnsapi, name="primarydnsapi"),
    re_path(r"^control/fcgi/customer/primarydnsapi/?$", primarydnsapi),
]
