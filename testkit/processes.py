"""Real service processes for integration tests: free ports, start, wait until ready, stop."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import IO

import httpx

REPO_ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class ServiceProcess:
    """A service started as ``python -m <module>`` with its own environment; logs go to a file."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], port: int, log_dir: Path):
        self.name = name
        self.args = args
        self.env = env
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log_path = log_dir / f"{name}.log"
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    def start(self, ready_path: str = "/healthz", timeout: float = 60.0) -> "ServiceProcess":
        env = {**os.environ, **self.env}
        self._log = self.log_path.open("ab")
        self._process = subprocess.Popen(
            [sys.executable, *self.args], env=env, cwd=REPO_ROOT, stdout=self._log, stderr=subprocess.STDOUT
        )
        self.wait_until(ready_path, timeout)
        return self

    def wait_until(self, path: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self._process.returncode}:\n{self.log_tail()}")
            try:
                if httpx.get(self.url + path, timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise TimeoutError(f"{self.name} not ready at {path} after {timeout}s:\n{self.log_tail()}")

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def stop(self) -> None:
        if self._process is None:
            return
        if self._process.poll() is None:
            self._process.send_signal(signal.SIGTERM)
            try:
                self._process.wait(15)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def kill(self) -> None:
        """SIGKILL, as a crash would end it: none of the service's shutdown code runs."""
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait()
        self.stop()

    def log_tail(self, lines: int = 40) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


def run_module(args: list[str], env: dict[str, str], timeout: float = 300.0) -> str:
    """Run a one-shot ``python -m ...`` command (migrations, training); raise with its output on failure."""
    completed = subprocess.run(
        [sys.executable, *args],
        env={**os.environ, **env},
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if completed.returncode != 0:
        raise RuntimeError(
            f"{' '.join(args)} failed ({completed.returncode}):\n{completed.stdout}\n{completed.stderr}"
        )
    return completed.stdout


class BackgroundTraining:
    """The real training (``python -m inference_service.training --no-card``) running in the background
    into a directory of its own; ``wait`` returns the artifact's path once it is written."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.path = directory / "spendscore-model.joblib"
        self._log = (directory / "training.log").open("wb")
        args = ["-m", "inference_service.training", "--output", str(self.path), "--no-card"]
        self._process = subprocess.Popen(
            [sys.executable, *args], cwd=REPO_ROOT, stdout=self._log, stderr=subprocess.STDOUT
        )

    @classmethod
    def start(cls) -> "BackgroundTraining":
        return cls(Path(tempfile.mkdtemp(prefix="spendscore-test-model-")))

    def wait(self, timeout: float) -> Path:
        try:
            returncode = self._process.wait(timeout)
        except subprocess.TimeoutExpired:
            self._process.kill()
            raise RuntimeError(f"training took more than {timeout:.0f} s") from None
        self._log.close()
        if returncode != 0:
            log = (self.directory / "training.log").read_text(errors="replace")
            raise RuntimeError(f"training failed ({returncode}):\n{log}")
        return self.path

    def discard(self) -> None:
        if self._process.poll() is None:
            self._process.kill()
            self._process.wait()
        self._log.close()
        shutil.rmtree(self.directory, ignore_errors=True)
