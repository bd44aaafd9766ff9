from __future__ import annotations

import re


def test_the_api_documentation_page_loads_its_scripts_from_this_server(client, db):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    sources = re.findall(r'(?:src|href)="([^"]+\.(?:js|css))"', response.content.decode())
    assert sources, "the page names its scripts and styles"
    assert all(source.startswith("/static/") for source in sources), sources
