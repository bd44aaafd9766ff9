"""The shapes of the IPAM REST API. Input serializers only parse; the services decide."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from ipam.models import Allocation, Family, Pool, SpaceRequest
from ipam.selectors import PoolUtilisation, Usage
from ipam.services import STRATEGIES


class PoolSerializer(serializers.ModelSerializer[Pool]):
    quarantine_days = serializers.SerializerMethodField()

    class Meta:
        model = Pool
        fields = ["id", "prefix", "family", "default_length", "allowed_lengths", "site", "description"]
        fields += ["quarantine_days", "created"]

    def get_quarantine_days(self, pool: Pool) -> float:
        return pool.quarantine.total_seconds() / 86400


class PoolCreateSerializer(serializers.Serializer[Any]):
    prefix = serializers.CharField(max_length=64)
    default_length = serializers.IntegerField(min_value=0, max_value=128)
    allowed_lengths = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=128), required=False, default=list
    )
    description = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)
    site = serializers.CharField(max_length=100, required=False, default="", allow_blank=True)
    quarantine_days = serializers.FloatField(min_value=0, required=False, allow_null=True, default=None)


class AllocationSerializer(serializers.ModelSerializer[Allocation]):
    pool = serializers.CharField(source="pool.prefix", read_only=True)
    family = serializers.IntegerField(source="pool.family", read_only=True)
    account = serializers.SerializerMethodField()

    class Meta:
        model = Allocation
        fields = ["id", "prefix", "pool", "family", "account", "status", "description", "allocated_by", "created"]
        fields += ["quarantined_until"]

    def get_account(self, allocation: Allocation) -> str | None:
        return allocation.account.name if allocation.account else None


class AllocateSerializer(serializers.Serializer[Any]):
    account = serializers.SlugField()
    length = serializers.IntegerField(min_value=0, max_value=128, required=False, allow_null=True, default=None)
    strategy = serializers.ChoiceField(choices=STRATEGIES, default="first-fit")
    prefix = serializers.CharField(max_length=64, required=False, allow_null=True, default=None)
    description = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)


class ReserveSerializer(serializers.Serializer[Any]):
    prefix = serializers.CharField(max_length=64, required=False, allow_null=True, default=None)
    length = serializers.IntegerField(min_value=0, max_value=128, required=False, allow_null=True, default=None)
    account = serializers.SlugField(required=False, allow_null=True, default=None)
    description = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)


class PtrSerializer(serializers.Serializer[Any]):
    address = serializers.CharField(max_length=64)
    hostname = serializers.CharField(max_length=255, allow_null=True)


class DelegationSerializer(serializers.Serializer[Any]):
    nameservers = serializers.ListField(child=serializers.CharField(max_length=255), allow_empty=True, max_length=13)


class SpaceRequestSerializer(serializers.ModelSerializer[SpaceRequest]):
    account = serializers.CharField(source="account.name", read_only=True)
    allocation = serializers.CharField(source="allocation.prefix", read_only=True, allow_null=True, default=None)

    class Meta:
        model = SpaceRequest
        fields = ["id", "account", "family", "length", "purpose", "status", "reason", "allocation", "created"]
        fields += ["decided"]


class SpaceRequestCreateSerializer(serializers.Serializer[Any]):
    account = serializers.SlugField(required=False, allow_null=True, default=None)
    family = serializers.ChoiceField(choices=Family.choices)
    length = serializers.IntegerField(min_value=1, max_value=128)
    purpose = serializers.CharField(max_length=500)


class ApproveSerializer(serializers.Serializer[Any]):
    pool = serializers.IntegerField()
    strategy = serializers.ChoiceField(choices=STRATEGIES, default="sparse")
    prefix = serializers.CharField(max_length=64, required=False, allow_null=True, default=None)


class DeclineSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=500)


class UsageSerializer(serializers.Serializer[Usage]):
    prefixes = serializers.IntegerField()
    # As a string: IPv6 counts pass 2**53, where JSON numbers stop being exact in most clients.
    addresses = serializers.CharField()


class UtilisationSerializer(serializers.Serializer[PoolUtilisation]):
    pool = serializers.CharField(source="pool.prefix")
    size = serializers.CharField()
    active = UsageSerializer()
    reserved = UsageSerializer()
    quarantined = UsageSerializer()
    free = UsageSerializer()
    largest_free = serializers.IntegerField(allow_null=True)
    percent_used = serializers.FloatField()


class AccountUsageSerializer(serializers.Serializer[Any]):
    account = serializers.CharField(source="account.name")
    family = serializers.IntegerField()
    active = UsageSerializer()
    reserved = UsageSerializer()


class IpamErrorSerializer(serializers.Serializer[Any]):
    detail = serializers.CharField()
