"""Real BIND and Knot servers on free loopback ports, run in the foreground and stopped by PID (tests, bench)."""

from __future__ import annotations

import base64
import os
import secrets
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import dns.message
import dns.name
import dns.query
import dns.rdatatype

TSIG_NAME = "ctrlpanel-push"
BIND_KEYS_FILE = "ctrlpanel-keys.conf"
READY_TIMEOUT = 15.0


def free_port() -> int:
    """A port free for both TCP and UDP on 127.0.0.1 (DNS listens on both)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            tcp.bind(("127.0.0.1", 0))
            port = int(tcp.getsockname()[1])
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                try:
                    udp.bind(("127.0.0.1", port))
                except OSError:
                    continue
        return port
    raise RuntimeError("no free port")


def new_secret() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


@dataclass
class Nameserver:
    kind: str  # "bind" or "knot"
    directory: Path
    port: int
    secret: str
    control: str  # rndc.conf path or knotc socket
    zone_directory: Path
    command: list[str]
    process: subprocess.Popen[bytes] | None = None
    log: Path = field(init=False)

    def __post_init__(self) -> None:
        self.log = self.directory / "server.log"

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(self.command, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
        self.wait_ready()

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def pause(self) -> None:
        """Stop the server (it keeps its sockets and answers nothing) and return once every thread of it has stopped:
        SIGSTOP returns at once, and on a busy machine a thread could still answer a query sent after it."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGSTOP)
        deadline = time.monotonic() + READY_TIMEOUT
        while not _stopped(self.process.pid):
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.kind} did not stop")
            time.sleep(0.005)

    def resume(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGCONT)

    def wait_ready(self) -> None:
        # Ready when it answers over TCP (any answer: it serves no zone yet).
        deadline = time.monotonic() + READY_TIMEOUT
        query = dns.message.make_query("version.bind.", dns.rdatatype.TXT, rdclass="CH")
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.kind} exited: {self.log.read_text()[-2000:]}")
            try:
                dns.query.tcp(query, "127.0.0.1", port=self.port, timeout=0.5)
                return
            except (OSError, EOFError, dns.exception.DNSException):
                time.sleep(0.02)
        raise RuntimeError(f"{self.kind} did not answer on port {self.port}: {self.log.read_text()[-2000:]}")

    def soa_serial(self, zone: str) -> int | None:
        query = dns.message.make_query(zone + ".", dns.rdatatype.SOA)
        response = dns.query.tcp(query, "127.0.0.1", port=self.port, timeout=2)
        for rrset in response.answer:
            if rrset.rdtype == dns.rdatatype.SOA:
                return int(rrset[0].serial)
        return None

    def answer(self, name: str, rdtype: str) -> list[str]:
        query = dns.message.make_query(name, rdtype)
        response = dns.query.tcp(query, "127.0.0.1", port=self.port, timeout=2)
        return sorted(
            r.to_text() for rrset in response.answer if rrset.rdtype == dns.rdatatype.from_text(rdtype) for r in rrset
        )

    def registration(self) -> dict[str, object]:
        """Arguments for zones.push.services.nameserver_create."""
        return {
            "name": f"{self.kind}-{self.port}",
            "address": "127.0.0.1",
            "port": self.port,
            "kind": self.kind,
            "tsig_name": TSIG_NAME,
            "tsig_algorithm": "hmac-sha256",
            "tsig_secret": self.secret,
            "control_path": self.control,
            "zone_directory": str(self.zone_directory),
        }


def bind_server(directory: Path) -> Nameserver:
    directory.mkdir(parents=True, exist_ok=True)
    zones = directory / "zones"
    zones.mkdir(exist_ok=True)
    port, control_port = free_port(), free_port()
    secret, rndc_secret = new_secret(), new_secret()
    (zones / BIND_KEYS_FILE).write_text("")  # customers' secondaries' keys (zones.push.control)
    (directory / "named.conf").write_text(
        f"""
key "{TSIG_NAME}" {{ algorithm hmac-sha256; secret "{secret}"; }};
key "rndc" {{ algorithm hmac-sha256; secret "{rndc_secret}"; }};
controls {{ inet 127.0.0.1 port {control_port} allow {{ 127.0.0.1; }} keys {{ "rndc"; }}; }};
include "{zones / BIND_KEYS_FILE}";
options {{
    directory "{zones}";
    pid-file "{directory}/named.pid";
    session-keyfile "{directory}/session.key";
    listen-on port {port} {{ 127.0.0.1; }};
    listen-on-v6 {{ none; }};
    allow-new-zones yes;
    recursion no;
    notify no;
    notify-delay 0;
    dnssec-validation no;
}};
// DNSSEC as deploy/bind/named.conf.hidden-primary declares it, with timings of seconds instead of hours so that a
// test sees keys established (and a zone leave DNSSEC) at once.
dnssec-policy "ctrlpanel" {{
    keys {{ csk lifetime unlimited algorithm ecdsap256sha256; }};
    dnskey-ttl 1;
    max-zone-ttl 86400;
    zone-propagation-delay 0;
    publish-safety 0;
    retire-safety 0;
    parent-ds-ttl 1;
    parent-propagation-delay 0;
}};
logging {{
    channel out {{ stderr; severity warning; }};
    category default {{ out; }};
    category update {{ null; }};
    category update-security {{ null; }};
}};
"""
    )
    rndc_conf = directory / "rndc.conf"
    rndc_conf.write_text(
        f"""
key "rndc" {{ algorithm hmac-sha256; secret "{rndc_secret}"; }};
options {{ default-server 127.0.0.1; default-port {control_port}; default-key "rndc"; }};
"""
    )
    command = ["named", "-f", "-n", "1", "-c", str(directory / "named.conf")]
    return Nameserver("bind", directory, port, secret, str(rndc_conf), zones, command)


def bind_secondary(directory: Path, port: int, zones: str, options: str = "") -> Nameserver:
    """A BIND on `port` that serves nothing of its own: `zones` is the configuration of the zones it transfers (a
    customer's secondary, a catalog consumer), `options` more of its options, written before it starts."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "named.conf").write_text(
        f"""
options {{
    directory "{directory}";
    pid-file "{directory}/named.pid";
    session-keyfile "{directory}/session.key";
    listen-on port {port} {{ 127.0.0.1; }};
    listen-on-v6 {{ none; }};
    recursion no;
    notify no;
    dnssec-validation no;
    allow-new-zones yes;
    {options}
}};
logging {{
    channel out {{ stderr; severity info; }};
    category default {{ out; }};
}};
{zones}
"""
    )
    command = ["named", "-f", "-n", "1", "-c", str(directory / "named.conf")]
    return Nameserver("bind", directory, port, "", "", directory, command)


def knot_server(directory: Path) -> Nameserver:
    directory.mkdir(parents=True, exist_ok=True)
    zones = directory / "zones"
    zones.mkdir(exist_ok=True)
    port = free_port()
    secret = new_secret()
    (directory / "db").mkdir(exist_ok=True)
    socket_path = directory / "knot.sock"
    (directory / "knot.conf").write_text(
        f"""server:
    rundir: "{directory}"
    listen: 127.0.0.1@{port}
    udp-workers: 1
    tcp-workers: 2
    background-workers: 1

control:
    listen: "{socket_path}"

database:
    storage: "{directory}/db"

log:
  - target: stderr
    any: warning

key:
  - id: {TSIG_NAME}
    algorithm: hmac-sha256
    secret: {secret}

acl:
  - id: push
    key: {TSIG_NAME}
    action: [update, transfer]

policy:
  - id: ctrlpanel
    algorithm: ecdsap256sha256
    single-type-signing: on
    ksk-lifetime: 0
    zsk-lifetime: 0
    dnskey-ttl: 1
    zone-max-ttl: 86400
    propagation-delay: 0
    cds-cdnskey-publish: always
  - id: insecure
    algorithm: ecdsap256sha256
    single-type-signing: on
    ksk-lifetime: 0
    zsk-lifetime: 0
    dnskey-ttl: 1
    zone-max-ttl: 86400
    propagation-delay: 0
    cds-cdnskey-publish: delete-dnssec

template:
  - id: default
    storage: "{zones}"
    acl: push
    semantic-checks: off
    zonefile-sync: -1
    zonefile-load: whole
    journal-content: changes
"""
    )
    command = ["knotd", "-c", str(directory / "knot.conf")]
    return Nameserver("knot", directory, port, secret, str(socket_path), zones, command)


def _stopped(pid: int) -> bool:
    """Every thread of the process is stopped (state T in /proc: the field after the name, which ends with ')')."""
    for stat in Path(f"/proc/{pid}/task").glob("*/stat"):
        try:
            state = stat.read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):  # a thread that ended meanwhile
            continue
        if state not in {"T", "t"}:
            return False
    return True
