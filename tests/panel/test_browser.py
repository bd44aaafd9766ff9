"""The panel in a real browser: Debian's headless Chromium driven by Playwright, against live_server.

Set PANEL_SCREENSHOTS=1 to write the screenshots of the main pages to docs/screenshots/ (the README shows them);
otherwise they go to a temporary directory, so that a test run leaves the work tree as it was.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright import sync_api

from accounts.actors import Actor
from accounts.services import account_create
from ipam.models import SpaceRequest
from ipam.services import pool_create
from tests.panel.conftest import PASSWORD
from zones.models import Zone
from zones.selectors import zone_records
from zones.services import zone_create

# Playwright's sync API runs an event loop in this thread; Django's ORM calls from the test itself are safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make test`, which installs Debian's chromium package", pytrace=False)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    return SCREENSHOTS if os.environ.get("PANEL_SCREENSHOTS") == "1" else tmp_path


@pytest.fixture
def page(browser: Any, live_server: Any) -> Iterator[Any]:
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 860})
    context.set_default_timeout(10_000)
    page = context.new_page()
    # Whatever the Content-Security-Policy blocks (an inline script or handler, a third party's file) fails the test.
    blocked: list[str] = []
    page.on(
        "console", lambda message: blocked.append(message.text) if "Content Security Policy" in message.text else None
    )
    yield page
    context.close()
    assert blocked == []


def snap(page: Any, directory: Path, name: str) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(directory / f"{name}.png"))


def sign_in(page: Any, username: str, password: str = PASSWORD) -> None:
    page.goto("/auth/login")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def totp_code(secret: str, steps_ahead: int = 0) -> str:
    """The code an authenticator app shows for `secret`, now or some 30-second steps later."""
    totp = TOTP(base64.b32decode(secret + "=" * (-len(secret) % 8)))
    totp.time = time.time() + 30 * steps_ahead
    return f"{totp.token():06d}"


@pytest.fixture
def world(transactional_db: None, cli_actor: Actor) -> dict[str, Any]:
    account = account_create(name="acme", display_name="Acme Hosting", actor=cli_actor)
    customer = User.objects.create_user("alice", "alice@example.net", PASSWORD)
    account.members.add(customer)
    User.objects.create_user("sam", "sam@example.net", PASSWORD, is_staff=True)
    zone = zone_create(name="example.com", account=account, actor=cli_actor)
    provider = account_create(name="provider", actor=cli_actor)
    zone_create(name="8.b.d.0.1.0.0.2.ip6.arpa", account=provider, actor=cli_actor, allow_reserved=True)
    pool = pool_create(
        prefix="2001:db8::/32", default_length=48, allowed_lengths=[48, 56], actor=cli_actor, site="ams1"
    )
    pool_create(prefix="198.51.100.0/24", default_length=29, allowed_lengths=[29], actor=cli_actor, site="ams1")
    return {"account": account, "zone": zone, "pool": pool}


def records_of(zone: Zone) -> set[tuple[str, str, str]]:
    return {(r.name, r.type, r.content) for r in zone_records(zone=zone)}


def test_a_customer_signs_in_with_totp_and_edits_records_in_place(
    page: Any, world: dict[str, Any], shots: Path
) -> None:
    expect = sync_api.expect
    sign_in(page, "alice")
    expect(page.get_by_role("heading", name="Your zones")).to_be_visible()

    # Turn on TOTP: the page shows the key; an authenticator app would read it from the QR code.
    page.get_by_role("link", name="Security", exact=True).click()  # not the dashboard's "Security log"
    secret = page.get_by_test_id("totp-secret").inner_text().strip()
    snap(page, shots, "security")
    page.get_by_label("Six-digit code").fill(totp_code(secret))
    page.get_by_role("button", name="Turn on").click()
    expect(page.get_by_text("Two-factor sign-in is on")).to_be_visible()

    # Sign out, and in again: the password alone is not enough now.
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, "alice")
    expect(page.get_by_role("heading", name="One more step")).to_be_visible()
    snap(page, shots, "login-totp")
    page.get_by_label("Six-digit code").fill("000000" if totp_code(secret, 1) != "000000" else "111111")
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_text("That code is not right")).to_be_visible()
    time.sleep(1.1)  # django-otp pauses verification for a second after a wrong code
    # The next step (a code is good only once), as the device counts steps: a code verified in the step after the one
    # it was made for (a 30-second boundary crossed on the way) set the device's drift to -1.
    drift = TOTPDevice.objects.get(user__username="alice", confirmed=True).drift
    page.get_by_label("Six-digit code").fill(totp_code(secret, drift + 1))
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("heading", name="Your zones")).to_be_visible()

    # Add a record in place.
    page.get_by_role("link", name="example.com").click()
    page.get_by_label("Name", exact=True).fill("www")
    page.get_by_label("Type", exact=True).fill("A")
    page.get_by_label("TTL", exact=True).fill("300")
    page.get_by_label("Data", exact=True).fill("192.0.2.1")
    page.get_by_role("button", name="Add record").click()
    expect(page.get_by_text("Added A 192.0.2.1 at www.")).to_be_visible()
    row = page.locator('tr[data-rrset="www A"]')
    expect(row).to_contain_text("192.0.2.1")

    # A mistake comes back with the service's own message, in place.
    page.get_by_label("Name", exact=True).fill("www")
    page.get_by_label("Type", exact=True).fill("CNAME")
    page.get_by_label("TTL", exact=True).fill("")
    page.get_by_label("Data", exact=True).fill("elsewhere.example.net.")
    page.get_by_role("button", name="Add record").click()
    expect(page.get_by_role("alert")).to_contain_text("a CNAME cannot share its name with other data")

    # Replace the RRset in place.
    row = page.locator('tr[data-rrset="www A"]')
    row.get_by_role("link", name="Edit www A").click()
    editor = page.locator("tr.editing")
    editor.get_by_label("Records, one per line").fill("192.0.2.2\n192.0.2.3")
    editor.get_by_role("button", name="Save").click()
    expect(page.locator('tr[data-rrset="www A"]')).to_contain_text("192.0.2.3")
    expect(page.locator('tr[data-rrset="www A"]')).not_to_contain_text("192.0.2.1")
    assert {("www", "A", "192.0.2.2"), ("www", "A", "192.0.2.3")} <= records_of(world["zone"])
    snap(page, shots, "zone-editor")

    # The audit trail shows who, how, and the RRset before and after.
    page.get_by_role("link", name="History").click()
    latest = page.locator("article[data-version]").first
    expect(latest).to_contain_text("alice")
    expect(latest).to_contain_text("panel")
    expect(latest.locator(".gone")).to_contain_text("192.0.2.1")
    expect(latest.locator(".came").first).to_contain_text("192.0.2.2")
    snap(page, shots, "history")

    # Restore the version before the replace, in one step.
    version = int(latest.get_attribute("data-version")) - 1
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator(f'article[data-version="{version}"]').get_by_role("button", name="Restore this version").click()
    expect(page.get_by_text(f"Restored the records of version {version}")).to_be_visible()
    assert ("www", "A", "192.0.2.1") in records_of(world["zone"])

    page.get_by_role("link", name="Zones").click()
    expect(page.locator("table")).to_contain_text("example.com")
    snap(page, shots, "dashboard")


def test_a_customer_imports_a_zone_file_after_seeing_the_difference(
    page: Any, world: dict[str, Any], shots: Path
) -> None:
    expect = sync_api.expect
    sign_in(page, "alice")
    page.goto("/zones/example.com/import")
    page.get_by_role("textbox", name="Master file").fill(
        "$ORIGIN example.com.\n$TTL 600\n@ IN MX 10 mail\nmail IN A 192.0.2.25\nwww IN CNAME @\n"
        '@ IN TXT "v=spf1 mx -all"\n'
    )
    page.get_by_role("button", name="Preview the changes").click()
    diff = page.get_by_test_id("import-diff")
    expect(diff).to_contain_text("10 mail.example.com.")
    expect(diff).to_contain_text("192.0.2.25")
    assert not any(rdtype == "MX" for _, rdtype, _ in records_of(world["zone"]))  # nothing changed yet
    snap(page, shots, "import-preview")
    page.get_by_role("button", name=re.compile(r"Apply all 4 changes")).click()
    expect(page.get_by_text("Imported")).to_be_visible()
    assert ("mail", "A", "192.0.2.25") in records_of(world["zone"])


def test_a_restricted_api_key_works_with_curl_only_within_its_scope(
    page: Any, world: dict[str, Any], live_server: Any, shots: Path
) -> None:
    expect = sync_api.expect
    sign_in(page, "alice")
    # The zone's legacy API password, generated and shown once, fills in the copy-ready examples.
    page.goto("/zones/example.com/credentials")
    page.get_by_role("button", name="Set password").click()
    password = page.get_by_test_id("new-secret").inner_text().strip()
    expect(page.locator("#ex-curl")).to_contain_text(f"password={password}")
    expect(page.locator("#ex-octodns")).to_contain_text("example.com.:")
    snap(page, shots, "credentials")
    legacy = ["curl", "-s", "--data-urlencode", "domain=example.com", "--data-urlencode", f"password={password}"]
    legacy += ["--data-urlencode", "command=ADD legacy 300 A 192.0.2.44", f"{live_server.url}/customer/primarydnsapi"]
    assert subprocess.run(legacy, capture_output=True, text=True, timeout=30, check=True).returncode == 0  # noqa: S603
    assert ("legacy", "A", "192.0.2.44") in records_of(world["zone"])

    page.get_by_role("navigation", name="Main").get_by_role("link", name="API keys").click()
    page.get_by_label("Label").fill("ACME DNS-01 hook")
    page.get_by_label("Zones").fill("example.com")
    page.get_by_label("Hosts").fill("_acme-challenge.*")
    page.get_by_label("Record types").fill("TXT")
    page.get_by_role("button", name="Create key").click()
    key_id = page.get_by_test_id("new-key-id").inner_text().strip()
    secret = page.get_by_test_id("new-key-secret").inner_text().strip()
    expect(page.locator("tbody")).to_contain_text("_acme-challenge.*")
    snap(page, shots, "api-keys")

    records = f"{live_server.url}/dns/v2/zones/example.com/records"

    def curl(body: dict[str, Any]) -> int:
        command = ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-u", f"{key_id}:{secret}", "-X", "POST"]
        command += ["-H", "Content-Type: application/json", "-d", json.dumps(body), records]
        # The command is a list of constants and test data (no shell), so nothing in it is untrusted.
        return int(subprocess.run(command, capture_output=True, text=True, timeout=30, check=True).stdout)  # noqa: S603

    txt = {"records": [{"host": "_acme-challenge.www", "type": "TXT", "data": "challenge-token"}]}
    assert curl(txt) in {200, 201}
    assert ("_acme-challenge.www", "TXT", '"challenge-token"') in records_of(world["zone"])
    assert curl({"records": [{"host": "www", "type": "A", "data": "192.0.2.66"}]}) == 403
    assert ("www", "A", "192.0.2.66") not in records_of(world["zone"])

    # Revoked, the key stops working at once.
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Revoke").click()
    expect(page.get_by_text("is revoked")).to_be_visible()
    assert curl(txt) == 401


def test_a_customer_requests_a_48_staff_approve_it_and_the_customer_sets_a_ptr(
    browser: Any, page: Any, world: dict[str, Any], live_server: Any, shots: Path
) -> None:
    expect = sync_api.expect
    sign_in(page, "alice")
    page.get_by_role("link", name="Address space", exact=True).click()
    page.get_by_label("Family").select_option("6")
    page.get_by_label("Prefix length").fill("48")
    page.get_by_label("What is it for?").fill("A new rack in AMS1")
    page.get_by_role("button", name="Send request").click()
    expect(page.get_by_text("Your request for a /48 is with our staff.")).to_be_visible()
    assert SpaceRequest.objects.get().status == "pending"

    staff = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 860})
    staff_page = staff.new_page()
    sign_in(staff_page, "sam")
    # Staff must use a second factor: the first sign-in lands on turning it on.
    expect(staff_page.get_by_text("Staff accounts must use two-factor sign-in")).to_be_visible()
    secret = staff_page.get_by_test_id("totp-secret").inner_text().strip()
    staff_page.get_by_label("Six-digit code").fill(totp_code(secret))
    staff_page.get_by_role("button", name="Turn on").click()
    staff_page.get_by_role("link", name="Staff").click()
    snap(staff_page, shots, "staff-pools")
    staff_page.get_by_role("link", name="Requests").click()
    request = staff_page.locator("article[data-request]")
    expect(request).to_contain_text("A new rack in AMS1")
    snap(staff_page, shots, "staff-requests")
    request.get_by_role("button", name="Approve").click()
    expect(staff_page.get_by_text("Approved: 2001:db8:")).to_be_visible()
    allocation = SpaceRequest.objects.get().allocation
    assert allocation is not None
    assert allocation.prefix.endswith("/48")

    staff_page.get_by_role("link", name="Search").click()
    network = ipaddress.IPv6Network(allocation.prefix)
    address = str(network.network_address + (2 << 64) + 5)  # like 2001:db8:1:2::5: inside, not the first address
    staff_page.get_by_label("Prefix or address").fill(address)
    staff_page.get_by_role("button", name="Search").click()
    expect(staff_page.get_by_test_id("results")).to_contain_text("acme")
    expect(staff_page.get_by_test_id("results")).to_contain_text("example.com")
    snap(staff_page, shots, "staff-search")
    staff.close()

    page.get_by_role("link", name="Address space", exact=True).click()
    expect(page.locator("table")).to_contain_text(allocation.prefix)
    snap(page, shots, "address-space")
    page.get_by_role("link", name=allocation.prefix).click()
    host = str(network.network_address + 1)
    page.get_by_label("Address").fill(host)
    page.get_by_label("Host name").fill("www.example.com")
    page.get_by_role("button", name="Set PTR").click()
    expect(page.get_by_test_id("ptrs")).to_contain_text("www.example.com.")
    snap(page, shots, "allocation-ptr")


def staff_sign_in(page: Any) -> None:
    """Staff sign in; the first time, the panel makes them turn on a second factor."""
    sign_in(page, "sam")
    sync_api.expect(page.get_by_text("Staff accounts must use two-factor sign-in")).to_be_visible()
    secret = page.get_by_test_id("totp-secret").inner_text().strip()
    page.get_by_label("Six-digit code").fill(totp_code(secret))
    page.get_by_role("button", name="Turn on").click()


def test_staff_pick_the_account_to_allocate_to_by_typing_part_of_its_name(
    page: Any, world: dict[str, Any], cli_actor: Actor
) -> None:
    expect = sync_api.expect
    for n in range(30):
        account_create(name=f"acme-{n:02}", actor=cli_actor)  # more than the picker offers at once
    staff_sign_in(page)
    page.get_by_role("link", name="Staff").click()
    account = page.get_by_role("combobox", name="Account")
    account.press_sequentially("cme-1", delay=30)
    options = page.get_by_role("listbox", name="Accounts matching what you typed").get_by_role("option")
    expect(options).to_have_count(10)  # acme-10 .. acme-19: the name contains the text
    expect(options.first).to_contain_text("acme-10")
    expect(account).to_have_attribute("aria-expanded", "true")
    options.filter(has_text="acme-12").click()
    expect(account).to_have_value("acme-12")
    expect(options).to_have_count(0)

    # From the keyboard: the arrow keys walk the options, Enter picks one (and does not send the form).
    account.fill("")
    account.press_sequentially("Acme Host", delay=30)  # the display name of acme
    expect(options).to_have_count(1)
    account.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(account).to_have_value("acme")
    page.get_by_label("Pool", exact=True).select_option(label="2001:db8::/32")
    page.get_by_role("button", name="Allocate").click()
    expect(page.get_by_text("Allocated 2001:db8::/48 to acme.")).to_be_visible()
    assert SpaceRequest.objects.count() == 0
    assert world["account"].allocations.get().prefix == "2001:db8::/48"


def test_the_dashboard_searches_sorts_and_pages_in_place(page: Any, world: dict[str, Any], cli_actor: Actor) -> None:
    expect = sync_api.expect
    for n in range(60):
        zone_create(name=f"shop{n:02}.example.net", account=world["account"], actor=cli_actor)
    sign_in(page, "alice")
    rows = page.locator("#zones tbody tr")
    expect(rows).to_have_count(50)
    expect(page.locator("#zones")).to_contain_text("1\N{EN DASH}50 of 61")
    page.evaluate("window.notReloaded = true")  # a full page load would forget it

    page.get_by_label("Find a zone").press_sequentially("shop1", delay=30)
    expect(rows).to_have_count(10)
    expect(page).to_have_url(re.compile(r"q=shop1"))
    page.locator("#zones thead").get_by_role("link", name=re.compile(r"^Zone")).click()  # by name, descending
    expect(rows.first).to_contain_text("shop19.example.net")
    expect(page).to_have_url(re.compile(r"sort=-name"))

    page.get_by_label("Find a zone").fill("")
    page.get_by_label("Find a zone").press("Enter")
    expect(rows).to_have_count(50)
    page.get_by_role("link", name="Next →").click()
    expect(rows).to_have_count(11)
    expect(rows.last).to_contain_text("example.com")  # sort=-name kept: the last of 61 names backwards
    assert page.evaluate("window.notReloaded") is True


def test_the_api_documentation_renders_under_the_content_security_policy(page: Any, transactional_db: None) -> None:
    page.goto("/api/docs/")
    sync_api.expect(page.locator(".swagger-ui .info .title")).to_contain_text("ctrlpanel API")
    sync_api.expect(page.locator(".opblock-summary-path").first).to_be_visible()


def test_the_dashboard_fits_a_phone(browser: Any, live_server: Any, world: dict[str, Any], shots: Path) -> None:
    context = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 844}, is_mobile=True)
    phone = context.new_page()
    sign_in(phone, "alice")
    sync_api.expect(phone.get_by_role("heading", name="Your zones")).to_be_visible()
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways on a phone ({width}px)"
    phone.goto("/zones/example.com")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    snap(phone, shots, "phone-zone")
    context.close()


def test_curl_is_there() -> None:
    assert shutil.which("curl"), "curl is missing: run `make test`, which installs requirements/apt.txt"
