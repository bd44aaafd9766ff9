"""Records between the v2 JSON shape and the canonical presentation text that zone_apply stores.

The v2 shape keeps the type's main value in `data` (the address, target, exchange, TXT text, CAA value,
fingerprint...) and its numbers in named fields (`mx_priority`, `srv_port`, ...), so clients never parse
presentation syntax. TXT `data` is the plain text: its strings concatenated, without quotes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import dns.exception
import dns.name
import dns.rdata
import dns.rdataclass

from zones import records
from zones.records import RecordError

ApiRecord = dict[str, Any]

# The numeric fields of each type, in presentation order before the `data` field.
_NUMBERS: dict[str, tuple[str, ...]] = {
    "MX": ("mx_priority",),
    "SRV": ("srv_priority", "srv_weight", "srv_port"),
    "SSHFP": ("sshfp_algorithm", "sshfp_type"),
    "TLSA": ("tlsa_usage", "tlsa_selector", "tlsa_matching"),
}
NUMBER_FIELDS: tuple[str, ...] = (
    "mx_priority",
    "srv_priority",
    "srv_weight",
    "srv_port",
    "sshfp_algorithm",
    "sshfp_type",
)
NUMBER_FIELDS += ("tlsa_usage", "tlsa_selector", "tlsa_matching", "caa_flags")
# The fields beside host, ttl, type and data that each type has.
_FIELDS: dict[str, tuple[str, ...]] = {**_NUMBERS, "CAA": ("caa_flags", "caa_tag")}
# Types whose `data` is a domain name.
_NAME_DATA = frozenset({"CNAME", "ANAME", "DNAME", "NS", "PTR", "MX", "SRV"})


def content_from_api(rdtype: str, record: Mapping[str, Any]) -> str:
    """Presentation text for one v2 record of type `rdtype` (already upper-case); RecordError if a field is missing."""
    data = record.get("data")
    if not isinstance(data, str):
        raise RecordError("data is required")
    if rdtype == "TXT":
        return records.txt_from_plain(data)
    if rdtype == "CAA":
        flags = _number(record, "caa_flags", default=0)
        tag = record.get("caa_tag")
        if not isinstance(tag, str) or not tag:
            raise RecordError("caa_tag is required for CAA")
        return f"{flags} {tag} {_quoted(data)}"
    numbers = [str(_number(record, name)) for name in _NUMBERS.get(rdtype, ())]
    return " ".join([*numbers, data])


def content_to_api(host: str, ttl: int, rdtype: str, content: str) -> ApiRecord:
    """The v2 JSON object for one stored record."""
    record: ApiRecord = {"host": host, "ttl": ttl, "type": rdtype}
    formatter = _FORMATTERS.get(rdtype)
    if formatter is None:
        record["data"] = content
        return record
    rdata = dns.rdata.from_text(dns.rdataclass.IN, rdtype, content)
    record.update(formatter(rdata))
    return record


def data_of(rdtype: str, content: str) -> str:
    """The v2 `data` of one stored record (what a `data=` filter is compared with)."""
    return str(content_to_api("@", 0, rdtype, content)["data"])


def data_equal(rdtype: str, data: str, wanted: str, origin: dns.name.Name) -> bool:
    """Whether a record's v2 `data` is the `data=` a request filters on. Equal text, or for data that is a domain
    name, the same name (a relative name is taken relative to the zone, letter case does not count)."""
    if data == wanted:
        return True
    if rdtype not in _NAME_DATA or not wanted:
        return False
    try:
        return bool(dns.name.from_text(wanted, origin) == dns.name.from_text(data, origin))
    except dns.exception.DNSException:
        return False


def fields_check(rdtype: str, record: Mapping[str, Any]) -> None:
    """RecordError naming a field the record's type has none of (mx_priority on an A record): never ignored."""
    allowed = _FIELDS.get(rdtype, ())
    stray = sorted(name for name in record if name in (*NUMBER_FIELDS, "caa_tag") and name not in allowed)
    if stray:
        raise RecordError(f"{stray[0]} is not a field of {rdtype} records")


def _number(record: Mapping[str, Any], name: str, default: int | None = None) -> int:
    value = record.get(name, default)
    if value is None:
        raise RecordError(f"{name} is required")
    if isinstance(value, bool) or not isinstance(value, int):
        raise RecordError(f"{name} must be a whole number")
    return int(value)


def _quoted(text: str) -> str:
    escaped = "".join(f"\\{ord(ch):03d}" if ord(ch) < 0x20 else ch for ch in text.replace("\\", "\\\\"))
    return '"' + escaped.replace('"', '\\"') + '"'


def _text(value: bytes) -> str:
    return value.decode("utf-8", "backslashreplace")


def _mx(rdata: Any) -> dict[str, Any]:
    return {"data": rdata.exchange.to_text(), "mx_priority": rdata.preference}


def _srv(rdata: Any) -> dict[str, Any]:
    return {
        "data": rdata.target.to_text(),
        "srv_priority": rdata.priority,
        "srv_weight": rdata.weight,
        "srv_port": rdata.port,
    }


def _txt(rdata: Any) -> dict[str, Any]:
    return {"data": "".join(_text(s) for s in rdata.strings)}


def _caa(rdata: Any) -> dict[str, Any]:
    return {"data": _text(rdata.value), "caa_flags": rdata.flags, "caa_tag": _text(rdata.tag)}


def _sshfp(rdata: Any) -> dict[str, Any]:
    return {"data": rdata.fingerprint.hex(), "sshfp_algorithm": rdata.algorithm, "sshfp_type": rdata.fp_type}


def _tlsa(rdata: Any) -> dict[str, Any]:
    return {
        "data": rdata.cert.hex(),
        "tlsa_usage": rdata.usage,
        "tlsa_selector": rdata.selector,
        "tlsa_matching": rdata.mtype,
    }


_FORMATTERS: dict[str, Callable[[Any], dict[str, Any]]] = {
    "MX": _mx,
    "SRV": _srv,
    "TXT": _txt,
    "CAA": _caa,
    "SSHFP": _sshfp,
    "TLSA": _tlsa,
}
