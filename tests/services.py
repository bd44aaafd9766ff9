"""The suite's PostgreSQL and Redis: the ones given, or throwaway ones of its own for the length of one command.

    python -m tests.services [--postgres] [--redis] -- COMMAND [ARG...]

`make test` (and test-postgres, test-sqlite) run pytest through this. It runs COMMAND with, in its environment:

--postgres  POSTGRES_URL and DATABASE_URL: $POSTGRES_URL if set, else a new PostgreSQL cluster (Debian's postgresql
            package: initdb, trust authentication, 127.0.0.1 on a free port, fsync off) with a database `ctrlpanel`;
            pytest-django creates its test databases (test_ctrlpanel_gw0, ...) beside it.
--redis     TEST_REDIS_URL, the Celery broker of the push worker tests: $TEST_REDIS_URL, else $REDIS_URL, else a new
            redis-server on a free 127.0.0.1 port that keeps nothing on disk. (The test settings keep Django's cache
            in memory whatever REDIS_URL says, so the suite behaves the same either way.)

What it started it stops, and deletes its files, when COMMAND ends, fails or is interrupted (Ctrl-C reaches COMMAND
from the terminal; SIGTERM and SIGHUP are passed on to it); if this process is killed outright, the servers get
SIGINT/SIGTERM from the kernel (PR_SET_PDEATHSIG). As root, PostgreSQL runs as the `postgres` system user, because
initdb and postgres refuse to run as root. The exit status is COMMAND's. Standard library only: it runs before Django
and needs no settings.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType

READY_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0
DATABASE = "ctrlpanel"
PREFIX = "ctrlpanel-services-"
HINT = "run `make test`, which installs the Debian packages of requirements/apt.txt"
PR_SET_PDEATHSIG = 1


class ServiceError(RuntimeError):
    pass


def log(message: str) -> None:
    print(f"tests.services: {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _die_with_parent(signum: int) -> Callable[[], None]:
    """A preexec_fn: the child gets `signum` when this process dies (it runs after the switch of user, which would
    clear the setting)."""

    def preexec() -> None:
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signum)

    return preexec


class Server:
    """A server process in its own session (a Ctrl-C for COMMAND does not stop it under COMMAND's feet)."""

    name = "server"
    stop_signal = signal.SIGTERM

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None
        self.log = directory / f"{self.name}.log"

    def command(self) -> list[str]:
        raise NotImplementedError

    def ready(self) -> bool:
        raise NotImplementedError

    def popen_user(self) -> dict[str, object]:
        return {}

    def start(self) -> None:
        for _attempt in range(3):  # a free port can be taken between choosing it and binding it
            self.port = free_port()
            with self.log.open("ab") as out:
                self.process = subprocess.Popen(  # noqa: S603 (our own argument list)
                    self.command(),
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    cwd=self.directory,
                    start_new_session=True,
                    preexec_fn=_die_with_parent(self.stop_signal),  # noqa: PLW1509 (no threads in this process)
                    **self.popen_user(),  # type: ignore[call-overload]
                )
            deadline = time.monotonic() + READY_TIMEOUT
            while self.process.poll() is None and time.monotonic() < deadline:
                if self.ready():
                    return
                time.sleep(0.05)
            self.stop()
        raise ServiceError(f"{self.name} did not start; its log ({self.log}):\n{self.tail()}")

    def tail(self) -> str:
        with contextlib.suppress(OSError):
            return self.log.read_text(errors="replace")[-3000:]
        return ""

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(self.stop_signal)
            try:
                self.process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


class Redis(Server):
    name = "redis"

    def command(self) -> list[str]:
        redis_server = shutil.which("redis-server")
        if redis_server is None:
            raise ServiceError(f"redis-server is not installed: {HINT}, or set REDIS_URL")
        command = [redis_server, "--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no"]
        return [*command, "--dir", str(self.directory), "--daemonize", "no", "--loglevel", "warning"]

    def ready(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(64).startswith(b"+PONG")
        except OSError:
            return False

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"


def postgres_bindir() -> Path:
    """The newest /usr/lib/postgresql/N/bin (Debian's layout), else the directory of an initdb on PATH."""
    found = [path.parent for path in Path("/usr/lib/postgresql").glob("*/bin/initdb")]
    found.sort(key=lambda bindir: [int(part) for part in re.findall(r"\d+", bindir.parent.name)])
    if found:
        return found[-1]
    initdb = shutil.which("initdb")
    if initdb is None:
        raise ServiceError(f"PostgreSQL's initdb is not installed: {HINT}, or set POSTGRES_URL")
    return Path(initdb).parent


class Postgres(Server):
    name = "postgres"
    stop_signal = signal.SIGINT  # PostgreSQL's fast shutdown: roll back, disconnect, stop

    def __init__(self, directory: Path) -> None:
        super().__init__(directory)
        self.bindir = postgres_bindir()
        self.data = directory / "data"
        self.user: pwd.struct_passwd | None = None
        if os.geteuid() == 0:
            try:
                self.user = pwd.getpwnam("postgres")
            except KeyError:
                raise ServiceError(f"PostgreSQL refuses to run as root and there is no postgres user: {HINT}") from None
            os.chown(directory, self.user.pw_uid, self.user.pw_gid)

    def popen_user(self) -> dict[str, object]:
        if self.user is None:
            return {}
        return {"user": self.user.pw_uid, "group": self.user.pw_gid, "extra_groups": []}

    def start(self) -> None:
        initdb = [str(self.bindir / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust"]
        initdb += ["--encoding=UTF8", "--locale=C.UTF-8", "--no-sync", "--no-instructions"]
        with self.log.open("ab") as out:
            done = subprocess.run(  # noqa: S603 (our own argument list)
                initdb,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=self.directory,
                check=False,
                **self.popen_user(),  # type: ignore[call-overload]
            )
        if done.returncode != 0:
            raise ServiceError(f"initdb failed; its log ({self.log}):\n{self.tail()}")
        super().start()
        createdb = [str(self.bindir / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", DATABASE]
        subprocess.run(createdb, check=True, stdin=subprocess.DEVNULL, cwd=self.directory)  # noqa: S603

    def command(self) -> list[str]:
        settings = {
            "listen_addresses": "127.0.0.1",
            "port": str(self.port),
            "unix_socket_directories": str(self.directory),
            "max_connections": "200",
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
        }
        command = [str(self.bindir / "postgres"), "-D", str(self.data)]
        for name, value in settings.items():
            command += ["-c", f"{name}={value}"]
        return command

    def ready(self) -> bool:
        isready = [str(self.bindir / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres"]
        return subprocess.run(isready, check=False, stdin=subprocess.DEVNULL).returncode == 0  # noqa: S603

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{DATABASE}"


def remove_stale() -> None:
    """Delete the directories of launchers that were killed outright (SIGKILL) and so could not clean up."""
    for directory in Path(tempfile.gettempdir()).glob(f"{PREFIX}*"):
        try:
            pid = int((directory / "launcher.pid").read_text())
            os.kill(pid, 0)
        except ProcessLookupError:
            shutil.rmtree(directory, ignore_errors=True)
        except (OSError, ValueError):
            continue  # just created (no pid yet), or not ours to judge


@contextlib.contextmanager
def services(*, postgres: bool, redis: bool) -> Iterator[dict[str, str]]:
    """The variables for COMMAND's environment; the servers started for them run until the block ends."""
    exports: dict[str, str] = {}
    started: list[Server] = []
    remove_stale()
    directory = Path(tempfile.mkdtemp(prefix=PREFIX))
    directory.chmod(0o711)  # the postgres user must reach its own subdirectory
    (directory / "launcher.pid").write_text(str(os.getpid()))
    try:
        if postgres:
            url = os.environ.get("POSTGRES_URL", "")
            if not url:
                (directory / "postgres").mkdir()
                postgres_server = Postgres(directory / "postgres")
                started.append(postgres_server)
                postgres_server.start()
                url = postgres_server.url
                log(f"PostgreSQL {postgres_server.bindir.parent.name} of its own at {url}")
            exports["POSTGRES_URL"] = exports["DATABASE_URL"] = url
        if redis:
            url = os.environ.get("TEST_REDIS_URL") or os.environ.get("REDIS_URL", "")
            if not url:
                (directory / "redis").mkdir()
                redis_server = Redis(directory / "redis")
                started.append(redis_server)
                redis_server.start()
                url = redis_server.url
                log(f"Redis of its own at {url}")
            exports["TEST_REDIS_URL"] = url
        yield exports
    finally:
        for server in reversed(started):
            server.stop()
        shutil.rmtree(directory, ignore_errors=True)


def run(command: list[str], exports: dict[str, str]) -> int:
    """COMMAND's exit status (128 + N when a signal N ended it)."""
    child = subprocess.Popen(command, env=os.environ | exports)  # noqa: S603 (the command we were asked to run)

    def pass_on(signum: int, _frame: FrameType | None) -> None:
        with contextlib.suppress(ProcessLookupError):
            child.send_signal(signum)

    def ignore(_signum: int, _frame: FrameType | None) -> None:
        pass  # the terminal sends Ctrl-C's SIGINT to COMMAND too: wait for it to finish, then clean up

    signal.signal(signal.SIGTERM, pass_on)
    signal.signal(signal.SIGHUP, pass_on)
    signal.signal(signal.SIGINT, ignore)
    status = child.wait()
    return 128 - status if status < 0 else status


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.services", description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--postgres", action="store_true", help="export POSTGRES_URL and DATABASE_URL")
    parser.add_argument("--redis", action="store_true", help="export TEST_REDIS_URL")
    parser.add_argument("command", nargs="+", help="the command to run (after --)")
    args = parser.parse_args(argv)
    # Until COMMAND runs, a SIGTERM or SIGHUP (make interrupted, CI's timeout) must still remove what was started.
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGHUP, _interrupt)
    try:
        with services(postgres=args.postgres, redis=args.redis) as exports:
            return run(args.command, exports)
    except ServiceError as exc:
        log(str(exc))
        return 1
    except KeyboardInterrupt:
        return 130


def _interrupt(signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    sys.exit(main())
