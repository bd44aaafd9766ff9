"""A master file past the zone's record limit is refused while it is parsed, not after (build item 6 of issue 11)."""

from __future__ import annotations

import time

import pytest

from zones import records
from zones.records import MasterFileTooLarge

ORIGIN = records.zone_origin("example.com")
SOA = "@ 3600 IN SOA ns1.example.net. hostmaster.example.net. 1 7200 3600 1209600 300\n"


def master_file(count: int) -> str:
    return "".join(f"host{n} 300 IN A 10.0.{n >> 8 & 255}.{n & 255}\n" for n in range(count))


def test_a_file_one_record_past_the_limit_is_refused_before_its_tail_is_read() -> None:
    # The tail does not parse: had the parser reached it, the error would say so instead.
    text = master_file(11) + "this line is not a record at all\n" * 100_000
    with pytest.raises(MasterFileTooLarge, match="at most 10 records"):
        records.master_file_rrsets(text, ORIGIN, max_records=10)
    with pytest.raises(records.RecordError, match="does not parse"):
        records.master_file_rrsets(text, ORIGIN, max_records=None)


def test_a_file_at_the_limit_parses_and_its_soa_does_not_count() -> None:
    parsed = records.master_file_rrsets(SOA + master_file(10), ORIGIN, max_records=10)
    assert len([key for key in parsed if key != ("@", "SOA")]) == 10


def test_refusing_a_huge_file_takes_a_fraction_of_parsing_it() -> None:
    text = master_file(20_000)
    started = time.perf_counter()
    records.master_file_rrsets(text, ORIGIN, max_records=None)
    whole = time.perf_counter() - started
    started = time.perf_counter()
    with pytest.raises(MasterFileTooLarge):
        records.master_file_rrsets(text, ORIGIN, max_records=100)
    refused = time.perf_counter() - started
    print(f"20,000 records: parsed in {whole:.2f} s; refused past 100 in {refused * 1000:.1f} ms")
    assert refused < whole / 10
