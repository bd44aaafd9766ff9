"""Migration 0006 renames ipam's Request to SpaceRequest: the rows stay, and their audit rows take the new names."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("ipam", "0005_account_moves_to_accounts_app")]
AFTER = [("ipam", "0006_request_renamed_space_request")]


@pytest.mark.django_db(transaction=True)
def test_the_rename_keeps_every_request_and_renames_its_audit_rows_both_ways() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    account = old.get_model("accounts", "Account").objects.create(name="acme")
    filed = old.get_model("ipam", "Request").objects.create(
        account=account, family=6, length=56, purpose="lab", status="declined", reason="no", requested_by="alice"
    )
    events = old.get_model("ipam", "Event").objects
    events.create(action="request_file", detail={"request": filed.pk, "length": 56}, actor="alice", interface="panel")
    events.create(
        action="request_decline", detail={"request": filed.pk, "reason": "no"}, actor="sam", interface="panel"
    )
    events.create(action="prefix_allocate", detail={"request": 7}, actor="sam", interface="cli")  # not a request's
    try:
        executor = MigrationExecutor(connection)
        executor.migrate(AFTER)
        new = executor.loader.project_state(AFTER).apps
        kept = new.get_model("ipam", "SpaceRequest").objects.get()
        assert (kept.pk, kept.account.name, kept.purpose, kept.status, kept.reason) == (
            filed.pk, "acme", "lab", "declined", "no"
        )  # fmt: skip
        rows = new.get_model("ipam", "Event").objects.order_by("pk").values_list("action", "detail")
        assert list(rows) == [
            ("space_request_file", {"space_request": filed.pk, "length": 56}),
            ("space_request_decline", {"space_request": filed.pk, "reason": "no"}),
            ("prefix_allocate", {"request": 7}),
        ]
        executor = MigrationExecutor(connection)
        executor.migrate(BEFORE)
        back = executor.loader.project_state(BEFORE).apps.get_model("ipam", "Event").objects.order_by("pk")
        assert [action for action, _ in back.values_list("action", "detail")] == [
            "request_file", "request_decline", "prefix_allocate"
        ]  # fmt: skip
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
