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
from zones.push import peers
from zones.push.locks import nameserver_control_lock
from zones.push.peers import Transfers

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


# --- zone transfers -----------------------------------------------------------------------------------------------
# Who may transfer a zone and whom it NOTIFYs (zones/push/peers.py) is part of every zone configuration written here:
# zone_add and the DNSSEC switches compose it too, so no modzone ever drops a secondary.


def zone_transfers_set(nameserver: Nameserver, zone_name: str, *, removed: tuple[str, ...] = ()) -> bool:
    """Make the server allow AXFR/IXFR to, and NOTIFY, the zone's secondaries as the database has them now; drop
    the keys of `removed` secondaries. False when the server does not have the zone (its creation configures them)."""
    if nameserver.kind == Nameserver.Kind.BIND:
        return _bind_transfers_set(nameserver, zone_name, removed)
    if nameserver.kind == Nameserver.Kind.KNOT:
        return _knot_transfers_set(nameserver, zone_name, removed)
    return False  # an RFC 2136 server: its operator configures transfers


# --- BIND ---------------------------------------------------------------------------------------------------------
# Secondaries' TSIG keys live in one file in the zone directory that the server's named.conf includes
# (`include "<zone directory>/ctrlpanel-keys.conf";`): rndc cannot declare keys, so the file is rewritten and the
# configuration reloaded (rndc reconfig) before a zone names a new key, and a key leaves it only after its zone
# stopped naming it, since a configuration naming an unknown key fails to load.

BIND_KEYS_FILE = "ctrlpanel-keys.conf"
_BIND_KEY = re.compile(r'^key "([^"]+)" \{.*\};$')


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
        f"{_bind_transfer_options(key, peers.zone_transfers(zone_name))}{signing}}};"
    )


def _bind_transfer_options(push_key: str, transfers: Transfers) -> str:
    # Transfers: the push key (the verifier's AXFR), each customer secondary's key, the public secondaries by address.
    # NOTIFY only to those listed ("explicit": not to the NS names, which are the provider's own servers anyway).
    allowed = [f'key "{push_key}";', *(f'key "{p.key_name}";' for p in transfers.secondaries)]
    public_key = f' key "{transfers.public_key}"' if transfers.public_key else ""
    if transfers.public:
        allowed += [f"{public_key.strip()};"] if public_key else [f"{address};" for address, _ in transfers.public]
    options = f"allow-transfer {{ {' '.join(allowed)} }}; "
    targets = [f"{address} port {port}{public_key};" for address, port in transfers.public]
    targets += [f'{p.address} port {p.port} key "{p.key_name}";' for p in transfers.secondaries]
    if targets:
        options += f"notify explicit; also-notify {{ {' '.join(targets)} }}; "
    return options


def _bind_transfers_set(nameserver: Nameserver, zone_name: str, removed: tuple[str, ...]) -> bool:
    with nameserver_control_lock(nameserver.pk):
        shown = _rndc(nameserver, "showzone", zone_name)
        if shown.returncode != 0:
            return False
        _bind_keys_write(nameserver, drop=())
        # modzone replaces the whole statement: keep the signing the server has (the DNSSEC switch's business).
        policy = re.search(r'dnssec-policy "?([^";\s]+)"?;', shown.stdout)
        options = _bind_zone_options(nameserver, zone_name, policy.group(1) if policy else None)
        result = _rndc(nameserver, "modzone", zone_name, options)
        if result.returncode != 0:
            raise ControlError(f"rndc modzone {zone_name}: {_output(result)}")
        _bind_keys_write(nameserver, drop=removed)
    # A new secondary transfers at once instead of at its next refresh.
    _rndc(nameserver, "notify", zone_name)
    return True


def _bind_keys_write(nameserver: Nameserver, *, drop: tuple[str, ...]) -> None:
    """Make the keys file hold every secondary's key (and the keys it holds already, less `drop`); reload if it
    changed."""
    path = Path(nameserver.zone_directory) / BIND_KEYS_FILE
    old = path.read_text() if path.exists() else ""
    lines = {m.group(1): line for line in old.splitlines() if (m := _BIND_KEY.match(line))}
    for peer in peers.secondary_keys():
        lines[peer.key_name] = f'key "{peer.key_name}" {{ algorithm hmac-sha256; secret "{peer.secret}"; }};'
    for name in drop:
        lines.pop(name, None)
    text = "".join(f"{line}\n" for _, line in sorted(lines.items()))
    if text == old:
        return
    _write_atomically(path, text, mode=0o640)
    result = _rndc(nameserver, "reconfig")
    if result.returncode != 0:
        raise ControlError(f"rndc reconfig: {_output(result)}")


def _bind_add(nameserver: Nameserver, zone_name: str, master_file: str, policy: str | None) -> bool:
    if _rndc(nameserver, "showzone", zone_name).returncode == 0:
        return False
    _write_atomically(zone_file_path(nameserver, zone_name), master_file)
    with nameserver_control_lock(nameserver.pk):
        _bind_keys_write(nameserver, drop=())  # the secondaries' keys the new zone names
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
    # Under the lock _bind_transfers_set takes: both rewrite the whole zone statement from what they read.
    with nameserver_control_lock(nameserver.pk):
        shown = _rndc(nameserver, "showzone", zone_name)
        if shown.returncode != 0:
            raise ControlError(f"rndc showzone {zone_name}: {_output(shown)}")
        _bind_keys_write(nameserver, drop=())  # the secondaries' keys the statement names
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
        commands += _knot_transfers(nameserver, zone_name, peers.zone_transfers(zone_name), existing=False)
        _knot_transaction(nameserver, *commands)
    return True


# A zone's `acl` and `notify` replace the template's: they are written as the template's plus ours. Our acl and remote
# ids: "ctrlpanel-public" (the public secondaries, by address) and "ctrlpanel-<key name>" (a customer secondary).
KNOT_PUBLIC = "ctrlpanel-public"


def _knot_transfers_set(nameserver: Nameserver, zone_name: str, removed: tuple[str, ...]) -> bool:
    with nameserver_control_lock(nameserver.pk):
        if _knotc(nameserver, "conf-read", f"zone[{zone_name}]").returncode != 0:
            return False
        commands = _knot_transfers(nameserver, zone_name, peers.zone_transfers(zone_name), existing=True)
        for key_name in removed:
            commands += [
                ["conf-unset", f"{section}[{ident}]"]
                for section, ident in (("acl", f"ctrlpanel-{key_name}"), ("remote", f"ctrlpanel-{key_name}"))
                if _knotc(nameserver, "conf-read", f"{section}[{ident}]").returncode == 0
            ]
            if _knotc(nameserver, "conf-read", f"key[{key_name}]").returncode == 0:
                commands.append(["conf-unset", f"key[{key_name}]"])
        _knot_transaction(nameserver, *commands)
    _knotc(nameserver, "zone-notify", zone_name)
    return True


def _knot_transfers(nameserver: Nameserver, zone_name: str, transfers: Transfers, *, existing: bool) -> list[list[str]]:
    commands: list[list[str]] = []
    acls, remotes = [], []
    if transfers.public:
        commands += _knot_public(nameserver, transfers)
        acls.append(KNOT_PUBLIC)
        remotes += [f"{KNOT_PUBLIC}-{index}" for index in range(len(transfers.public))]
    for peer in transfers.secondaries:
        ident = f"ctrlpanel-{peer.key_name}"
        commands += [
            *_knot_section(nameserver, "key", peer.key_name),
            ["conf-set", f"key[{peer.key_name}].algorithm", "hmac-sha256"],
            ["conf-set", f"key[{peer.key_name}].secret", peer.secret],
            *_knot_section(nameserver, "acl", ident),
            ["conf-set", f"acl[{ident}].key", peer.key_name],
            ["conf-set", f"acl[{ident}].action", "transfer"],
            *_knot_section(nameserver, "remote", ident),
            ["conf-set", f"remote[{ident}].address", f"{peer.address}@{peer.port}"],
            ["conf-set", f"remote[{ident}].key", peer.key_name],
        ]
        acls.append(ident)
        remotes.append(ident)
    for item, ours in (("acl", acls), ("notify", remotes)):
        if existing and _knot_values(nameserver, f"zone[{zone_name}].{item}"):
            commands.append(["conf-unset", f"zone[{zone_name}].{item}"])
        if ours:
            template = _knot_values(nameserver, f"template[default].{item}")
            commands.append(["conf-set", f"zone[{zone_name}].{item}", *dict.fromkeys([*template, *ours])])
    return commands


def _knot_public(nameserver: Nameserver, transfers: Transfers) -> list[list[str]]:
    commands = _knot_section(nameserver, "acl", KNOT_PUBLIC)
    if _knot_values(nameserver, f"acl[{KNOT_PUBLIC}].address"):
        commands.append(["conf-unset", f"acl[{KNOT_PUBLIC}].address"])
    commands += [
        ["conf-set", f"acl[{KNOT_PUBLIC}].address", *(address for address, _ in transfers.public)],
        ["conf-set", f"acl[{KNOT_PUBLIC}].action", "transfer"],
    ]
    if transfers.public_key:
        commands.append(["conf-set", f"acl[{KNOT_PUBLIC}].key", transfers.public_key])
    for index, (address, port) in enumerate(transfers.public):
        ident = f"{KNOT_PUBLIC}-{index}"
        commands += _knot_section(nameserver, "remote", ident)
        if _knot_values(nameserver, f"remote[{ident}].address"):
            commands.append(["conf-unset", f"remote[{ident}].address"])
        commands.append(["conf-set", f"remote[{ident}].address", f"{address}@{port}"])
        if transfers.public_key:
            commands.append(["conf-set", f"remote[{ident}].key", transfers.public_key])
    return commands


def _knot_section(nameserver: Nameserver, section: str, ident: str) -> list[list[str]]:
    """The command that creates the identifier, unless the server has it (Knot refuses a duplicate)."""
    if _knotc(nameserver, "conf-read", f"{section}[{ident}]").returncode == 0:
        return []
    return [["conf-set", f"{section}[{ident}]"]]


def _knot_values(nameserver: Nameserver, item: str) -> list[str]:
    """The values of a configuration item (`knotc conf-read` prints `item = a b`); none when unset or unknown."""
    result = _knotc(nameserver, "conf-read", item)
    if result.returncode != 0:
        return []
    _, _, values = result.stdout.strip().partition(" = ")
    return values.split()


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
    # A TSIG secret is an argument of its conf-set, and knotc repeats it in its errors: never let one into a message.
    hidden = [command[2] for command in commands if len(command) > 2 and command[1].endswith(".secret")]
    for command in commands:
        result = _knotc(nameserver, *command)
        if result.returncode != 0:
            _knotc(nameserver, "conf-abort")
            raise ControlError(_redacted(f"knotc {' '.join(command)}: {_output(result)}", hidden))
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


def _redacted(text: str, hidden: list[str]) -> str:
    for secret in hidden:
        text = text.replace(secret, "<secret>")
    return text


def _output(result: subprocess.CompletedProcess[str]) -> str:
    return (result.stderr.strip() or result.stdout.strip() or f"exit status {result.returncode}")[:500]


def _write_atomically(path: Path, text: str, *, mode: int = 0o644) -> None:
    # Rename over the old file so that the server never reads half a zone.
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(descriptor, "w") as handle:
        handle.write(text)
    os.chmod(temporary, mode)
    os.replace(temporary, path)
