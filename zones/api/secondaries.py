"""An extension beside the v2 API: a zone's own secondaries (zones/secondaries.py).

    GET    /dns/v2/zones/{zone}/secondaries        the secondaries, with the serial each served when last asked
    POST   /dns/v2/zones/{zone}/secondaries        add one: {"address", "port"?, "label"?}; 201 with its TSIG secret
    DELETE /dns/v2/zones/{zone}/secondaries/{id}   remove one

The key scopes are those of every write: a read-only key may list, not add or remove; a key that sees only some hosts
or types may do neither, since a secondary receives the whole zone by AXFR. No query parameter is taken and a body
field that is not implemented is a 400, as everywhere in v2.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.selectors import apikey_restricted_to_records
from zones.api.views import _ERRORS, V2View
from zones.models import Secondary, Zone
from zones.secondaries import (
    SecondaryError,
    SecondaryStatus,
    config_snippets,
    secondaries_status,
    secondary_add,
    secondary_remove,
)

BODY_FIELDS = frozenset({"address", "port", "label"})


class SecondaryInSerializer(serializers.Serializer[dict[str, Any]]):
    address = serializers.CharField(max_length=45, help_text="IPv4 or IPv6 address; NOTIFY goes there")
    port = serializers.IntegerField(required=False, default=53, min_value=1, max_value=65535)

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        # `label` is the field's name, but also Serializer.label: declared here so it does not shadow the attribute.
        fields = super().get_fields()
        fields["label"] = serializers.CharField(required=False, default="", allow_blank=True, max_length=100)
        return fields


class SecondaryOutSerializer(serializers.Serializer[dict[str, Any]]):
    id = serializers.IntegerField()
    address = serializers.CharField()
    port = serializers.IntegerField()
    tsig_name = serializers.CharField(help_text="The TSIG key the secondary transfers with")
    tsig_algorithm = serializers.CharField()
    serial = serializers.IntegerField(allow_null=True, help_text="The SOA serial it served when last asked")
    checked = serializers.DateTimeField(allow_null=True, help_text="When it was last asked")
    primary_serial = serializers.IntegerField(help_text="The serial the hidden primary serves")
    current = serializers.BooleanField(help_text="It served the primary's serial when last asked")

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        fields = super().get_fields()
        fields["label"] = serializers.CharField()  # declared here for the reason SecondaryInSerializer gives
        return fields


class SecondariesOutSerializer(serializers.Serializer[dict[str, Any]]):
    secondaries = SecondaryOutSerializer(many=True)


class SecondaryCreatedSerializer(SecondaryOutSerializer):
    tsig_secret = serializers.CharField(help_text="Base64; shown in this answer only")
    snippets = serializers.DictField(
        child=serializers.CharField(), help_text="The secondary's configuration: bind, knot, nsd, powerdns"
    )


def _item(status: SecondaryStatus) -> dict[str, Any]:
    secondary = status.secondary
    return {
        "id": secondary.pk,
        "address": secondary.address,
        "port": secondary.port,
        "label": secondary.label,
        "tsig_name": secondary.tsig_name,
        "tsig_algorithm": "hmac-sha256",
        "serial": status.serial,
        "checked": secondary.checked.isoformat() if secondary.checked else None,
        "primary_serial": status.primary_serial,
        "current": status.current,
    }


class _SecondaryWrites(V2View):
    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        if request.query_params:
            names = ", ".join(repr(name) for name in sorted(request.query_params))
            raise exceptions.ValidationError([f"unknown query parameter {names} (this endpoint takes none)"])

    def require_whole_zone_write(self, request: Request) -> None:
        self.require_write(request)
        if apikey_restricted_to_records(self.key(request)):
            raise exceptions.PermissionDenied("a secondary receives the whole zone: this API key sees only part of it")


@extend_schema(tags=["secondaries"])
class SecondariesView(_SecondaryWrites):
    @extend_schema(
        summary="List the zone's own secondaries", request=None, responses={200: SecondariesOutSerializer, **_ERRORS}
    )
    def get(self, request: Request, zone: str) -> Response:
        z = self.zone(request, zone)
        _empty(request.data)
        return Response({"secondaries": [_item(s) for s in secondaries_status(zone=z)]})

    @extend_schema(
        summary="Add a secondary: it may transfer the zone with a new TSIG key and is NOTIFYed of changes",
        request=SecondaryInSerializer,
        responses={201: SecondaryCreatedSerializer, **_ERRORS},
    )
    def post(self, request: Request, zone: str) -> Response:
        z = self.zone(request, zone)
        self.require_whole_zone_write(request)
        fields = _body(request.data)
        try:
            added = secondary_add(
                zone=z,
                address=fields["address"],
                port=fields["port"],
                label=fields["label"],
                actor=self.actor(request),
            )
        except SecondaryError as exc:
            raise exceptions.ValidationError([str(exc)]) from None
        [created] = [s for s in secondaries_status(zone=z) if s.secondary.pk == added.secondary.pk]
        body = _item(created) | {
            "tsig_secret": added.secret,
            "snippets": config_snippets(secondary=added.secondary, secret=added.secret),
        }
        return Response(body, status=status.HTTP_201_CREATED)


@extend_schema(tags=["secondaries"])
class SecondaryView(_SecondaryWrites):
    @extend_schema(
        summary="Remove a secondary: its key is refused and it is no longer notified",
        request=None,
        parameters=[OpenApiParameter("secondary", int, OpenApiParameter.PATH, description="The secondary's id")],
        responses={204: None, **_ERRORS},
    )
    def delete(self, request: Request, zone: str, secondary: str) -> Response:
        z = self.zone(request, zone)
        self.require_whole_zone_write(request)
        _empty(request.data)
        row = _secondary(z, secondary)
        try:
            secondary_remove(secondary=row, actor=self.actor(request))
        except SecondaryError:
            raise exceptions.NotFound(f"no secondary {secondary} of {z.name}") from None
        return Response(status=status.HTTP_204_NO_CONTENT)


def _empty(data: Any) -> None:
    if data:
        raise exceptions.ValidationError(["this request takes no body"])


def _body(data: Any) -> dict[str, Any]:
    if not isinstance(data, Mapping):
        raise exceptions.ValidationError(["the body must be a JSON object with address, and optionally port and label"])
    unknown = sorted(str(name) for name in data if name not in BODY_FIELDS)
    if unknown:
        raise exceptions.ValidationError(
            [f"unknown body field {name!r} (this request takes address, port and label)" for name in unknown]
        )
    serializer = SecondaryInSerializer(data=dict(data))
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _secondary(zone: Zone, secondary_id: str) -> Secondary:
    # The route takes any text, so that an id that is no number is this API's JSON 404, not the site's HTML one.
    row = None
    if secondary_id.isascii() and secondary_id.isdigit():
        row = Secondary.objects.filter(zone=zone, pk=int(secondary_id)).select_related("zone").first()
    if row is None:
        raise exceptions.NotFound(f"no secondary {secondary_id} of {zone.name}")
    return row
