from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from panel import views

urlpatterns = [
    path("", views.root, name="root"),
    path("admin/", admin.site.urls),
    path("", include("zones.legacy.urls")),
    path("", include("zones.api.urls")),
    path("", include("zones.dyndns.urls")),
    path("api/ipam/", include("ipam.api.urls")),
    path("", include("panel.views.urls")),
]
