"""The push pipeline: carries every committed change set from the database (the truth) to the nameservers.

- `transport`: DNS messages on the wire (RFC 2136 UPDATE with TSIG over TCP, AXFR, SOA queries).
- `control`: creating and deleting zones on servers that allow it (BIND's rndc, Knot's knotc).
- `services`: push, reconcile, verify, provision and deprovision; the only writers of `ZoneSync`.
- `delivery`: the order of a change set's RRsets on the wire, and delivering around an RRset a server refuses.
- `dnssec`: the signers' public keys read back and validated, their DS records, the DS at the parent.
- `signing`: the steps that carry a zone through its DNSSEC states (signing, waiting for DS, secure, bogus, removing).
- `selectors`: the one owner of sync state (current, behind, pending since when, failing): the sweeper, the
  commands, the panel and the REST API's `?verify` all ask it.

ANAME records are not pushed: ANAME is the provider's pseudo-type (private type 65300, see zones/records.py) that
a resolving front end would turn into A/AAAA records. Sending it to BIND or Knot would publish an unknown type that no
resolver understands, so the pipeline skips ANAME RRsets in pushes, zone files and verification. Resolving ANAME into
addresses at push time is future work.
"""
