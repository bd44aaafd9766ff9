"""Creating and deleting zones on nameservers that allow it at run time: BIND (rndc) and Knot (knotc); and switching
their DNSSEC signing.

The zone's first content is written as a master file into the nameserver's zone directory (the server must read the
same directory: the worker runs on the server's host or shares the directory); from then on, every change arrives by
RFC 2136 UPDATE. Commands run with an argument list (no shell) and zone names that passed zones.records validation.

Signing is the server's: a `policy` names a dnssec-policy declared in the server's own configuration (BIND
`dnssec-policy`, with `inline-signing yes` so that UPDATEs keep going to the unsigned copy; Knot `policy`, with
`dnssec-signing: on`). The server generates and keeps the keys in the zone directory (BIND) or its KASP database (Knot).
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from pathlib import Path

from zones.models import Nameserver
from zones.push.locks import nameserver_control_lock

COMMAND_TIMEOUT = 30.0


class ControlError(Exception):
    """The server's control channel refused or failed a command; the message carries its output."""


def zone_file_path(nameserver: Nameserver, zone_name: str) -> Path:
    suffix = ".zone" if nameserver.kind == Nameserver.Kind.KNOT else ".db"
    return Path(nameserver.zone_directory) / f"{zone_name}{suffix}"


def zone_add(nameserver: Nameserver, zone_name: str, master_file: str, *, policy: str | None = None) -> bool:
    """Create the zone on the server from `master_file`, signed with `policy` if given. False when the server had it
    already (nothing changed).

    The file of a zone the server has is never touched: it belongs to the server with its journal, and a file that
    no longer matches the journal makes the zone fail to load at the next restart.
    """
    if nameserver.kind == Nameserver.Kind.BIND:
        return _bind_add(nameserver, zone_name, master_file, policy)
    if nameserver.kind == Nameserver.Kind.KNOT:
        return _knot_add(nameserver, zone_name, master_file, policy)
    raise ControlError(f"nameserver {nameserver.name} ({nameserver.kind}) cannot create zones")


def zone_remove(nameserver: Nameserver, zone_name: str) -> None:
    """Delete the zone from the server, its files and keys too; a zone the server does not have is not an error."""
    if nameserver.kind == Nameserver.Kind.BIND:
        _bind_remove(nameserver, zone_name)
    elif nameserver.kind == Nameserver.Kind.KNOT:
        _knot_remove(nameserver, zone_name)
    zone_file_path(nameserver, zone_name).unlink(missing_ok=True)


# --- DNSSEC -------------------------------------------------------------------------------------------------------
# Turning signing off is not a command here: the zone is created again from the database without a policy (see
# zones/push/dnssec.py), which is the one way both servers drop every signature, key and NSEC record at once.


def zone_signing_set(nameserver: Nameserver, zone_name: str, policy: str) -> None:
    """Sign the zone the server has with its dnssec-policy `policy` (or move it to another policy, keeping its keys)."""
    if nameserver.kind == Nameserver.Kind.BIND:
        _bind_signing_set(nameserver, zone_name, policy)
    elif nameserver.kind == Nameserver.Kind.KNOT:
        _knot_signing_set(nameserver, zone_name, policy)
    else:
        raise ControlError(f"nameserver {nameserver.name} ({nameserver.kind}) cannot sign zones")


def zone_keys_established(nameserver: Nameserver, zone_name: str) -> bool:
    """True when every key of the zone is published long enough for resolvers to hold it (BIND's DNSKEY state
    omnipresent). BIND's `insecure` policy removes a key that is not yet, signatures and all, at once: a zone must not
    be switched to it before. Knot never drops signatures by itself."""
    if nameserver.kind != Nameserver.Kind.BIND:
        return True
    result = _rndc(nameserver, "dnssec", "-status", zone_name)
    if result.returncode != 0:
        raise ControlError(f"rndc dnssec -status {zone_name}: {_output(result)}")
    states = re.findall(r"^\s*- dnskey:\s*(\S+)", result.stdout, flags=re.MULTILINE)
    return bool(states) and all(state == "omnipresent" for state in states)


def zone_checkds(nameserver: Nameserver, zone_name: str) -> None:
    """Tell BIND the zone's DS is at the parent (`rndc dnssec -checkds published`): BIND then keeps the key and its
    signatures until told the DS is gone. Knot needs nothing (it never removes keys by itself)."""
    if nameserver.kind != Nameserver.Kind.BIND:
        return
    result = _rndc(nameserver, "dnssec", "-checkds", "published", zone_name)
    if result.returncode != 0:
        raise ControlError(f"rndc dnssec -checkds published {zone_name}: {_output(result)}")


def zone_signing_report(nameserver: Nameserver, zone_name: str) -> str:
    """The server's own account of the zone's keys, for staff (`rndc dnssec -status`, `knotc zone-status`)."""
    if nameserver.kind == Nameserver.Kind.BIND:
        result = _rndc(nameserver, "dnssec", "-status", zone_name)
    elif nameserver.kind == Nameserver.Kind.KNOT:
        result = _knotc(nameserver, "zone-status", zone_name)
    else:
        return f"{nameserver.name} ({nameserver.kind}) has no control channel"
    return (result.stdout.strip() or result.stderr.strip())[:4000]


def zone_unsigned_serial(nameserver: Nameserver, zone_name: str) -> int | None:
    """BIND with inline signing: the serial of the unsigned copy, which UPDATEs (and their SOA prerequisite) see,
    while queries and transfers see the signed copy's serial. None where there is no such copy."""
    if nameserver.kind != Nameserver.Kind.BIND:
        return None
    result = _rndc(nameserver, "zonestatus", zone_name)
    if result.returncode != 0 or "signed serial:" not in result.stdout:
        return None
    match = re.search(r"^serial: (\d+)$", result.stdout, flags=re.MULTILINE)
    return int(match.group(1)) if match else None


# --- BIND ---------------------------------------------------------------------------------------------------------


def _bind_zone_options(nameserver: Nameserver, zone_name: str, policy: str | None = None) -> str:
    # The zone takes signed UPDATEs and transfers with the push key only; BIND then owns the file (journal). Signed,
    # UPDATEs still go to the unsigned copy (inline signing) and BIND keeps the keys beside the zone files.
    key = nameserver.tsig_name
    path = zone_file_path(nameserver, zone_name)
    signing = ""
    if policy is not None:
        signing = f'dnssec-policy "{policy}"; inline-signing yes; key-directory "{nameserver.zone_directory}"; '
    return (
        f'{{ type primary; file "{path}"; update-policy {{ grant "{key}" zonesub ANY; }}; '
        f'allow-transfer {{ key "{key}"; }}; {signing}}};'
    )


def _bind_add(nameserver: Nameserver, zone_name: str, master_file: str, policy: str | None) -> bool:
    if _rndc(nameserver, "showzone", zone_name).returncode == 0:
        return False
    _write_atomically(zone_file_path(nameserver, zone_name), master_file)
    result = _rndc(nameserver, "addzone", zone_name, _bind_zone_options(nameserver, zone_name, policy))
    if result.returncode == 0:
        return True
    if "already exists" in result.stderr + result.stdout:
        return False
    raise ControlError(f"rndc addzone {zone_name}: {_output(result)}")


def _bind_remove(nameserver: Nameserver, zone_name: str) -> None:
    result = _rndc(nameserver, "delzone", "-clean", zone_name)
    if result.returncode != 0 and "not found" not in result.stderr + result.stdout:
        raise ControlError(f"rndc delzone {zone_name}: {_output(result)}")
    # -clean leaves the signed copy and the keys: a zone created again under this name must not inherit them.
    directory = Path(nameserver.zone_directory)
    for path in [*directory.glob(f"{zone_name}.db.signed*"), *directory.glob(f"K{zone_name}.+*")]:
        path.unlink(missing_ok=True)


def _bind_signing_set(nameserver: Nameserver, zone_name: str, policy: str) -> None:
    shown = _rndc(nameserver, "showzone", zone_name)
    if shown.returncode != 0:
        raise ControlError(f"rndc showzone {zone_name}: {_output(shown)}")
    result = _rndc(nameserver, "modzone", zone_name, _bind_zone_options(nameserver, zone_name, policy))
    if result.returncode != 0:
        raise ControlError(f"rndc modzone {zone_name}: {_output(result)}")
    if "inline-signing yes" not in shown.stdout:
        # BIND 9.18 records a modzone that turns inline signing on but builds the signed copy only when the
        # configuration is loaded again; a policy change of a zone already inline-signed applies at once.
        reconfig = _rndc(nameserver, "reconfig")
        if reconfig.returncode != 0:
            raise ControlError(f"rndc reconfig: {_output(reconfig)}")


def _rndc(nameserver: Nameserver, *args: str) -> subprocess.CompletedProcess[str]:
    command = ["rndc", *(["-c", nameserver.control] if nameserver.control else []), *args]
    return _run(command)


# --- Knot ---------------------------------------------------------------------------------------------------------
# Knot accepts one configuration transaction at a time, so every knotc conf-* sequence for one server runs under a
# lock held across workers; the zone's options (storage, ACL, ...) come from the server's default template.


def _knot_add(nameserver: Nameserver, zone_name: str, master_file: str, policy: str | None) -> bool:
    with nameserver_control_lock(nameserver.pk):
        if _knotc(nameserver, "conf-read", f"zone[{zone_name}]").returncode == 0:
            return False
        _write_atomically(zone_file_path(nameserver, zone_name), master_file)
        commands = [["conf-set", f"zone[{zone_name}]"]]
        if policy is not None:
            commands += _knot_signing(zone_name, policy)
        _knot_transaction(nameserver, *commands)
    return True


def _knot_signing(zone_name: str, policy: str) -> list[list[str]]:
    return [
        ["conf-set", f"zone[{zone_name}].dnssec-signing", "on"],
        ["conf-set", f"zone[{zone_name}].dnssec-policy", policy],
    ]


def _knot_signing_set(nameserver: Nameserver, zone_name: str, policy: str) -> None:
    with nameserver_control_lock(nameserver.pk):
        if _knotc(nameserver, "conf-read", f"zone[{zone_name}]").returncode != 0:
            raise ControlError(f"{nameserver.name} has no zone {zone_name}")
        _knot_transaction(nameserver, *_knot_signing(zone_name, policy))


def _knot_remove(nameserver: Nameserver, zone_name: str) -> None:
    with nameserver_control_lock(nameserver.pk):
        if _knotc(nameserver, "conf-read", f"zone[{zone_name}]").returncode != 0:
            return
        # Purge first: a journal left behind would be replayed onto the zone if it were created again.
        _knotc(nameserver, "-f", "zone-purge", zone_name)
        _knot_transaction(nameserver, ["conf-unset", f"zone[{zone_name}]"])


def _knot_transaction(nameserver: Nameserver, *commands: list[str]) -> None:
    begin = _knotc(nameserver, "conf-begin")
    if begin.returncode != 0:
        # A transaction left open by a worker killed half-way blocks every later one; we hold the lock, so it is stale.
        _knotc(nameserver, "conf-abort")
        begin = _knotc(nameserver, "conf-begin")
        if begin.returncode != 0:
            raise ControlError(f"knotc conf-begin: {_output(begin)}")
    for command in commands:
        result = _knotc(nameserver, *command)
        if result.returncode != 0:
            _knotc(nameserver, "conf-abort")
            raise ControlError(f"knotc {' '.join(command)}: {_output(result)}")
    commit = _knotc(nameserver, "conf-commit")
    if commit.returncode != 0:
        _knotc(nameserver, "conf-abort")
        raise ControlError(f"knotc conf-commit: {_output(commit)}")


def _knotc(nameserver: Nameserver, *args: str) -> subprocess.CompletedProcess[str]:
    command = ["knotc", *(["-s", nameserver.control] if nameserver.control else []), *args]
    return _run(command)


# --- helpers ------------------------------------------------------------------------------------------------------


def _run(command: list[str]) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(  # noqa: S603 (an argument list built from validated names; no shell)
            command, capture_output=True, text=True, timeout=COMMAND_TIMEOUT, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ControlError(f"{command[0]}: {exc}") from None


def _output(result: subprocess.CompletedProcess[str]) -> str:
    return (result.stderr.strip() or result.stdout.strip() or f"exit status {result.returncode}")[:500]


def _write_atomically(path: Path, text: str) -> None:
    # Rename over the old file so that the server never reads half a zone.
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(descriptor, "w") as handle:
        handle.write(text)
    os.chmod(temporary, 0o644)
    os.replace(temporary, path)
