from __future__ import annotations

from django.urls import path

from zones.dyndns import views

urlpatterns = [
    path("nic/update", views.nic_update, name="dyndns-update"),
    path("update", views.nic_update),
    path("checkip", views.checkip, name="dyndns-checkip"),
]
