"""Every body has a limit met before it is read (finding 6 of issue 11), and deep JSON is a 400 (finding 3)."""

from __future__ import annotations

import json

import pytest
from django.conf import settings
from django.test import Client

from panel.request_limits import MAX_JSON_DEPTH, json_depth
from tests.sessions import sign_in_verified
from zones.models import RRset, Zone

R = "/dns/v2/zones/example.com/records"


def _big_master_file(size: int) -> bytes:
    line = b'host%07d 300 IN TXT "' + b"x" * 60 + b'"\n'
    return b"".join(line % n for n in range(size // len(line) + 1))


def test_a_master_file_over_the_limit_is_a_413_json_error_before_it_is_parsed(client: Client, key, zone) -> None:
    body = _big_master_file(5 * 1024 * 1024)
    response = client.put(R, body, content_type="text/dns", HTTP_AUTHORIZATION=key.basic)
    assert response.status_code == 413
    assert response.json() == {
        "error": f"Request too large (the limit is {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes)"
    }
    assert not RRset.objects.filter(zone=zone, type="TXT").exists()


def test_a_json_body_over_the_limit_is_the_apis_json_error_not_djangos_html(client: Client, key, zone) -> None:
    body = json.dumps({"records": [{"type": "TXT", "data": "x" * 2_000_000}]})
    response = client.post(R, body, content_type="application/json", HTTP_AUTHORIZATION=key.basic)
    assert (response.status_code, response["Content-Type"]) == (413, "application/json")
    assert "Request too large" in response.json()["error"]


def test_the_ipam_api_and_the_legacy_api_answer_in_their_own_format(client: Client) -> None:
    big = b"x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    ipam = client.post("/api/ipam/requests/", big, content_type="application/json")
    assert ipam.status_code == 413
    assert "Request too large" in ipam.json()["detail"]
    legacy = client.post("/customer/primarydnsapi", big, content_type="application/x-www-form-urlencoded")
    assert legacy.status_code == 413
    assert legacy.content.decode().startswith("ERR Request too large")


def test_the_panels_import_page_refuses_a_large_upload_as_a_form_error(db, zone: Zone, django_user_model) -> None:
    client = Client()
    user = django_user_model.objects.create_user("alice")
    zone.account.members.add(user)
    sign_in_verified(client, user)
    big = _big_master_file(5 * 1024 * 1024)
    boundary = "XXBOUNDARY"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="zone.txt"\r\n'
        f"Content-Type: text/plain\r\n\r\n".encode()
        + big
        + f"\r\n--{boundary}--\r\n".encode()
    )
    response = client.generic(
        "POST", f"/zones/{zone.name}/import", body, content_type=f"multipart/form-data; boundary={boundary}"
    )
    assert response.status_code == 413
    assert "The file is larger than" in response.content.decode()
    assert not RRset.objects.filter(zone=zone, type="TXT").exists()


@pytest.mark.parametrize(
    "path",
    [R, R + "/www", "/api/ipam/requests/", "/api/ipam/allocations/1/delegation/", "/login"],
)
def test_json_nested_a_thousand_deep_is_a_400_on_every_json_endpoint(client: Client, key, zone, path) -> None:
    body = "[" * 1000 + "]" * 1000
    for method in ("post", "put"):
        response = getattr(client, method)(path, body, content_type="application/json", HTTP_AUTHORIZATION=key.basic)
        assert response.status_code == 400, (method, path)
        assert "nested deeper" in json.dumps(response.json())


def test_brackets_inside_strings_do_not_count_as_nesting() -> None:
    assert json_depth(b'{"a": "[[[[{{{{", "b": [1, [2]]}') == 3
    assert json_depth(b'["\\"[[["]') == 1
    assert json_depth(("[" * (MAX_JSON_DEPTH + 1)).encode()) > MAX_JSON_DEPTH


def test_a_json_string_body_on_put_records_is_not_taken_as_a_master_file(client: Client, key, zone) -> None:
    body = json.dumps("www 300 IN A 192.0.2.1")
    response = client.put(R, body, content_type="application/json", HTTP_AUTHORIZATION=key.basic)
    assert response.status_code == 400
    assert not RRset.objects.filter(zone=zone, name="www").exists()
