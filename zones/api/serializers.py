"""Request and response shapes of the v2 API: used to validate input and to describe it in the OpenAPI schema."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from zones.records import MAX_TTL


def _number(maximum: int, help_text: str) -> serializers.IntegerField:
    return serializers.IntegerField(required=False, min_value=0, max_value=maximum, help_text=help_text)


class RecordSerializer(serializers.Serializer[dict[str, Any]]):
    host = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=253,
        help_text="Relative to the zone ('@' or empty for the apex); default: the URL's host.",
    )
    ttl = serializers.IntegerField(required=False, min_value=0, max_value=MAX_TTL)
    type = serializers.CharField(required=False, max_length=10, help_text="Default: the URL's type.")
    mx_priority = _number(65535, "MX preference")
    srv_priority = _number(65535, "SRV priority")
    srv_weight = _number(65535, "SRV weight")
    srv_port = _number(65535, "SRV port")
    sshfp_algorithm = _number(255, "SSHFP algorithm")
    sshfp_type = _number(255, "SSHFP fingerprint type")
    tlsa_usage = _number(255, "TLSA certificate usage")
    tlsa_selector = _number(255, "TLSA selector")
    tlsa_matching = _number(255, "TLSA matching type")
    caa_flags = _number(255, "CAA flags")
    caa_tag = serializers.CharField(required=False, max_length=255, help_text="CAA tag (issue, issuewild, iodef)")

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        # `data` is the v2 field name, but also Serializer.data: declared here so it does not shadow the property.
        fields = super().get_fields()
        fields["data"] = serializers.CharField(
            allow_blank=True,
            trim_whitespace=False,
            max_length=4096,
            help_text="Address, target, TXT text, CAA value...",
        )
        return fields


class RecordsSerializer(serializers.Serializer[dict[str, Any]]):
    records = RecordSerializer(many=True)
    host = serializers.CharField(
        required=False, allow_blank=True, max_length=253, help_text="Host of the records that name none."
    )
    type = serializers.CharField(required=False, max_length=10, help_text="Type of the records that name none.")


# One instance validates every request body: building a serializer deep-copies and binds its declared fields (here
# 3 + 16 per record serializer), which cost more CPU than the write itself. Validation keeps no state on the instance
# (DRF's run_validation and to_internal_value only read `fields`, built once), so threads may share it.
_RECORDS = RecordsSerializer()


def records_validate(data: Any) -> dict[str, Any]:
    """The body's records and defaults, validated as RecordsSerializer(data=data).is_valid(raise_exception=True) would:
    the same values, and the same ValidationError (its detail keyed by field) for an invalid body."""
    return dict(_RECORDS.run_validation(data))


class RecordFormSerializer(RecordSerializer):
    """One record, form-encoded (curl -d data=4.3.2.1): each field once."""


class FilterSerializer(serializers.Serializer[dict[str, Any]]):
    host = serializers.CharField(required=False, allow_blank=True, help_text="Only records at this host.")
    type = serializers.CharField(required=False, help_text="Only records of this type.")

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        fields = super().get_fields()  # `data`: see RecordSerializer
        fields["data"] = serializers.CharField(
            required=False, allow_blank=True, help_text="Only records with this data."
        )
        return fields


class CredentialsSerializer(serializers.Serializer[dict[str, Any]]):
    username = serializers.CharField(required=False, help_text="The API key id.")
    password = serializers.CharField(required=False, help_text="The API key's secret.")


class RecordOutSerializer(RecordSerializer):
    host = serializers.CharField()
    ttl = serializers.IntegerField(min_value=0)
    type = serializers.CharField()


class RecordsOutSerializer(serializers.Serializer[dict[str, Any]]):
    records = RecordOutSerializer(many=True)


class ZonesSerializer(serializers.Serializer[dict[str, Any]]):
    zones = serializers.ListField(child=serializers.CharField())


class ChangeCountsSerializer(serializers.Serializer[dict[str, Any]]):
    records_added = serializers.IntegerField(required=False)
    records_removed = serializers.IntegerField(required=False)
    message = serializers.CharField()


class MessageSerializer(serializers.Serializer[dict[str, Any]]):
    message = serializers.CharField()


class ErrorSerializer(serializers.Serializer[dict[str, Any]]):
    error = serializers.CharField(required=False)

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        # `errors` is the v2 field name, but also Serializer.errors: declared here so it does not shadow the property.
        fields = super().get_fields()
        fields["errors"] = serializers.ListField(child=serializers.CharField(), required=False)
        return fields


class TokenSerializer(serializers.Serializer[dict[str, Any]]):
    access_token = serializers.CharField()
    token_type = serializers.CharField()
    expires_in = serializers.IntegerField()


class LoginSerializer(serializers.Serializer[dict[str, Any]]):
    grant_type = serializers.ChoiceField(choices=["client_credentials"])
    scope = serializers.CharField(
        required=False, help_text="Accepted (RFC 6749 §3.3): a token can do what its key can."
    )


class LoginErrorSerializer(serializers.Serializer[dict[str, Any]]):
    error = serializers.CharField()
    error_description = serializers.CharField(required=False)
