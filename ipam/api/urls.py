from __future__ import annotations

from rest_framework.routers import SimpleRouter

from ipam.api.views import AllocationViewSet, PoolViewSet, SpaceRequestViewSet

router = SimpleRouter(trailing_slash=True)
router.register("pools", PoolViewSet, basename="ipam-pool")
router.register("allocations", AllocationViewSet, basename="ipam-allocation")
router.register("requests", SpaceRequestViewSet, basename="ipam-space-request")

urlpatterns = router.urls
