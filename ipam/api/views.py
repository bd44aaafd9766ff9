"""The IPAM REST API: staff manage pools, allocations and requests; customers see their own space, file requests and
manage their reverse DNS. Views parse, call a service or selector, and render; errors map to 400 (bad input) and 409
(the space is taken or the pool is full)."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.authentication import SessionAuthentication
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request as ApiRequest
from rest_framework.response import Response
from rest_framework.views import APIView

from ipam import reverse, selectors, services
from ipam.api import serializers as s
from ipam.models import Allocation, Pool, Request
from ipam.services import IpamError, Unavailable
from panel.actors import Actor, Interface
from panel.models import Account
from panel.net import client_address

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


class IpamView(APIView):
    lookup_value_converter = "int"
    # Session authentication for now; the REST API keys are scoped to zones.
    authentication_classes = [SessionAuthentication]
    permission_classes = [IsAuthenticated]

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, Unavailable):
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        if isinstance(exc, IpamError):
            return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
        return super().handle_exception(exc)

    def actor(self) -> Actor:
        user = self.request.user
        address = client_address(self.request)
        return Actor(
            interface=Interface.API,
            label=user.get_username(),
            user=user,
            address=str(address) if address else None,
            is_staff=bool(user.is_staff),
        )

    def accounts(self) -> QuerySet[Account]:
        """The accounts whose space the user may see: every account for staff, their own for customers."""
        if self.request.user.is_staff:
            return Account.objects.all()
        user_id = self.request.user.pk
        return Account.objects.none() if user_id is None else Account.objects.filter(members__id=user_id)

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

    def require_staff(self) -> None:
        if not self.request.user.is_staff:
            raise PermissionDenied("staff only")


class PoolViewSet(
    IpamView, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet[Pool]
):
    """Staff only: the provider's pools."""

    permission_classes = [IsAuthenticated, IsStaff]
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
    @action(detail=True, methods=["post"])
    def release(self, request: ApiRequest, pk: str) -> Response:
        """Staff only: release the block (it rests in quarantine before it is handed out again)."""
        self.require_staff()
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
            services.ptr_set(allocation=allocation, **data, actor=self.actor())
        zone = reverse.zone_for(reverse.address_name(allocation.pool.family, allocation.block.start))
        rows = [] if zone is None else reverse.ptr_records(zone=zone, block=allocation.block)
        return Response([{"address": address, "hostname": hostname} for address, hostname in rows])

    @extend_schema(request=s.DelegationSerializer, responses={200: s.DelegationSerializer, **ERRORS})
    @action(detail=True, methods=["put"])
    def delegation(self, request: ApiRequest, pk: str) -> Response:
        """Delegate the block's reverse DNS to these nameservers (an empty list removes the delegation)."""
        data = self.parsed(s.DelegationSerializer)
        services.reverse_delegate(allocation=self.get_object(), nameservers=data["nameservers"], actor=self.actor())
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


class RequestViewSet(IpamView, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Request]):
    """Customers file requests for space and see their own; staff see all and approve or decline them."""

    serializer_class = s.RequestSerializer
    pagination_class = Page
    queryset = Request.objects.none()  # for the schema; get_queryset scopes every request

    def get_queryset(self) -> QuerySet[Request]:
        return Request.objects.filter(account__in=self.accounts()).select_related("account", "allocation")

    @extend_schema(request=s.RequestCreateSerializer, responses={201: s.RequestSerializer, **ERRORS})
    def create(self, request: ApiRequest) -> Response:
        data = self.parsed(s.RequestCreateSerializer)
        data["account"] = self.account_named(data["account"])
        filed = services.request_file(**data, actor=self.actor())
        return Response(s.RequestSerializer(filed).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.ApproveSerializer, responses={200: s.RequestSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def approve(self, request: ApiRequest, pk: str) -> Response:
        self.require_staff()
        data = self.parsed(s.ApproveSerializer)
        pool = Pool.objects.filter(pk=data.pop("pool")).first()
        if pool is None:
            raise NotFound("no such pool")
        decided = services.request_approve(request=self.get_object(), pool=pool, **data, actor=self.actor())
        return Response(s.RequestSerializer(decided).data)

    @extend_schema(request=s.DeclineSerializer, responses={200: s.RequestSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def decline(self, request: ApiRequest, pk: str) -> Response:
        self.require_staff()
        reason = self.parsed(s.DeclineSerializer)["reason"]
        decided = services.request_decline(request=self.get_object(), reason=reason, actor=self.actor())
        return Response(s.RequestSerializer(decided).data)
