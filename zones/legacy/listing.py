"""The LIST reply: one `host ttl type data ` line per record, in the form the old service's clients read."""

from __future__ import annotations

import re
from collections.abc import Iterable

from zones.models import Zone
from zones.selectors import RecordRow

# A CAA value that is one plain token: no space, quote, backslash or master-file special (';' starts a comment).
_PLAIN_CAA = re.compile(r'^(\d+ \S+) "([^\s"\\;()]+)"$')


def listing_lines(rows: Iterable[RecordRow], *, soa_of: Zone | None = None) -> list[str]:
    """LIST lines, ordered by host ('@' first), type and data; with the zone's SOA line when `soa_of` is given.

    Each line ends with a space: scripts written against the old service split on it.
    """
    entries = [(row.name, row.ttl, row.type, _data(row.type, row.content)) for row in rows]
    if soa_of is not None:
        entries.append(("@", soa_of.soa_ttl, "SOA", soa_of.soa_content))
        entries.sort(key=lambda entry: (entry[0] != "@", entry[0], entry[2], entry[3]))
    return [f"{name} {ttl} {rdtype} {data} " for name, ttl, rdtype, data in entries]


def _data(rdtype: str, content: str) -> str:
    """The stored canonical text, except a CAA value that needs no quotes is shown without them.

    The octoDNS provider for this API reads a CAA line as `flags tag value` with the value one bare token and sends it
    back quoted; a value listed as "letsencrypt.org" came back as ""letsencrypt.org"" and could never be deleted.
    The bare form parses to the same record, so a client may send either back.
    """
    if rdtype == "CAA":
        match = _PLAIN_CAA.match(content)
        if match:
            return f"{match.group(1)} {match.group(2)}"
    return content
