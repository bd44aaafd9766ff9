"""Fixtures for the REST API tests: API keys and a client that speaks JSON with HTTP Basic key:secret."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from tests.apikeys import Key


@dataclass
class Reply:
    status: int
    body: Any
    headers: Any


class Api:
    """Requests to the API as one key; bodies are JSON unless `content_type` says otherwise."""

    def __init__(self, client: Client, key: Key | None, remote_addr: str = "192.0.2.50") -> None:
        self.client, self.key, self.remote_addr = client, key, remote_addr

    def request(
        self, method: str, path: str, body: Any = None, content_type: str = "application/json", **extra: Any
    ) -> Reply:
        headers: dict[str, Any] = {"REMOTE_ADDR": self.remote_addr, **extra}
        if self.key is not None and "HTTP_AUTHORIZATION" not in extra:
            headers["HTTP_AUTHORIZATION"] = self.key.basic
        data = json.dumps(body) if body is not None and content_type == "application/json" else body
        response = self.client.generic(method, path, data or "", content_type=content_type, **headers)
        text = response.content.decode()
        is_json = response.get("Content-Type", "").startswith("application/json")
        return Reply(response.status_code, json.loads(text) if is_json and text else text, response)

    def get(self, path: str, **extra: Any) -> Reply:
        return self.request("GET", path, **extra)

    def post(self, path: str, body: Any = None, **extra: Any) -> Reply:
        return self.request("POST", path, body, **extra)

    def put(self, path: str, body: Any = None, **extra: Any) -> Reply:
        return self.request("PUT", path, body, **extra)

    def delete(self, path: str, **extra: Any) -> Reply:
        return self.request("DELETE", path, **extra)


@pytest.fixture
def api(client: Client, key: Key) -> Api:
    return Api(client, key)


@pytest.fixture
def api_as(client: Client) -> Callable[..., Api]:
    def make(key: Key | None, remote_addr: str = "192.0.2.50") -> Api:
        return Api(client, key, remote_addr)

    return make
