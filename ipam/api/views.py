"""The IPAM REST API: staff manage pools, allocations and requests; customers see their own space, file requests and
manage their reverse DNS. Views parse, call a service or selector, and render; errors map to 400 (bad input), 403
(outside an API key's scope) and 409 (the space is taken or the pool is full).

Customers authenticate with an API key of their account, as on /dns/v2 (HTTP Basic key:secret, or a bearer token from
POST /login; the key acts for its account, within its read-only flag, client networks, expiry and scope: see
`accounts.selectors.apikey_allows_reverse_record`), or with their panel session. The staff operations (pools, release,
approve, decline) take a staff user's panel session only: an API key is never staff.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.authentication import SessionAuthentication
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request as ApiRequest
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.actors import Actor, Interface
from accounts.authentication import ApiKeyAuthentication, KeyWritePermission, request_key
from accounts.models import Account, ApiKey
from accounts.net import client_address
from accounts.selectors import OutOfScope, apikey_actor
from ipam import selectors, services
from ipam.api import serializers as s
from ipam.api.schema import IpamSchema
from ipam.models import Allocation, Pool, SpaceRequest
from ipam.services import IpamError, Unavailable
from zones.api.throttling import KeyThrottle

ERRORS = {
    400: OpenApiResponse(s.IpamErrorSerializer, description="bad input"),
    409: OpenApiResponse(s.IpamErrorSerializer, description="taken, or the pool is exhausted"),
}


class IsStaff(BasePermission):
    def has_permission(self, request: Any, view: Any) -> bool:
        return bool(request.user and request.user.is_staff)


class Page(LimitOffsetPagination):
    default_limit = 100
    max_limit = 1000


# The staff operations: a staff user's panel session only (no API key, hence no per-key throttle either).
STAFF_ONLY: dict[str, Any] = {
    "authentication_classes": [SessionAuthentication],
    "permission_classes": [IsAuthenticated, IsStaff],
    "throttle_classes": [],
}


class IpamView(APIView):
    lookup_value_converter = "int"
    # The key first: its 'Basic' challenge makes missing or bad credentials a 401; a request without an Authorization
    # header falls through to the panel session (with its CSRF check).
    authentication_classes = [ApiKeyAuthentication, SessionAuthentication]
    permission_classes = [IsAuthenticated, KeyWritePermission]
    # One budget per key, shared with the DNS API (the same cache key).
    throttle_classes = [KeyThrottle]
    schema = IpamSchema()

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, OutOfScope):
            return Response({"detail": str(exc)}, status=status.HTTP_403_FORBIDDEN)
        if isinstance(exc, Unavailable):
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        if isinstance(exc, IpamError):
            return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
        return super().handle_exception(exc)

    def key(self) -> ApiKey | None:
        return request_key(self.request)

    def actor(self) -> Actor:
        user = self.request.user
        address = client_address(self.request)
        key = self.key()
        if key is not None:
            return apikey_actor(key, interface=Interface.API, address=str(address) if address else None)
        return Actor(
            interface=Interface.API,
            label=user.get_username(),
            user=user,
            address=str(address) if address else None,
            is_staff=bool(user.is_staff),
        )

    def accounts(self) -> QuerySet[Account]:
        return selectors.accounts_visible(user=self.request.user, key=self.key())

    def account_named(self, name: str | None) -> Account:
        accounts = self.accounts()
        if name is None:
            mine = list(accounts[:2])
            if len(mine) != 1:
                raise IpamError("name the account")
            return mine[0]
        account = accounts.filter(name=name).first()
        if account is None:
            raise IpamError(f"no account named {name}")
        return account

    def parsed(self, serializer_class: type[Any]) -> dict[str, Any]:
        serializer = serializer_class(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)


class PoolViewSet(
    IpamView, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet[Pool]
):
    """Staff only: the provider's pools."""

    authentication_classes = STAFF_ONLY["authentication_classes"]
    permission_classes = STAFF_ONLY["permission_classes"]
    throttle_classes = STAFF_ONLY["throttle_classes"]
    serializer_class = s.PoolSerializer
    queryset = Pool.objects.all()

    @extend_schema(request=s.PoolCreateSerializer, responses={201: s.PoolSerializer, **ERRORS})
    def create(self, request: ApiRequest) -> Response:
        data = self.parsed(s.PoolCreateSerializer)
        days = data.pop("quarantine_days")
        quarantine = None if days is None else datetime.timedelta(days=days)
        pool = services.pool_create(**data, quarantine=quarantine, actor=self.actor())
        return Response(s.PoolSerializer(pool).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance: Pool) -> None:
        services.pool_delete(pool=instance, actor=self.actor())

    @extend_schema(request=s.AllocateSerializer, responses={201: s.AllocationSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def allocate(self, request: ApiRequest, pk: str) -> Response:
        """Allocate the next free /N (or a given prefix) of this pool to an account."""
        data = self.parsed(s.AllocateSerializer)
        data["account"] = self.account_named(data["account"])
        allocation = services.prefix_allocate(pool=self.get_object(), **data, actor=self.actor())
        return Response(s.AllocationSerializer(allocation).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.ReserveSerializer, responses={201: s.AllocationSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def reserve(self, request: ApiRequest, pk: str) -> Response:
        data = self.parsed(s.ReserveSerializer)
        data["account"] = self.account_named(data["account"]) if data["account"] else None
        allocation = services.prefix_reserve(pool=self.get_object(), **data, actor=self.actor())
        return Response(s.AllocationSerializer(allocation).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=s.UtilisationSerializer)
    @action(detail=True, methods=["get"])
    def utilisation(self, request: ApiRequest, pk: str) -> Response:
        return Response(s.UtilisationSerializer(selectors.pool_utilisation(pool=self.get_object())).data)


class AllocationViewSet(
    IpamView, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Allocation]
):
    """Staff see every allocation (filter with ?account=name and ?pool=prefix); customers see the active and reserved
    blocks of their own accounts, and nothing else exists for them (404)."""

    serializer_class = s.AllocationSerializer
    pagination_class = Page
    queryset = Allocation.objects.none()  # for the schema; get_queryset scopes every request

    def get_queryset(self) -> QuerySet[Allocation]:
        if not self.request.user.is_staff:
            return selectors.allocations_of(accounts=self.accounts())
        allocations = Allocation.objects.select_related("pool", "account").order_by("pool__family", "start")
        if "account" in self.request.query_params:
            allocations = allocations.filter(account__name=self.request.query_params["account"])
        if "pool" in self.request.query_params:
            allocations = allocations.filter(pool__prefix=self.request.query_params["pool"])
        return allocations

    @extend_schema(request=None, responses={200: s.AllocationSerializer, 204: None, **ERRORS})
    @action(detail=True, methods=["post"], **STAFF_ONLY)
    def release(self, request: ApiRequest, pk: str) -> Response:
        """Staff only: release the block (it rests in quarantine before it is handed out again)."""
        result = services.prefix_release(allocation=self.get_object(), actor=self.actor())
        if result is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(s.AllocationSerializer(result).data)

    @extend_schema(methods=["GET"], responses=s.PtrSerializer(many=True))
    @extend_schema(methods=["PUT"], request=s.PtrSerializer, responses={200: s.PtrSerializer(many=True), **ERRORS})
    @action(detail=True, methods=["get", "put"])
    def ptr(self, request: ApiRequest, pk: str) -> Response:
        """The PTR records inside the block; PUT sets one address's PTR (hostname null removes it)."""
        allocation = self.get_object()
        if request.method == "PUT":
            data = self.parsed(s.PtrSerializer)
            services.ptr_set(allocation=allocation, **data, actor=self.actor(), key=self.key())
        rows = selectors.allocation_ptrs(allocation=allocation, key=self.key())
        return Response([{"address": address, "hostname": hostname} for address, hostname in rows])

    @extend_schema(request=s.DelegationSerializer, responses={200: s.DelegationSerializer, **ERRORS})
    @action(detail=True, methods=["put"])
    def delegation(self, request: ApiRequest, pk: str) -> Response:
        """Delegate the block's reverse DNS to these nameservers (an empty list removes the delegation)."""
        data = self.parsed(s.DelegationSerializer)
        services.reverse_delegate(
            allocation=self.get_object(), nameservers=data["nameservers"], actor=self.actor(), key=self.key()
        )
        return Response(data)

    @extend_schema(responses=s.AccountUsageSerializer(many=True))
    @action(detail=False, methods=["get"])
    def usage(self, request: ApiRequest) -> Response:
        """What each of the user's accounts holds, per address family."""
        accounts = self.accounts()
        if "account" in request.query_params:
            accounts = accounts.filter(name=request.query_params["account"])
        rows = selectors.accounts_utilisation(accounts=accounts)
        return Response(s.AccountUsageSerializer(rows, many=True).data)


class SpaceRequestViewSet(
    IpamView, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[SpaceRequest]
):
    """Customers file requests for space and see their own; staff see all and approve or decline them."""

    serializer_class = s.SpaceRequestSerializer
    pagination_class = Page
    queryset = SpaceRequest.objects.none()  # for the schema; get_queryset scopes every request

    def get_queryset(self) -> QuerySet[SpaceRequest]:
        return SpaceRequest.objects.filter(account__in=self.accounts()).select_related("account", "allocation")

    @extend_schema(request=s.SpaceRequestCreateSerializer, responses={201: s.SpaceRequestSerializer, **ERRORS})
    def create(self, request: ApiRequest) -> Response:
        data = self.parsed(s.SpaceRequestCreateSerializer)
        data["account"] = self.account_named(data["account"])
        filed = services.space_request_file(**data, actor=self.actor(), key=self.key())
        return Response(s.SpaceRequestSerializer(filed).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.ApproveSerializer, responses={200: s.SpaceRequestSerializer, **ERRORS})
    @action(detail=True, methods=["post"], **STAFF_ONLY)
    def approve(self, request: ApiRequest, pk: str) -> Response:
        data = self.parsed(s.ApproveSerializer)
        pool = Pool.objects.filter(pk=data.pop("pool")).first()
        if pool is None:
            raise NotFound("no such pool")
        decided = services.space_request_approve(space_request=self.get_object(), pool=pool, **data, actor=self.actor())
        return Response(s.SpaceRequestSerializer(decided).data)

    @extend_schema(request=s.DeclineSerializer, responses={200: s.SpaceRequestSerializer, **ERRORS})
    @action(detail=True, methods=["post"], **STAFF_ONLY)
    def decline(self, request: ApiRequest, pk: str) -> Response:
        reason = self.parsed(s.DeclineSerializer)["reason"]
        decided = services.space_request_decline(space_request=self.get_object(), reason=reason, actor=self.actor())
        return Response(s.SpaceRequestSerializer(decided).data)
