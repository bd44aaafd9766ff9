from __future__ import annotations

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from zones.api import dnssec, secondaries, views

urlpatterns = [
    path("login", views.LoginView.as_view(), name="api-login"),
    path("dns/v2/zones", views.ZonesView.as_view(), name="api-zones"),
    path("dns/v2/zones/<str:zone>/records", views.RecordsView.as_view(), name="api-records"),
    path("dns/v2/zones/<str:zone>/records/<str:host>", views.RecordsView.as_view(), name="api-records-host"),
    path("dns/v2/zones/<str:zone>/records/<str:host>/<str:type>", views.RecordsView.as_view(), name="api-records-type"),
    path("dns/v2/zones/<str:zone>/dnssec", dnssec.DnssecView.as_view(), name="api-dnssec"),
    path("dns/v2/zones/<str:zone>/secondaries", secondaries.SecondariesView.as_view(), name="api-secondaries"),
    path(
        "dns/v2/zones/<str:zone>/secondaries/<str:secondary>",
        secondaries.SecondaryView.as_view(),
        name="api-secondary",
    ),
    path("dns/v2/dynamic/<str:fqdn>", views.DynamicView.as_view(), name="api-dynamic"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up script as a file (?script), not inline: the Content-Security-Policy
    # runs no inline script.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]
