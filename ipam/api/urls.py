from __future__ import annotations

from rest_framework.routers import SimpleRouter

from ipam.api.views import AllocationViewSet, PoolViewSet, RequestViewSet

router = SimpleRouter(trailing_slash=True)
router.register("pools", PoolViewSet, basename="ipam-pool")
router.register("allocations", AllocationViewSet, basename="ipam-allocation")
router.register("requests", RequestViewSet, basename="ipam-request")

urlpatterns = router.urls
