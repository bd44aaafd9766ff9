"""GET/PUT /dns/v2/zones/{zone}/dnssec: a ctrlpanel extension beside v2 that reads and turns a zone's DNSSEC switch.

Scoped like the record writes: any key that sees the zone may read; turning it needs a key that may write and is not
restricted to some hosts or types (signing touches the whole zone). No query parameter is taken, and a body field
other than `enabled` is a 400.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.selectors import OutOfScope, apikey_restricted_to_records
from zones.api.selection import RequestError
from zones.api.views import _ERRORS, V2View
from zones.dnssec import DnssecError, DnssecStatus, zone_dnssec_set, zone_dnssec_status


class DnssecKeySerializer(serializers.Serializer[dict[str, Any]]):
    key_tag = serializers.IntegerField()
    algorithm = serializers.IntegerField(help_text="13: ECDSAP256SHA256")
    algorithm_name = serializers.CharField()
    flags = serializers.IntegerField(help_text="257: a key the parent's DS points at (SEP)")
    dnskey = serializers.CharField(help_text="DNSKEY data, for registrars that take the key itself")
    ds = serializers.ListField(child=serializers.CharField(), help_text="DS data: SHA-256, then SHA-384")


class DnssecSerializer(serializers.Serializer[dict[str, Any]]):
    zone = serializers.CharField()
    enabled = serializers.BooleanField()
    state = serializers.ChoiceField(choices=["unsigned", "signing", "waiting_ds", "secure", "bogus", "removing"])
    state_label = serializers.CharField()
    explanation = serializers.CharField()
    keys = DnssecKeySerializer(many=True)
    ds = serializers.ListField(child=serializers.CharField(), help_text="DS records for the registrar, one per line")
    parent_ds = serializers.ListField(child=serializers.CharField(), help_text="What the parent had at the last check")
    checked = serializers.DateTimeField(allow_null=True)
    last_error = serializers.CharField()


class DnssecSwitchSerializer(serializers.Serializer[dict[str, Any]]):
    enabled = serializers.BooleanField(help_text="true: sign the zone; false: take it back to unsigned, safely")


def _body(status: DnssecStatus) -> dict[str, Any]:
    return {
        "zone": status.zone,
        "enabled": status.enabled,
        "state": status.state,
        "state_label": status.label,
        "explanation": status.explanation,
        "keys": [
            {
                "key_tag": key.key_tag,
                "algorithm": key.algorithm,
                "algorithm_name": key.algorithm_name,
                "flags": key.flags,
                "dnskey": key.dnskey,
                "ds": key.ds,
            }
            for key in status.keys
        ],
        "ds": status.ds_records,
        "parent_ds": status.parent_ds,
        "checked": status.checked.isoformat() if status.checked else None,
        "last_error": status.last_error,
    }


@extend_schema(tags=["dnssec"])
class DnssecView(V2View):
    @extend_schema(
        operation_id="dnssec_read",
        summary="Read the zone's DNSSEC state, keys and DS records",
        responses={200: DnssecSerializer, **_ERRORS},
    )
    def get(self, request: Request, zone: str) -> Response:
        found = self.zone(request, zone)
        _no_parameters(request)
        return Response(_body(zone_dnssec_status(zone=found)))

    @extend_schema(
        operation_id="dnssec_set",
        summary="Turn the zone's DNSSEC signing on or off",
        request=DnssecSwitchSerializer,
        responses={200: DnssecSerializer, **_ERRORS},
    )
    def put(self, request: Request, zone: str) -> Response:
        found = self.zone(request, zone)
        self.require_write(request)
        _no_parameters(request)
        if apikey_restricted_to_records(self.key(request)):
            raise OutOfScope("this API key is restricted to some hosts or types and cannot switch DNSSEC")
        enabled = _enabled(request.data)
        try:
            status = zone_dnssec_set(zone=found, enabled=enabled, actor=self.actor(request))
        except DnssecError as exc:
            raise RequestError([str(exc)]) from None
        return Response(_body(status))


def _no_parameters(request: Request) -> None:
    if request.query_params:
        raise RequestError([f"unknown parameter {name!r}" for name in sorted(request.query_params)])


def _enabled(data: Any) -> bool:
    if not isinstance(data, dict):
        raise RequestError(['the body must be a JSON object: {"enabled": true} or {"enabled": false}'])
    unknown = sorted(set(data) - {"enabled"})
    if unknown:
        raise RequestError([f"unknown field {name!r}" for name in unknown])
    serializer = DnssecSwitchSerializer(data=data)
    serializer.is_valid(raise_exception=True)
    return bool(serializer.validated_data["enabled"])
