"""zone_restore brings back an earlier version through zone_apply; zone_import_diff previews an import."""

from __future__ import annotations

import pytest

from accounts.actors import Actor
from zones.models import Change, Zone
from zones.selectors import zone_import_diff, zone_records
from zones.services import Add, Delete, Replace, ZoneError, zone_apply, zone_restore


def _records(zone: Zone) -> set[tuple[str, str, int, str]]:
    return {(r.name, r.type, r.ttl, r.content) for r in zone_records(zone=zone)}


def test_restore_brings_back_every_rrset_as_it_was_at_that_version(zone: Zone, customer_actor: Actor) -> None:
    zone_apply(
        zone=zone, changes=[Add("www", "A", "192.0.2.1", 300), Add("mail", "A", "192.0.2.9")], actor=customer_actor
    )
    version, wanted = zone.version, _records(zone)
    zone_apply(zone=zone, changes=[Replace("www", "A", ("192.0.2.2", "192.0.2.3"), 60)], actor=customer_actor)
    zone_apply(
        zone=zone, changes=[Delete("mail", "A", "192.0.2.9"), Add("new", "TXT", '"hello"')], actor=customer_actor
    )

    result = zone_restore(zone=zone, version=version, actor=customer_actor)

    assert result.ok
    assert _records(zone) == wanted
    assert zone.version == version + 3  # the restore is a change of its own, journaled like any other
    latest = Change.objects.get(zone=zone, version=zone.version)
    assert latest.actor == "customer"
    assert {(r["name"], r["type"]) for r in latest.before} == {("www", "A"), ("new", "TXT")}


def test_restore_to_the_first_version_leaves_the_provider_ns_set(zone: Zone, customer_actor: Actor) -> None:
    zone_apply(zone=zone, changes=[Add("www", "A", "192.0.2.1")], actor=customer_actor)
    assert zone_restore(zone=zone, version=1, actor=customer_actor).ok
    assert {(r.name, r.type) for r in zone_records(zone=zone)} == {("@", "NS")}


def test_restore_of_the_current_or_a_future_version_is_refused(zone: Zone, customer_actor: Actor) -> None:
    for version in (zone.version, zone.version + 1, -1):
        with pytest.raises(ZoneError):
            zone_restore(zone=zone, version=version, actor=customer_actor)


def test_import_diff_lists_added_changed_and_removed_rrsets_only(zone: Zone, customer_actor: Actor) -> None:
    zone_apply(
        zone=zone, changes=[Add("www", "A", "192.0.2.1", 300), Add("old", "A", "192.0.2.5", 300)], actor=customer_actor
    )
    text = "$TTL 300\nwww IN A 192.0.2.1\nwww IN A 192.0.2.2\nnew IN MX 10 mail\n@ IN NS ns.elsewhere.\n"

    diff = {(d.name, d.type): d for d in zone_import_diff(zone=zone, text=text)}

    assert set(diff) == {("www", "A"), ("old", "A"), ("new", "MX")}
    assert diff["www", "A"].kind == "change"
    assert diff["www", "A"].after == ["192.0.2.1", "192.0.2.2"]
    assert diff["old", "A"].kind == "delete"
    assert diff["new", "MX"].kind == "add"
    assert diff["new", "MX"].after == ["10 mail.example.com."]  # canonical, as zone_apply stores it
    assert zone.version == Zone.objects.get(pk=zone.pk).version  # a preview changes nothing
