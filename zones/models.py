"""DNS zones, their RRsets and records, and the journal of changes (the audit trail)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.actors import Interface
from accounts.models import Account

# Zone.synced_version of a zone the sweeper has not marked: above any version a zone will reach.
UNMARKED = 2**62
# How the name of every reverse zone ends (in-addr.arpa, ip6.arpa): the condition of the partial index zone_reverse.
REVERSE_SUFFIX = ".arpa"


class Zone(models.Model):
    name = models.CharField(max_length=253, unique=True, help_text="Lower-case A-labels, no trailing dot.")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="zones")
    serial = models.PositiveBigIntegerField(default=1)
    # Bumped once per committed change set; a nameserver is current when it confirmed this version.
    version = models.PositiveBigIntegerField(default=0)
    # The sweeper's marker (zones/push/services.py: sync_markers_sweep): equal to `version` when every nameserver it
    # counts had confirmed this version when it last looked. Any change set moves `version` past it, so the zones some
    # server may lack are the few whose two columns differ: `unsynced`, which the database computes on every write
    # (so no writer can forget it), with statistics the planner can use (it cannot estimate a comparison of two
    # columns) and a partial index, instead of a pass over every zone and sync row. UNMARKED (never a real version)
    # until the sweeper has looked.
    synced_version = models.PositiveBigIntegerField(db_default=UNMARKED)
    unsynced = models.GeneratedField(
        expression=~models.Q(version=models.F("synced_version")),  # type: ignore[arg-type]  # a Q is an expression
        output_field=models.BooleanField(),
        db_persist=True,
    )
    default_ttl = models.PositiveIntegerField(default=3600)
    soa_mname = models.CharField(max_length=255)
    soa_rname = models.CharField(max_length=255)
    soa_refresh = models.PositiveIntegerField(default=10800)
    soa_retry = models.PositiveIntegerField(default=3600)
    soa_expire = models.PositiveIntegerField(default=1209600)
    soa_minimum = models.PositiveIntegerField(default=300)
    soa_ttl = models.PositiveIntegerField(default=3600)
    # Kept by zone_apply beside every insert and delete, so the size limit needs no COUNT over a large zone.
    record_count = models.PositiveIntegerField(default=0)
    # The Primary DNS API v1 password, hashed with Django's password hashers; empty means the API is off.
    api_password = models.CharField(max_length=256, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        # An account's zones in name order (the dashboard's pages and search): without it the planner may walk the
        # global name index and filter by account, 60,431 of 100,000 zones for one page of ?q=shop on an account of
        # 5,000 (scale_ref); with it, that account's rows only.
        indexes = [
            models.Index(fields=["account", "name"], name="zone_account_name"),
            models.Index(fields=["id"], name="zone_unsynced", condition=models.Q(unsynced=True)),
            # The reverse zones by name (ipam.reverse.zones_for): the zones that could hold a hundred addresses are a
            # few thousand candidate names, more than the planner will probe one by one in the index of every zone's
            # name, so it read all 100,000 zones (scale_ref's /space); the reverse zones are few.
            models.Index(fields=["name"], name="zone_reverse", condition=models.Q(name__endswith=REVERSE_SUFFIX)),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def soa_content(self) -> str:
        """The SOA record's data at the zone's serial."""
        return self.soa_content_at(self.serial)

    def soa_content_at(self, serial: int) -> str:
        """The SOA record's data with `serial`: a push steps a server through serials the zone never had."""
        return (
            f"{self.soa_mname} {self.soa_rname} {serial} {self.soa_refresh} {self.soa_retry} "
            f"{self.soa_expire} {self.soa_minimum}"
        )


class RRset(models.Model):
    zone = models.ForeignKey(Zone, on_delete=models.CASCADE, related_name="rrsets")
    name = models.CharField(max_length=253, help_text="Relative to the zone apex, '@' for the apex; lower-case.")
    type = models.CharField(max_length=10)
    ttl = models.PositiveIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["zone", "name", "type"], name="rrset_unique_name_type")]
        # CNAME exclusivity is also an exclusion constraint on PostgreSQL (migration 0002).

    def __str__(self) -> str:
        return f"{self.name} {self.type}"


class Record(models.Model):
    # The RRset's zone, denormalised: the records of one zone are read through this column's index, not by joining
    # the whole table to the zone's RRsets (a hash join over millions of rows). zone_apply fills it from the RRset; on
    # PostgreSQL a composite foreign key (migration 0013) refuses any other value.
    zone = models.ForeignKey(Zone, on_delete=models.CASCADE, related_name="records")
    rrset = models.ForeignKey(RRset, on_delete=models.CASCADE, related_name="records")
    content = models.CharField(max_length=2048, help_text="Canonical presentation form (dnspython).")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["rrset", "content"], name="record_unique_content")]

    def __str__(self) -> str:
        return self.content


class Change(models.Model):
    """One committed change set of a zone: the journal that feeds pushes, and the audit trail people read.

    The history outlives the zone: deleting a zone empties `zone` and keeps `zone_name`. Every reader selects by
    `zone` (the id), so a zone created again under the same name starts with a journal of its own.
    """

    zone = models.ForeignKey(Zone, null=True, blank=True, on_delete=models.SET_NULL, related_name="changes")
    zone_name = models.CharField(max_length=253, help_text="The zone's name, kept when the zone is deleted.")
    version = models.PositiveBigIntegerField()
    serial = models.PositiveBigIntegerField()
    # Lists of {"name", "type", "ttl", "records"}: the touched RRsets as they were and as they became (absent: none).
    before = models.JSONField(default=list)
    after = models.JSONField(default=list)
    actor = models.CharField(max_length=200)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    interface = models.CharField(max_length=10, choices=[(i.value, i.value) for i in Interface])
    client_address = models.GenericIPAddressField(null=True, blank=True)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-version"]
        constraints = [models.UniqueConstraint(fields=["zone", "version"], name="change_unique_version")]

    def __str__(self) -> str:
        return f"{self.zone_name} v{self.version}"


class Nameserver(models.Model):
    """An authoritative nameserver (usually a hidden primary) that receives every zone by RFC 2136 UPDATE."""

    class Kind(models.TextChoices):
        RFC2136 = "rfc2136", "RFC 2136 only (the operator creates zones on the server)"
        BIND = "bind", "BIND (zones created with rndc addzone/delzone)"
        KNOT = "knot", "Knot DNS (zones created with knotc)"

    name = models.CharField(max_length=100, unique=True)
    address = models.GenericIPAddressField()
    port = models.PositiveIntegerField(default=53)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.RFC2136)
    tsig_name = models.CharField(max_length=255)
    tsig_algorithm = models.CharField(max_length=40, default="hmac-sha256")
    # Base64, as in BIND's and Knot's key statements. Never shown again after creation.
    tsig_secret = models.CharField(max_length=255)
    # bind: the rndc configuration file naming the server's control channel; knot: the knotc control socket.
    control = models.CharField(max_length=500, blank=True)
    # bind, knot: where new zones' files are written; the server must read the same directory.
    zone_directory = models.CharField(max_length=500, blank=True)
    enabled = models.BooleanField(default=True)
    # Whether the sweeper's markers (Zone.synced_version) count this server. Until they do (a new server, or one enabled
    # again) the readers of sync state look at every zone for it, as they look at every zone for none.
    swept = models.BooleanField(db_default=False)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ZoneSync(models.Model):
    """What one nameserver confirmed of one zone. The server is current when `version` equals `Zone.version`."""

    zone = models.ForeignKey(Zone, on_delete=models.CASCADE, related_name="syncs")
    nameserver = models.ForeignKey(Nameserver, on_delete=models.CASCADE, related_name="syncs")
    version = models.PositiveBigIntegerField(default=0, help_text="0: nothing confirmed yet")
    serial = models.PositiveBigIntegerField(null=True, blank=True, help_text="The SOA serial that came with version")
    last_error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0, help_text="Failures since the last success")
    last_attempt = models.DateTimeField(null=True, blank=True)
    last_success = models.DateTimeField(null=True, blank=True)
    # The sweeper leaves a failing server alone until then: backoff that survives lost messages and restarts.
    next_attempt = models.DateTimeField(null=True, blank=True)
    # The verifier (zones/push/verify.py): the zone version a full transfer last found identical on the server, the
    # serial the server showed then (a signer's runs ahead of `serial`), and when. Until the zone changes or the
    # server's serial moves, a cheap SOA query stands in for the transfer, except in the zone's daily full check.
    verified_version = models.PositiveBigIntegerField(default=0, help_text="0: never verified in full")
    verified_serial = models.PositiveBigIntegerField(null=True, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["zone", "nameserver"], name="zonesync_unique_zone_nameserver")]

    def __str__(self) -> str:
        return f"{self.zone_id}@{self.nameserver_id} v{self.version}"


class DynDNSHost(models.Model):
    """A per-host Dynamic DNS password: lets a router update that one host's A and AAAA records and nothing else."""

    zone = models.ForeignKey(Zone, on_delete=models.CASCADE, related_name="dyndns_hosts")
    host = models.CharField(max_length=253, help_text="Relative to the zone apex, '@' for the apex; lower-case.")
    # Salted SHA-256 of a 32-byte random password, as for API keys (accounts.secrets).
    password_hash = models.CharField(max_length=200)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["zone", "host"], name="dyndnshost_unique_zone_host")]

    def __str__(self) -> str:
        return f"{self.host} in {self.zone_id}"


class ZoneDnssec(models.Model):
    """A zone's DNSSEC: the customer's switch, how far signing has got, and the public keys read back from the signer.

    Only public data is kept: the signer (the hidden primary) generates and holds the private keys. A zone without a
    row is unsigned. The switch is zones/dnssec.py; zones/push/signing.py moves a zone between the states.
    """

    class State(models.TextChoices):
        UNSIGNED = "unsigned", "unsigned"
        SIGNING = "signing", "signing"
        WAITING_DS = "waiting_ds", "waiting for DS"
        SECURE = "secure", "secure"
        BOGUS = "bogus", "bogus"
        REMOVING = "removing", "removing"

    zone = models.OneToOneField(Zone, on_delete=models.CASCADE, primary_key=True, related_name="dnssec")
    state = models.CharField(max_length=12, choices=State.choices, default=State.UNSIGNED)
    changed = models.DateTimeField(default=timezone.now, help_text="When the state last changed")
    # DNSKEY presentation data of the keys with the SEP flag (the CSK), as the signer serves them, validated.
    keys = models.JSONField(default=list, blank=True)
    # The DS RRset the parent served at the last check (presentation data) and its TTL.
    parent_ds = models.JSONField(default=list, blank=True)
    parent_ds_ttl = models.PositiveIntegerField(null=True, blank=True)
    checked = models.DateTimeField(null=True, blank=True, help_text="The last look at the parent")
    # Removing: when the parent was first seen without a DS; signatures stay for the DS TTL after that.
    ds_absent_since = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"{self.zone_id} {self.state}"


class Secondary(models.Model):
    """A customer's own secondary nameserver of a zone: it transfers the zone (AXFR/IXFR) from the hidden primary
    with a TSIG key of its own, and the primary NOTIFYs it of every change (zones/secondaries.py)."""

    zone = models.ForeignKey(Zone, on_delete=models.CASCADE, related_name="secondaries")
    label = models.CharField(max_length=100, blank=True)
    address = models.GenericIPAddressField(help_text="Where NOTIFY goes; transfers are allowed by the key alone.")
    port = models.PositiveIntegerField(default=53)
    tsig_name = models.CharField(max_length=255, unique=True)
    # Base64, as the primary's configuration needs it (a hash would not do): shown to the customer once, never logged.
    tsig_secret = models.CharField(max_length=255)
    created = models.DateTimeField(auto_now_add=True)
    # What the secondary served when last asked (its SOA serial), and when; empty until asked.
    last_serial = models.PositiveBigIntegerField(null=True, blank=True)
    checked = models.DateTimeField(null=True, blank=True)
    check_error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["zone", "created", "id"]
        constraints = [
            models.UniqueConstraint(fields=["zone", "address", "port"], name="secondary_unique_zone_address_port")
        ]

    def __str__(self) -> str:
        return f"{self.address}#{self.port} for {self.zone_id}"


class VerifyRun(models.Model):
    """One pass of the verifier (zones/push/verify.py): its progress while it runs, its summary once done."""

    class State(models.TextChoices):
        RUNNING = "running"
        FINISHED = "finished"
        FAILED = "failed"

    started = models.DateTimeField()
    # Written with every progress step: a run still "running" whose heartbeat stopped has died (killed, hard limit).
    updated = models.DateTimeField()
    finished = models.DateTimeField(null=True, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.RUNNING)
    # Empty for the beat's pass over every zone; else the zones named (manage.py zones_verify ZONE...), shortened.
    scope = models.CharField(max_length=200, blank=True)
    repair = models.BooleanField(default=False)
    # The rotating share of the zones transferred in full this run: zone ids equal to `slice` modulo `slices`.
    slice = models.PositiveIntegerField(default=0)
    slices = models.PositiveIntegerField(default=1)
    zones = models.PositiveIntegerField(default=0)
    pairs = models.PositiveIntegerField(default=0, help_text="zones x enabled nameservers visited")
    soa_checked = models.PositiveIntegerField(default=0)
    transferred = models.PositiveIntegerField(default=0)
    drift = models.PositiveIntegerField(default=0)
    repaired = models.PositiveIntegerField(default=0)
    errors = models.PositiveIntegerField(default=0, help_text="pairs that could not be verified")
    error_text = models.TextField(blank=True, help_text="the first errors")

    class Meta:
        indexes = [models.Index(fields=["-started"], name="verifyrun_started")]

    def __str__(self) -> str:
        return f"verify run {self.pk} ({self.state})"

    @property
    def seconds(self) -> float:
        return ((self.finished or self.updated) - self.started).total_seconds()
