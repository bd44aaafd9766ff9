"""The API keys page: what an ACME key needs, and copy-ready examples filled in with the new key."""

from __future__ import annotations

import re

from accounts.models import ApiKey


def test_the_panel_key_form_says_which_patterns_an_acme_key_needs(customer_client, zone):
    page = customer_client.get("/keys").content.decode()
    assert "_acme-challenge, _acme-challenge.*" in page
    reply = customer_client.post(
        "/keys",
        {
            "account": zone.account.pk,
            "label": "lego",
            "hosts": "_acme-challenge, _acme-challenge.*",
            "record_types": "TXT",
        },
    )
    assert reply.status_code == 200
    key = ApiKey.objects.get(label="lego")
    assert (key.hosts, key.record_types) == (["_acme-challenge", "_acme-challenge.*"], ["TXT"])
    found = re.search(r'<pre class="example" id="ex-lego">(.*?)</pre>', reply.content.decode(), re.DOTALL)
    assert found is not None, "the new key's page has a lego example"
    example = found.group(1)
    assert f"MYTHICBEASTS_USERNAME={key.key_id}" in example
    assert "MYTHICBEASTS_API_ENDPOINT=http://testserver/dns/v2" in example
    assert "MYTHICBEASTS_AUTH_API_ENDPOINT=http://testserver/login" in example
