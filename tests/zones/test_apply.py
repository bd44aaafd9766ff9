"""zone_apply: the rules every change set must pass, all or nothing, and what a committed set leaves behind."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from accounts.actors import Actor, Interface
from tests.zones.conftest import Apply, errors, records_at, zone_state
from zones.models import Change, Nameserver, Zone
from zones.services import Add, Delete, Replace, zone_apply, zone_create

IDENTICAL = "Can't have multiple identical records"
NO_SUCH = "No such record"


def refresh(zone: Zone) -> Zone:
    zone.refresh_from_db()
    return zone


# --- ADD, DELETE, REPLACE -------------------------------------------------------------------------------------------


def test_adding_a_record_already_present_is_refused(zone: Zone, apply: Apply) -> None:
    assert apply(Add("www", "A", "192.0.2.1")).ok
    assert errors(apply(Add("www", "A", "192.0.2.1"))) == [IDENTICAL]


def test_adding_a_record_present_in_another_spelling_is_refused(zone: Zone, apply: Apply) -> None:
    assert apply(Add("www", "AAAA", "2001:db8::1")).ok
    assert errors(apply(Add("WWW.example.com.", "aaaa", "2001:DB8:0::1"))) == [IDENTICAL]


def test_adding_the_same_record_twice_in_one_call_refuses_the_second(zone: Zone, apply: Apply) -> None:
    result = apply(Add("www", "A", "192.0.2.1"), Add("www", "A", "192.0.2.1"))
    assert errors(result) == [None, IDENTICAL]
    assert records_at(zone, "www", "A") == []


def test_deleting_an_absent_record_fails_with_no_such_record(zone: Zone, apply: Apply) -> None:
    apply(Add("www", "A", "192.0.2.1"))
    assert errors(apply(Delete("www", "A", "192.0.2.2"))) == [NO_SUCH]
    assert errors(apply(Delete("nowhere", "A", "192.0.2.1"))) == [NO_SUCH]


def test_deleting_one_record_leaves_the_others_of_the_rrset(zone: Zone, apply: Apply) -> None:
    apply(Add("www", "A", "192.0.2.1"), Add("www", "A", "192.0.2.2"))
    assert apply(Delete("www", "A", "192.0.2.1")).ok
    assert records_at(zone, "www", "A") == ["192.0.2.2"]


def test_deleting_the_last_record_removes_the_rrset(zone: Zone, apply: Apply) -> None:
    apply(Add("www", "A", "192.0.2.1"))
    assert apply(Delete("www", "A", "192.0.2.1")).ok
    assert ("www", "A") not in zone_state(zone)


def test_replace_creates_an_rrset_that_did_not_exist(zone: Zone, apply: Apply) -> None:
    assert apply(Replace("www", "A", ("192.0.2.1", "192.0.2.2"), ttl=300)).ok
    assert zone_state(zone)[("www", "A")] == (300, ["192.0.2.1", "192.0.2.2"])


def test_replace_makes_the_rrset_exactly_the_records_given(zone: Zone, apply: Apply) -> None:
    apply(Add("www", "A", "192.0.2.1"), Add("www", "A", "192.0.2.2"))
    assert apply(Replace("www", "A", ("192.0.2.2", "192.0.2.3"))).ok
    assert records_at(zone, "www", "A") == ["192.0.2.2", "192.0.2.3"]


def test_replace_with_no_records_removes_the_rrset(zone: Zone, apply: Apply) -> None:
    apply(Add("www", "A", "192.0.2.1"))
    assert apply(Replace("www", "A", ())).ok
    assert ("www", "A") not in zone_state(zone)


def test_replace_with_no_records_of_an_absent_rrset_changes_nothing(zone: Zone, apply: Apply) -> None:
    result = apply(Replace("nowhere", "A", ()))
    assert result.ok
    assert result.change is None


# --- TTL --------------------------------------------------------------------------------------------------------


def test_a_ttl_given_with_add_sets_the_ttl_of_the_whole_rrset(zone: Zone, apply: Apply) -> None:
    apply(Add("www", "A", "192.0.2.1", ttl=600))
    apply(Add("www", "A", "192.0.2.2", ttl=60))
    assert zone_state(zone)[("www", "A")] == (60, ["192.0.2.1", "192.0.2.2"])


def test_add_without_a_ttl_keeps_the_rrset_ttl(zone: Zone, apply: Apply) -> None:
    apply(Add("www", "A", "192.0.2.1", ttl=600))
    apply(Add("www", "A", "192.0.2.2"))
    assert zone_state(zone)[("www", "A")][0] == 600


def test_a_new_rrset_without_a_ttl_gets_the_zone_default(zone: Zone, apply: Apply) -> None:
    apply(Add("www", "A", "192.0.2.1"), Replace("mail", "A", ("192.0.2.9",)))
    state = zone_state(zone)
    assert state[("www", "A")][0] == state[("mail", "A")][0] == zone.default_ttl


def test_replace_with_the_same_records_and_a_new_ttl_changes_only_the_ttl(zone: Zone, apply: Apply) -> None:
    apply(Replace("www", "A", ("192.0.2.1",), ttl=600))
    result = apply(Replace("www", "A", ("192.0.2.1",), ttl=60))
    assert result.change is not None
    assert zone_state(zone)[("www", "A")] == (60, ["192.0.2.1"])
    assert result.change.before == [{"name": "www", "type": "A", "ttl": 600, "records": ["192.0.2.1"]}]
    assert result.change.after == [{"name": "www", "type": "A", "ttl": 60, "records": ["192.0.2.1"]}]


@pytest.mark.parametrize("ttl", [-1, 2**31, "abc", True, 1.5])
def test_ttls_outside_the_bounds_are_refused(zone: Zone, apply: Apply, ttl: object) -> None:
    result = apply(Add("www", "A", "192.0.2.1", ttl=ttl))  # type: ignore[arg-type]
    assert "TTL" in (errors(result)[0] or "")
    assert records_at(zone, "www", "A") == []


def test_a_ttl_below_the_configured_minimum_is_refused(zone: Zone, apply: Apply, settings) -> None:
    settings.ZONE_MIN_TTL = 60
    assert "below the minimum of 60" in (errors(apply(Replace("www", "A", ("192.0.2.1",), ttl=59)))[0] or "")
    assert apply(Replace("www", "A", ("192.0.2.1",), ttl=60)).ok


# --- CNAME, ANAME, DS, NS, SOA --------------------------------------------------------------------------------------


def test_a_cname_beside_existing_data_is_refused(zone: Zone, apply: Apply) -> None:
    apply(Add("www", "A", "192.0.2.1"))
    assert "CNAME cannot share" in (errors(apply(Add("www", "CNAME", "target.example.net.")))[0] or "")


def test_data_beside_an_existing_cname_is_refused(zone: Zone, apply: Apply) -> None:
    apply(Add("www", "CNAME", "target.example.net."))
    for op in (Add("www", "A", "192.0.2.1"), Add("www", "TXT", '"x"'), Replace("www", "MX", ("10 mx.example.net.",))):
        assert "CNAME cannot share" in (errors(apply(op))[0] or "")
    assert zone_state(zone).keys() >= {("www", "CNAME")}
    assert ("www", "A") not in zone_state(zone)


def test_a_cname_and_other_data_in_one_call_are_refused(zone: Zone, apply: Apply) -> None:
    result = apply(Add("www", "CNAME", "target.example.net."), Add("www", "A", "192.0.2.1"))
    assert errors(result)[0] is None
    assert "CNAME cannot share" in (errors(result)[1] or "")
    assert zone_state(zone).keys() == {("@", "NS")}


def test_data_can_become_a_cname_when_the_same_call_removes_the_data_first(zone: Zone, apply: Apply) -> None:
    apply(Add("www", "A", "192.0.2.1"), Add("www", "AAAA", "2001:db8::1"))
    result = apply(Replace("www", "A", ()), Replace("www", "AAAA", ()), Add("www", "CNAME", "target.example.net."))
    assert result.ok
    assert {key for key in zone_state(zone) if key[0] == "www"} == {("www", "CNAME")}


def test_a_name_has_at_most_one_cname(zone: Zone, apply: Apply) -> None:
    apply(Add("www", "CNAME", "a.example.net."))
    assert "only one CNAME" in (errors(apply(Add("www", "CNAME", "b.example.net.")))[0] or "")
    assert "only one CNAME" in (errors(apply(Replace("alias", "CNAME", ("a.example.net.", "b.example.net."))))[0] or "")


def test_a_cname_can_be_replaced_by_another(zone: Zone, apply: Apply) -> None:
    apply(Add("www", "CNAME", "a.example.net."))
    assert apply(Replace("www", "CNAME", ("b.example.net.",))).ok
    assert records_at(zone, "www", "CNAME") == ["b.example.net."]


@pytest.mark.parametrize(("rdtype", "data"), [("CNAME", "target.example.net."), ("DS", "1 13 2 " + "ab" * 32)])
def test_cname_and_ds_are_refused_at_the_apex(zone: Zone, apply: Apply, cli_actor: Actor, rdtype: str, data: str):
    for actor in (None, cli_actor):  # staff too: the DNS forbids it, not the provider
        reason = errors(apply(Add("@", rdtype, data), actor=actor))[0] or ""
        assert f"{rdtype} record cannot be at the zone apex" in reason


def test_a_ds_below_the_apex_is_accepted_for_a_delegation(zone: Zone, apply: Apply) -> None:
    assert apply(Add("sub", "NS", "ns.example.net."), Add("sub", "DS", "1 13 2 " + "ab" * 32)).ok


def test_an_aname_at_the_apex_is_accepted(zone: Zone, apply: Apply) -> None:
    assert apply(Add("@", "ANAME", "lb.example.net."), Add("@", "MX", "10 mail.example.net.")).ok


def test_an_aname_cannot_share_its_name_with_a_or_aaaa_in_either_order(zone: Zone, apply: Apply) -> None:
    apply(Add("@", "ANAME", "lb.example.net."), Add("www", "AAAA", "2001:db8::1"))
    assert "ANAME cannot share" in (errors(apply(Add("@", "A", "192.0.2.1")))[0] or "")
    assert "ANAME cannot share" in (errors(apply(Add("www", "ANAME", "lb.example.net.")))[0] or "")


def test_a_name_has_at_most_one_aname(zone: Zone, apply: Apply) -> None:
    apply(Add("@", "ANAME", "a.example.net."))
    assert "only one ANAME" in (errors(apply(Add("@", "ANAME", "b.example.net.")))[0] or "")


@pytest.mark.parametrize(
    "op",
    [
        Add("@", "NS", "ns9.example.net."),
        Delete("@", "NS", "ns1.ctrlpanel.test."),
        Replace("@", "NS", ("ns9.example.net.",)),
        Replace("@", "NS", ()),
    ],
)
def test_the_apex_ns_set_belongs_to_the_provider(zone: Zone, apply: Apply, op: Add | Delete | Replace) -> None:
    assert "apex NS records belong to the provider" in (errors(apply(op))[0] or "")
    assert records_at(zone, "@", "NS") == ["ns1.ctrlpanel.test.", "ns2.ctrlpanel.test."]


def test_staff_may_change_the_apex_ns_set(zone: Zone, apply: Apply, cli_actor: Actor) -> None:
    assert apply(Replace("@", "NS", ("ns9.example.net.",)), actor=cli_actor).ok
    assert records_at(zone, "@", "NS") == ["ns9.example.net."]


def test_ns_records_below_the_apex_delegate_and_are_the_customers(zone: Zone, apply: Apply) -> None:
    assert apply(Add("sub", "NS", "ns1.example.net."), Add("sub", "NS", "ns2.example.net.")).ok


def test_soa_changes_are_refused(zone: Zone, apply: Apply, cli_actor: Actor) -> None:
    op = Replace("@", "SOA", ("ns. host. 1 2 3 4 5",))
    assert "SOA record belongs to the provider" in (errors(apply(op, actor=cli_actor))[0] or "")


def test_names_outside_the_zone_are_refused(zone: Zone, apply: Apply) -> None:
    assert "not inside the zone" in (errors(apply(Add("www.example.org.", "A", "192.0.2.1")))[0] or "")


# --- limits -------------------------------------------------------------------------------------------------------


def test_an_rrset_may_not_grow_beyond_the_limit(zone: Zone, apply: Apply, settings) -> None:
    settings.ZONE_MAX_RRSET_RECORDS = 3
    assert apply(*(Add("www", "A", f"192.0.2.{i}") for i in range(3))).ok
    assert "at most 3 records" in (errors(apply(Add("www", "A", "192.0.2.9")))[0] or "")
    five = tuple(f"192.0.2.{i}" for i in range(10, 15))
    assert "at most 3 records" in (errors(apply(Replace("mail", "A", five)))[0] or "")


def test_an_rrset_over_a_lowered_limit_may_still_shrink(zone: Zone, apply: Apply, settings) -> None:
    apply(*(Add("www", "A", f"192.0.2.{i}") for i in range(5)))
    settings.ZONE_MAX_RRSET_RECORDS = 3
    assert apply(Delete("www", "A", "192.0.2.0")).ok


def test_a_zone_may_not_grow_beyond_the_record_limit(zone: Zone, apply: Apply, settings) -> None:
    settings.ZONE_MAX_RECORDS = 4  # the apex NS set holds 2
    assert apply(Add("a", "A", "192.0.2.1"), Add("b", "A", "192.0.2.2")).ok
    result = apply(Delete("a", "A", "192.0.2.1"), Add("c", "A", "192.0.2.3"), Add("d", "A", "192.0.2.4"))
    assert all("at most 4 records" in (error or "") for error in errors(result))
    assert refresh(zone).record_count == 4
    assert apply(Delete("a", "A", "192.0.2.1"), Add("c", "A", "192.0.2.3")).ok


def test_a_zone_over_a_lowered_limit_may_still_shrink(zone: Zone, apply: Apply, settings) -> None:
    apply(*(Add(f"h{i}", "A", "192.0.2.1") for i in range(4)))
    settings.ZONE_MAX_RECORDS = 2
    assert apply(Delete("h0", "A", "192.0.2.1")).ok
    assert refresh(zone).record_count == 5


def test_the_record_count_follows_every_change(zone: Zone, apply: Apply) -> None:
    apply(Replace("www", "A", ("192.0.2.1", "192.0.2.2")), Add("mail", "MX", "10 mx.example.net."))
    apply(Replace("www", "A", ("192.0.2.3",)), Delete("mail", "MX", "10 mx.example.net."))
    assert refresh(zone).record_count == sum(len(records) for _, records in zone_state(zone).values()) == 3


# --- all or nothing, outcomes, versions, journal, push -----------------------------------------------------------


def test_one_failing_change_leaves_the_zone_untouched(zone: Zone, apply: Apply, django_capture_on_commit_callbacks):
    before = (refresh(zone).version, zone.serial, zone_state(zone), Change.objects.count())
    with django_capture_on_commit_callbacks() as callbacks:
        result = apply(
            Add("www", "A", "192.0.2.1"),
            Replace("mail", "MX", ("10 mx.example.net.",)),
            Delete("www", "A", "192.0.2.99"),
            Add("ftp", "A", "192.0.2.3"),
        )
    assert errors(result) == [None, None, NO_SUCH, None]
    assert not result.ok
    assert result.change is None
    assert (refresh(zone).version, zone.serial, zone_state(zone), Change.objects.count()) == before
    assert callbacks == []


def test_every_change_gets_its_own_outcome_in_order(zone: Zone, apply: Apply) -> None:
    result = apply(
        Add("a", "A", "not an address"),
        Add("b", "A", "192.0.2.1"),
        Add("c", "SOA", "x"),
        Delete("d", "A", "192.0.2.1"),
        Add("e.example.org.", "A", "192.0.2.1"),
    )
    reasons = errors(result)
    assert len(reasons) == 5
    assert "invalid A data" in (reasons[0] or "")
    assert reasons[1] is None
    assert "SOA" in (reasons[2] or "")
    assert reasons[3] == NO_SUCH
    assert "not inside the zone" in (reasons[4] or "")
    assert result.errors == [r for r in reasons if r]


def test_a_committed_change_set_bumps_version_and_serial_once(zone: Zone, apply: Apply) -> None:
    version, serial = refresh(zone).version, zone.serial
    result = apply(Add("a", "A", "192.0.2.1"), Add("b", "A", "192.0.2.2"), Replace("c", "TXT", ('"x"',)))
    assert result.ok
    assert refresh(zone).version == version + 1
    assert serial < zone.serial <= serial + 100  # date form YYYYMMDDnn, or plus one
    assert Change.objects.filter(zone=zone, version=version + 1).count() == 1


def test_the_callers_zone_object_sees_the_new_version_and_serial(zone: Zone, apply: Apply) -> None:
    result = apply(Add("a", "A", "192.0.2.1"))
    assert result.change is not None
    assert (zone.version, zone.serial) == (result.change.version, result.change.serial)
    assert (zone.version, zone.serial) == (refresh(zone).version, zone.serial)


def test_a_change_set_that_changes_nothing_leaves_version_journal_and_push_alone(
    zone: Zone, apply: Apply, django_capture_on_commit_callbacks
) -> None:
    apply(Replace("www", "A", ("192.0.2.1",), ttl=300))
    version, changes = refresh(zone).version, Change.objects.count()
    with django_capture_on_commit_callbacks() as callbacks:
        for result in (
            apply(Replace("www", "A", ("192.0.2.1",), ttl=300)),
            apply(Replace("www", "A", ("192.0.2.1",))),
            apply(Add("x", "A", "192.0.2.5"), Delete("x", "A", "192.0.2.5")),
            apply(),
        ):
            assert result.ok
            assert result.change is None
    assert (refresh(zone).version, Change.objects.count(), callbacks) == (version, changes, [])


def test_the_journal_records_rrsets_before_and_after_with_actor_interface_and_address(zone: Zone, apply: Apply):
    apply(Replace("www", "A", ("192.0.2.1",), ttl=300), Add("old", "TXT", '"bye"'))
    user = User.objects.create_user("alice")
    actor = Actor(interface=Interface.API, label="alice", user=user, address="2001:db8::7")
    result = apply(
        Replace("www", "A", ("192.0.2.2", "192.0.2.3")),
        Delete("old", "TXT", '"bye"'),
        Add("new", "MX", "10 mx.example.net.", ttl=60),
        actor=actor,
    )
    change = Change.objects.get(pk=result.change.pk)  # type: ignore[union-attr]
    assert change.before == [
        {"name": "old", "type": "TXT", "ttl": zone.default_ttl, "records": ['"bye"']},
        {"name": "www", "type": "A", "ttl": 300, "records": ["192.0.2.1"]},
    ]
    assert change.after == [
        {"name": "new", "type": "MX", "ttl": 60, "records": ["10 mx.example.net."]},
        {"name": "www", "type": "A", "ttl": 300, "records": ["192.0.2.2", "192.0.2.3"]},
    ]
    assert (change.actor, change.user, change.interface, change.client_address) == ("alice", user, "api", "2001:db8::7")
    assert (change.version, change.serial) == (refresh(zone).version, zone.serial)


def test_the_push_is_enqueued_once_and_only_after_commit(zone: Zone, apply: Apply, django_capture_on_commit_callbacks):
    Nameserver.objects.create(name="ns", address="127.0.0.1", tsig_name="k", tsig_secret="c2VjcmV0")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert apply(Add("a", "A", "192.0.2.1"), Add("b", "A", "192.0.2.2")).ok
    assert len(callbacks) == 1
    assert callbacks[0].__qualname__.startswith("_apply_together")  # the push_enqueue closure, not run before commit


def test_with_no_nameserver_enabled_nothing_is_enqueued(zone: Zone, apply: Apply, django_capture_on_commit_callbacks):
    # The zero-setup default: a change has nowhere to go, so it costs no task, eager or queued.
    Nameserver.objects.create(name="off", address="127.0.0.1", tsig_name="k", tsig_secret="c2VjcmV0", enabled=False)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert apply(Add("a", "A", "192.0.2.1")).ok
    assert callbacks == []


def test_a_dry_run_validates_and_writes_nothing(zone: Zone, apply: Apply, django_capture_on_commit_callbacks) -> None:
    before = (refresh(zone).version, zone.serial, zone_state(zone), Change.objects.count())
    with django_capture_on_commit_callbacks() as callbacks:
        good = apply(Add("a", "A", "192.0.2.1"), dry_run=True)
        bad = apply(Add("a", "A", "192.0.2.1"), Add("a", "CNAME", "x.example.net."), dry_run=True)
    assert good.ok
    assert good.change is None
    assert "CNAME cannot share" in (errors(bad)[1] or "")
    assert (refresh(zone).version, zone.serial, zone_state(zone), Change.objects.count(), callbacks) == (*before, [])


def test_later_changes_see_the_earlier_changes_of_the_same_call(zone: Zone, apply: Apply) -> None:
    result = apply(
        Add("www", "A", "192.0.2.1"),
        Delete("www", "A", "192.0.2.1"),
        Add("www", "A", "192.0.2.2", ttl=120),
        Replace("www", "A", ("192.0.2.2", "192.0.2.3")),
        Delete("www", "A", "192.0.2.3"),
    )
    assert result.ok
    assert zone_state(zone)[("www", "A")] == (120, ["192.0.2.2"])


def test_zones_are_independent(zone: Zone, apply: Apply, other_account, cli_actor: Actor) -> None:
    other = zone_create(name="example.org", account=other_account, actor=cli_actor)
    apply(Add("www", "A", "192.0.2.1"))
    assert apply(Add("www", "A", "192.0.2.1"), target=other).ok
    assert apply(Delete("www", "A", "192.0.2.1"), target=other).ok
    assert records_at(zone, "www", "A") == ["192.0.2.1"]


def test_zone_apply_takes_any_sequence_of_changes(zone: Zone, customer_actor: Actor) -> None:
    result = zone_apply(zone=zone, changes=[Add("a", "A", "192.0.2.1")], actor=customer_actor)
    assert result.ok
