"""Counting what the lists and the single-object endpoints say, to check the reports against them."""

from __future__ import annotations

import csv
import io
from collections import Counter
from decimal import Decimal
from typing import Any


def pages(client, path: str, **params: Any) -> list[dict]:
    """Every item of a keyset-paged list, a small page at a time."""
    items, cursor = [], None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = client.get(path, params=query)
        assert response.status_code == 200, response.text
        body = response.json()
        items += body["items"]
        cursor = body["next_cursor"]
        if not cursor:
            return items


def list_counts(client, **filters: Any) -> Counter:
    """(credential, status) -> how many certifications GET /v1/certifications lists."""
    return Counter((c["credential_code"], c["status"]) for c in pages(client, "/v1/certifications", limit=3, **filters))


def report_counts(body: dict) -> Counter:
    return Counter({(i["credential_code"], i["status"]): i["count"] for i in body["items"]})


def csv_rows(response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    return list(csv.DictReader(io.StringIO(response.text)))


def dec(value: Any) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))
