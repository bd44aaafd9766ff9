"""DNAME (RFC 6672): one per name, never beside a CNAME, and nothing below it. Knot refuses an UPDATE that puts data
below a DNAME, so zone_apply refuses it first: a zone the nameserver will not take would never be delivered again."""

from __future__ import annotations

from zones.selectors import zone_records
from zones.services import Add, Delete, Operation, Replace, zone_apply


def rows(zone):
    return {(r.name, r.type, r.content) for r in zone_records(zone=zone) if r.type != "NS"}


def test_a_dname_is_stored_and_one_per_name(zone, cli_actor):
    assert zone_apply(zone=zone, changes=[Add("old", "DNAME", "new.example.net.")], actor=cli_actor).ok
    second = zone_apply(zone=zone, changes=[Add("old", "DNAME", "other.example.net.")], actor=cli_actor)
    assert second.errors == ["a name can have only one DNAME record"]
    assert zone_apply(zone=zone, changes=[Add("old", "CNAME", "x.example.net.")], actor=cli_actor).errors == [
        "a CNAME cannot share its name with other data"
    ]
    assert rows(zone) == {("old", "DNAME", "new.example.net.")}


def test_no_name_may_be_added_below_a_dname(zone, cli_actor):
    zone_apply(zone=zone, changes=[Add("old", "DNAME", "new.example.net.")], actor=cli_actor)
    for name in ("www.old", "a.b.old"):
        result = zone_apply(zone=zone, changes=[Add(name, "A", "192.0.2.1")], actor=cli_actor)
        assert result.errors == [f"{name} is below the DNAME at old: nothing may be below one"]
    assert zone_apply(zone=zone, changes=[Add("old", "TXT", '"beside it is fine"')], actor=cli_actor).ok
    assert zone_apply(zone=zone, changes=[Add("notold", "A", "192.0.2.1")], actor=cli_actor).ok


def test_a_dname_cannot_be_added_above_existing_names(zone, cli_actor):
    zone_apply(zone=zone, changes=[Add("www.old", "A", "192.0.2.1")], actor=cli_actor)
    result = zone_apply(zone=zone, changes=[Add("old", "DNAME", "new.example.net.")], actor=cli_actor)
    assert result.errors == ["a DNAME cannot have names below it, and www.old is"]
    assert rows(zone) == {("www.old", "A", "192.0.2.1")}


def test_one_change_set_may_swap_a_subtree_for_a_dname_in_either_order(zone, cli_actor):
    zone_apply(zone=zone, changes=[Add("www.old", "A", "192.0.2.1")], actor=cli_actor)
    changes: list[Operation] = [Add("old", "DNAME", "new.example.net."), Delete("www.old", "A", "192.0.2.1")]
    assert zone_apply(zone=zone, changes=changes, actor=cli_actor).ok
    assert rows(zone) == {("old", "DNAME", "new.example.net.")}
    back: list[Operation] = [Add("www.old", "A", "192.0.2.1"), Replace("old", "DNAME", ())]
    assert zone_apply(zone=zone, changes=back, actor=cli_actor).ok
    assert rows(zone) == {("www.old", "A", "192.0.2.1")}


def test_a_dname_at_the_apex_allows_nothing_but_the_apex(zone, cli_actor):
    assert zone_apply(zone=zone, changes=[Add("@", "DNAME", "example.net.")], actor=cli_actor).ok
    assert zone_apply(zone=zone, changes=[Add("@", "MX", "10 mx.example.net.")], actor=cli_actor).ok
    result = zone_apply(zone=zone, changes=[Add("www", "A", "192.0.2.1")], actor=cli_actor)
    assert result.errors == ["www is below the DNAME at @: nothing may be below one"]
