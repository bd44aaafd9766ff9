"""Creating and deleting zones on nameservers that allow it at run time: BIND (rndc) and Knot (knotc).

The zone's first content is written as a master file into the nameserver's zone directory (the server must read the
same directory: the worker runs on the server's host or shares the directory); from then on, every change arrives by
RFC 2136 UPDATE. Commands run with an argument list (no shell) and zone names that passed zones.records validation.
"""

from __future__ import annotations

import os
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


def zone_add(nameserver: Nameserver, zone_name: str, master_file: str) -> bool:
    """Create the zone on the server from `master_file`. False when the server had it already (nothing changed).

    The file of a zone the server has is never touched: it belongs to the server with its journal, and a file that
    no longer matches the journal makes the zone fail to load at the next restart.
    """
    if nameserver.kind == Nameserver.Kind.BIND:
        return _bind_add(nameserver, zone_name, master_file)
    if nameserver.kind == Nameserver.Kind.KNOT:
        return _knot_add(nameserver, zone_name, master_file)
    raise ControlError(f"nameserver {nameserver.name} ({nameserver.kind}) cannot create zones")


def zone_remove(nameserver: Nameserver, zone_name: str) -> None:
    """Delete the zone from the server, its files too; a zone the server does not have is not an error."""
    if nameserver.kind == Nameserver.Kind.BIND:
        _bind_remove(nameserver, zone_name)
    elif nameserver.kind == Nameserver.Kind.KNOT:
        _knot_remove(nameserver, zone_name)
    zone_file_path(nameserver, zone_name).unlink(missing_ok=True)


# --- BIND ---------------------------------------------------------------------------------------------------------


def _bind_zone_options(nameserver: Nameserver, zone_name: str) -> str:
    # The zone takes signed UPDATEs and transfers with the push key only; BIND then owns the file (journal).
    key = nameserver.tsig_name
    path = zone_file_path(nameserver, zone_name)
    return (
        f'{{ type primary; file "{path}"; update-policy {{ grant "{key}" zonesub ANY; }}; '
        f'allow-transfer {{ key "{key}"; }}; }};'
    )


def _bind_add(nameserver: Nameserver, zone_name: str, master_file: str) -> bool:
    if _rndc(nameserver, "showzone", zone_name).returncode == 0:
        return False
    _write_atomically(zone_file_path(nameserver, zone_name), master_file)
    result = _rndc(nameserver, "addzone", zone_name, _bind_zone_options(nameserver, zone_name))
    if result.returncode == 0:
        return True
    if "already exists" in result.stderr + result.stdout:
        return False
    raise ControlError(f"rndc addzone {zone_name}: {_output(result)}")


def _bind_remove(nameserver: Nameserver, zone_name: str) -> None:
    result = _rndc(nameserver, "delzone", "-clean", zone_name)
    if result.returncode != 0 and "not found" not in result.stderr + result.stdout:
        raise ControlError(f"rndc delzone {zone_name}: {_output(result)}")


def _rndc(nameserver: Nameserver, *args: str) -> subprocess.CompletedProcess[str]:
    command = ["rndc", *(["-c", nameserver.control] if nameserver.control else []), *args]
    return _run(command)


# --- Knot ---------------------------------------------------------------------------------------------------------
# Knot accepts one configuration transaction at a time, so every knotc conf-* sequence for one server runs under a
# lock held across workers; the zone's options (storage, ACL, ...) come from the server's default template.


def _knot_add(nameserver: Nameserver, zone_name: str, master_file: str) -> bool:
    with nameserver_control_lock(nameserver.pk):
        if _knotc(nameserver, "conf-read", f"zone[{zone_name}]").returncode == 0:
            return False
        _write_atomically(zone_file_path(nameserver, zone_name), master_file)
        _knot_transaction(nameserver, ["conf-set", f"zone[{zone_name}]"])
    return True


def _knot_remove(nameserver: Nameserver, zone_name: str) -> None:
    with nameserver_control_lock(nameserver.pk):
        if _knotc(nameserver, "conf-read", f"zone[{zone_name}]").returncode != 0:
            return
        # Purge first: a journal left behind would be replayed onto the zone if it were created again.
        _knotc(nameserver, "-f", "zone-purge", zone_name)
        _knot_transaction(nameserver, ["conf-unset", f"zone[{zone_name}]"])


def _knot_transaction(nameserver: Nameserver, command: list[str]) -> None:
    begin = _knotc(nameserver, "conf-begin")
    if begin.returncode != 0:
        # A transaction left open by a worker killed half-way blocks every later one; we hold the lock, so it is stale.
        _knotc(nameserver, "conf-abort")
        begin = _knotc(nameserver, "conf-begin")
        if begin.returncode != 0:
            raise ControlError(f"knotc conf-begin: {_output(begin)}")
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
