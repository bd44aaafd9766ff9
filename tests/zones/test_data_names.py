"""Names in record data meet the owner names' IDNA check (finding 9 of issue 11: `NS xn--zz` was accepted)."""

from __future__ import annotations

import dns.name
import pytest

from zones.records import RecordError, content_canonical

ORIGIN = dns.name.from_text("example.com.")


@pytest.mark.parametrize(
    ("rdtype", "text"),
    [("NS", "xn--zz."), ("CNAME", "www.xn--zz.example."), ("MX", "10 xn--a."), ("SRV", "0 0 443 XN--ZZ.example.")],
)
def test_an_invalid_a_label_in_record_data_is_refused(rdtype: str, text: str) -> None:
    with pytest.raises(RecordError, match="not a valid IDNA A-label"):
        content_canonical(rdtype, text, ORIGIN)


def test_a_valid_a_label_in_record_data_is_kept() -> None:
    assert content_canonical("NS", "ns1.xn--bcher-kva.example.", ORIGIN) == "ns1.xn--bcher-kva.example."
