"""Celery tasks of the zones app. Thin: they take ids, re-read state and call a service.

Every task is safe to run twice (acks late: a message whose worker died is delivered again) and is backed by the
sweeper: ZoneSync, not the queue, says what is behind, so a lost message only delays a change.
"""

from __future__ import annotations

import functools
import logging
import random
import time

import redis
from celery import Task, current_app, shared_task
from celery.exceptions import SoftTimeLimitExceeded

from accounts.actors import Actor
from zones import retention
from zones.push import selectors as push_selectors
from zones.push import services as push_services
from zones.push import signing, transfers, verify
from zones.push.services import PushBusy, PushError

log = logging.getLogger(__name__)

MAX_RETRIES = 12
RETRY_BASE = 1.0
RETRY_MAX = 600.0


def retry_countdown(retries: int) -> float:
    """Exponential backoff with jitter: ~1, 2, 4 ... seconds up to ten minutes, spread so retries do not align."""
    ceiling: float = min(RETRY_BASE * 2.0**retries, RETRY_MAX)
    jitter: float = random.uniform(0, ceiling / 2)  # noqa: S311 (jitter, not a secret)
    return ceiling / 2 + jitter


# A push of a zone that is queued and not yet started carries every change committed before it starts: a second
# message for the zone would find nothing left to do. The mark says one is queued; push_zone removes it as it starts,
# before it reads the zone, so a change committed after that queues a push of its own. The mark expires by itself: a
# lost message (Redis restarted without its data, say) delays a change by at most PUSH_QUEUED_TTL, and the sweeper
# finds every zone behind whatever the marks say.
PUSH_QUEUED_TTL = 60


def push_zone_enqueue(zone_id: int) -> None:
    """Queue a push of the zone unless one is already queued. One SET NX on the broker's Redis (~0.2 ms) instead of
    publishing a Celery message (~2 ms) for each of a burst of changes to one zone. Raises when the broker is down."""
    marks = _broker_redis()
    if marks is not None:
        if not marks.set(_push_queued_key(zone_id), 1, nx=True, ex=PUSH_QUEUED_TTL):
            return  # queued and not started: it will see this change
        try:
            push_zone.delay(zone_id)
        except Exception:
            marks.delete(_push_queued_key(zone_id))  # nothing queued after all: do not hold back the next change
            raise
        return
    push_zone.delay(zone_id)  # in-process (no broker), or a broker that is not Redis


def _broker_redis() -> redis.Redis | None:
    conf = current_app.conf
    if conf.task_always_eager or not str(conf.broker_url).startswith(("redis://", "rediss://", "unix://")):
        return None
    return _redis_at(str(conf.broker_url))


@functools.lru_cache(maxsize=4)
def _redis_at(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)


def _push_queued_key(zone_id: int) -> str:
    return f"ctrlpanel:{current_app.conf.task_default_queue}:push-queued:{zone_id}"


@shared_task(
    bind=True, acks_late=True, ignore_result=True, max_retries=MAX_RETRIES, soft_time_limit=120, time_limit=150
)
def push_zone(self: Task[[int], None], zone_id: int) -> None:
    """Bring every enabled nameserver up to the zone's current version."""
    eager = bool(self.request.is_eager)
    if not eager and (marks := _broker_redis()) is not None:
        marks.delete(_push_queued_key(zone_id))  # from here on, a new change queues a push of its own
    try:
        # In-process (no broker) a push waits for the lock: there is no queue to come back through.
        push_services.zone_push(zone_id=zone_id, blocking=eager)
    except PushBusy:
        # Another worker holds the zone and pushes what it sees; a change it may have missed is ours to carry, so
        # come back shortly. A fresh message, not a retry: waiting for a busy zone is not a failure to count.
        push_zone.apply_async((zone_id,), countdown=0.05 + random.uniform(0, 0.2))  # noqa: S311 (jitter)
    except (PushError, SoftTimeLimitExceeded) as exc:
        if eager:
            log.warning("push of zone %s failed; the next change or the sweeper retries: %s", zone_id, exc)
            return
        raise self.retry(exc=exc, countdown=retry_countdown(self.request.retries)) from None


@shared_task(
    bind=True, acks_late=True, ignore_result=True, max_retries=MAX_RETRIES, soft_time_limit=120, time_limit=150
)
def zone_deprovision(self: Task[[str], None], zone_name: str) -> None:
    """Delete a deleted zone from the nameservers that create zones."""
    try:
        push_services.zone_deprovision(zone_name=zone_name)
    except PushError as exc:
        if self.request.is_eager:
            log.warning("removing %s from the nameservers failed: %s", zone_name, exc)
            return
        raise self.retry(exc=exc, countdown=retry_countdown(self.request.retries)) from None


@shared_task(
    bind=True, acks_late=True, ignore_result=True, max_retries=MAX_RETRIES, soft_time_limit=120, time_limit=150
)
def zone_transfers_configure(self: Task[[int, list[str]], None], zone_id: int, removed: list[str]) -> None:
    """After a secondary was added or removed: configure the zone's transfers on the nameservers ctrlpanel controls."""
    try:
        transfers.zone_transfers_apply(zone_id=zone_id, removed=tuple(removed))
    except transfers.TransfersError as exc:
        if self.request.is_eager:
            log.warning("configuring the transfers of zone %s failed: %s", zone_id, exc)
            return
        raise self.retry(exc=exc, countdown=retry_countdown(self.request.retries)) from None


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=300, time_limit=360)
def push_sweep() -> int:
    """Beat: put the catalog zone's members right, then enqueue a push of every zone behind on any enabled
    nameserver (failing ones after their backoff)."""
    push_services.catalog_sync()
    push_services.sync_markers_sweep()
    zone_ids = push_selectors.zones_due()
    for zone_id in zone_ids:
        push_zone_enqueue(zone_id)
    if zone_ids:
        log.info("sweeper enqueued %d zones behind on a nameserver", len(zone_ids))
    return len(zone_ids)


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=3000, time_limit=3300)
def zones_verify() -> int:
    """Beat: compare every zone on every enabled nameserver with the database (SOA serials first, transfers where
    they are due: zones/push/verify.py) and repair drift; returns how many zone copies had drifted. The run's
    progress and summary are logged and kept (VerifyRun); one stopped by the time limit is marked failed."""
    return verify.zones_verify(zone_names=None, repair=True).run.drift


# Seconds a step waits for a signer to publish keys after giving it the policy (BIND and Knot sign a small zone in well
# under a second; a large one is picked up by the next periodic check).
DNSSEC_SIGN_WAIT = 10.0


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=120, time_limit=150)
def dnssec_step(zone_id: int) -> None:
    """After a DNSSEC switch: take the zone as far as the signers and the parent allow now."""
    signing.zone_dnssec_step(zone_id=zone_id, wait=DNSSEC_SIGN_WAIT)


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=3000, time_limit=3300)
def dnssec_check() -> int:
    """Beat: read the keys of every signed zone back, look for the DS at the parent, finish removals."""
    return signing.zones_dnssec_check()


# A prune stops between two batches after this many seconds (each batch is a short transaction, so stopping loses
# nothing) and the next run carries on; the limits below are for a batch that hangs, not for a long backlog.
JOURNAL_PRUNE_BUDGET = 1500.0
PRUNE_ACTOR = Actor.cli("beat")


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=1800, time_limit=1900)
def journal_prune() -> int:
    """Beat: remove the journal and security log rows past their retention (zones/retention.py). Safe to run twice;
    a run that finds another holding the lock does nothing."""
    try:
        report = retention.journal_prune(actor=PRUNE_ACTOR, deadline=time.monotonic() + JOURNAL_PRUNE_BUDGET)
    except retention.PruneBusy:
        log.info("journal prune skipped: another run is pruning")
        return 0
    return report.changes
