from __future__ import annotations

from zones.models import Change


def test_replace_creates_the_record_and_journals_one_change(zone, legacy):
    status, body = legacy("REPLACE myhost 300 A 1.2.3.4")
    assert (status, body) == (200, "REPLACE myhost 300 A 1.2.3.4\n")
    status, body = legacy("LIST", showall="0")
    assert "myhost 300 A 1.2.3.4 \n" in body
    assert Change.objects.filter(zone=zone).count() == 2  # creation (apex NS) and the REPLACE
