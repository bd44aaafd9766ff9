"""A real Celery worker (and a private Redis) as subprocesses, for the push tests and the benchmark."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import kombu.pools
import redis

from panel.celery import app
from tests.push.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
# A queue of this process's own: parallel test processes (pytest -n 2) share the Redis database, and a worker must
# only take tasks that refer to its own test database.
QUEUE = f"push-tests-{os.getpid()}"


def shared_broker_url() -> str:
    """The Redis the worker tests share: TEST_REDIS_URL, which `make test` sets to a Redis of its own
    (tests/services.py) or to $REDIS_URL when that is given."""
    url = os.environ.get("TEST_REDIS_URL", "")
    if not url:
        raise RuntimeError(
            "TEST_REDIS_URL is not set: run the suite with `make test` (it starts a Redis of its own unless REDIS_URL "
            "is given), or set TEST_REDIS_URL=redis://HOST:PORT/DB"
        )
    return url


class Worker:
    """`celery -A panel worker` in its own session, so that a kill reaches the pool's processes too."""

    def __init__(
        self,
        *,
        database_url: str,
        broker_url: str,
        log: Path,
        concurrency: int = 1,
        settings_module: str = "tests.settings",
        queue: str = QUEUE,
    ) -> None:
        self.log = log
        self.name = f"h3-{uuid.uuid4().hex[:8]}@localhost"
        env = os.environ | {
            "DATABASE_URL": database_url,
            "CELERY_BROKER_URL": broker_url,
            "DJANGO_SETTINGS_MODULE": settings_module,
            "CELERY_QUEUE": queue,
            "LOG_LEVEL": "INFO",
        }
        env.pop("TEST_DATABASE_NAME", None)
        command = [sys.executable, "-m", "celery", "-A", "panel", "worker", "-l", "INFO", "-n", self.name]
        command += ["-c", str(concurrency), "-Q", queue, "--without-gossip", "--without-mingle", "--without-heartbeat"]
        with log.open("ab") as out:
            self.process = subprocess.Popen(  # noqa: S603
                command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.wait_for("ready.")

    def logged(self, text: str) -> int:
        return self.log.read_text(errors="replace").count(text)

    def wait_for(self, text: str, timeout: float = 60.0, *, times: int = 1) -> None:
        """Wait until the worker's log holds `text` at least `times` times."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.logged(text) >= times:
                return
            if self.process.poll() is not None:
                raise RuntimeError(f"worker exited: {self.log.read_text()[-3000:]}")
            time.sleep(0.05)
        raise RuntimeError(f"worker never logged {text!r}: {self.log.read_text()[-3000:]}")

    def kill(self) -> None:
        """SIGKILL the worker and its pool processes: no clean-up, no acknowledgement."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)  # pool processes that outlived their parent


class Redis:
    """A private redis-server on a free loopback port: a test may stop it without touching the shared one."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        command = ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no"]
        command += ["--dir", str(self.directory), "--pidfile", str(self.directory / "redis.pid")]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603

        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with contextlib.suppress(redis.ConnectionError):
                redis.Redis(port=self.port).ping()
                return
            time.sleep(0.02)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


@contextlib.contextmanager
def publishing_to(broker_url: str, queue: str = QUEUE) -> Iterator[None]:
    """Make this process enqueue tasks on a real broker (to the workers' queue) instead of running them in-process."""
    conf = app.conf
    saved = {
        "broker_url": conf.broker_url,
        "task_always_eager": conf.task_always_eager,
        "task_default_queue": conf.task_default_queue,
    }
    conf.update(broker_url=broker_url, task_always_eager=False, task_default_queue=queue)
    _reset_connections()
    try:
        yield
    finally:
        conf.update(saved)
        _reset_connections()


def _reset_connections() -> None:
    # The app and kombu's global registry cache connection and producer pools, queues and routes: drop them all so
    # that the next message goes to the broker and queue now configured.
    app._pool = None  # type: ignore[attr-defined]
    app.__dict__.pop("amqp", None)  # a cached property holding the producer pool, queues and router
    kombu.pools.reset()
