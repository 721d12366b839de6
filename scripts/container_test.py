"""`make test-containers`: build the four images, run the shipped docker-compose.yml on a real engine and
check the stack end to end through its published ports.

Uses the Docker Engine and Compose v2 it finds (DOCKER_HOST or the default socket). Where there is none,
as on this project's CI machines, it sets them up in private folders: Debian's docker.io engine started
by hand (data under .tools/containers/, sockets under a temporary folder) and Debian trixie's Compose v2
binary unpacked under .tools/containers/. Where the official base images cannot be pulled (no registry),
it builds stand-ins from Debian packages and names them in the generated .env (PYTHON_IMAGE and UV_IMAGE,
the Dockerfiles' build arguments, and POSTGRES_IMAGE). The only override of docker-compose.yml is what
the host forces: free host ports. Each step prints its time; the first failure stops the run non-zero,
and nothing is left running: `down -v` at the end, and the engine stopped if this script started it.
Images and the build cache stay in the engine's data folder, so a second run builds only what changed.
"""

import json
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tarfile
import tempfile
import time
import uuid
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

REPO_ROOT = Path(__file__).resolve().parent.parent
STATE_DIR = REPO_ROOT / ".tools" / "containers"
PROJECT = "spendscore-containertest"
# Built and tagged by Compose (the services' `image:`); the migrate jobs run the same two images.
IMAGES = {
    "auth": "services/auth/Dockerfile",
    "customers": "services/customers/Dockerfile",
    "inference": "services/inference/Dockerfile",
    "ui": "ui/Dockerfile",
}
PUBLISHED = {"auth": 8001, "customers": 8002, "ui": 8501}
DEBIAN_SUITE = "bookworm"
TRIXIE_SOURCE = (
    "Types: deb\nURIs: {mirror}\nSuites: trixie\nComponents: main\n"
    "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n"
)
STANDIN_PYTHON = "spendscore-standin/python:3.11-bookworm"
STANDIN_POSTGRES = "spendscore-standin/postgres:15-bookworm"
STANDIN_UV = "spendscore-standin/uv"
PREDICTION_DEADLINE_SECONDS = 60
# auth's default per-address login limit (AUTH_LOGIN_MAX_FAILURES_PER_ADDRESS), which Compose keeps.
ADDRESS_FAILURES_ALLOWED = 50
# Failed logins with a chosen X-Forwarded-For, sent from inside a container; prints the statuses.
FAILED_LOGINS = """
import json, sys, urllib.error, urllib.request
url, forwarded, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
statuses = []
for attempt in range(count):
    body = {"email": f"nobody-{attempt}@containertest.example", "password": "not-the-password"}
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers={
        "Content-Type": "application/json", "X-Forwarded-For": forwarded})
    try:
        statuses.append(urllib.request.urlopen(request, timeout=60).status)
    except urllib.error.HTTPError as error:
        statuses.append(error.code)
print(json.dumps(statuses))
"""
STARTED = time.monotonic()
# The machine's own CA store (SSL_CERT_FILE included), as pip and curl use it.
SYSTEM_TLS = ssl.create_default_context()


class StepFailed(Exception):
    pass


def say(message: str) -> None:
    print(f"[{time.monotonic() - STARTED:7.1f}s] {message}", flush=True)


@contextmanager
def step(name: str) -> Iterator[None]:
    say(f"{name} ...")
    began = time.monotonic()
    yield
    say(f"{name}: ok ({time.monotonic() - began:.1f}s)")


def run(
    args: list[str],
    *,
    env: dict[str, str] | None = None,
    timeout: float = 1800,
    check: bool = True,
    **kw: Any,
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(args, env=env, capture_output=True, text=True, timeout=timeout, check=False, **kw)
    if check and result.returncode != 0:
        raise StepFailed(
            f"`{' '.join(args[:6])}` exited {result.returncode}:\n{result.stdout}{result.stderr}"
        )
    return result


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def dockerfile_default(name: str) -> str:
    """The official image a Dockerfile names by default for the build argument ``name``."""
    match = re.search(rf"^ARG {name}=(\S+)$", (REPO_ROOT / IMAGES["auth"]).read_text(), re.MULTILINE)
    assert match, f"services/auth/Dockerfile has no default for {name}"
    return match.group(1)


def compose_default(variable: str) -> str:
    match = re.search(rf"\$\{{{variable}:-([^}}]+)\}}", (REPO_ROOT / "docker-compose.yml").read_text())
    assert match, f"docker-compose.yml has no default for {variable}"
    return match.group(1)


# --- the engine ---------------------------------------------------------------------------------------


class Engine:
    """A Docker Engine the client reaches: an existing one, or a private dockerd this script starts."""

    def __init__(self) -> None:
        self.env = dict(os.environ)
        self.process: subprocess.Popen[bytes] | None = None
        self.runtime_dir: Path | None = None
        self.created_bridge = False
        self.host_network: HostNetwork | None = None

    def docker(
        self, *args: str, timeout: float = 1800, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        return run(["docker", *args], env=self.env, timeout=timeout, check=check)

    def reachable(self) -> bool:
        return self.docker("info", "--format", "{{.ServerVersion}}", timeout=20, check=False).returncode == 0

    def ensure(self) -> None:
        if shutil.which("docker") and self.reachable():
            say("using the Docker Engine the client already reaches")
            self.ensure_compose()
            return
        if not shutil.which("dockerd"):
            apt_install("docker.io")
        self.start_private()
        self.ensure_compose()

    def start_private(self) -> None:
        # Sockets under a short temporary path (a Unix socket path is limited to 108 bytes); images and
        # the build cache under .tools/ so that the next run reuses them.
        self.runtime_dir = Path(tempfile.mkdtemp(prefix="spendscore-docker-"))
        data_root = STATE_DIR / "docker"
        data_root.mkdir(parents=True, exist_ok=True)
        self.created_bridge = not Path("/sys/class/net/docker0").exists()
        self.host_network = HostNetwork.capture()
        socket_path = self.runtime_dir / "docker.sock"
        log = (STATE_DIR / "dockerd.log").open("ab")
        self.process = subprocess.Popen(
            [
                "dockerd",
                "--data-root", str(data_root),
                "--exec-root", str(self.runtime_dir / "exec"),
                "--pidfile", str(self.runtime_dir / "dockerd.pid"),
                "-H", f"unix://{socket_path}",
                "--storage-driver", "overlay2",
                "--exec-opt", "native.cgroupdriver=cgroupfs",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        self.env["DOCKER_HOST"] = f"unix://{socket_path}"
        deadline = time.monotonic() + 60
        while not self.reachable():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise StepFailed(f"dockerd did not start; see {STATE_DIR / 'dockerd.log'}")
            time.sleep(0.5)
        say(f"started a private Docker Engine (pid {self.process.pid}, data in {data_root})")

    def ensure_compose(self) -> None:
        if self.docker("compose", "version", timeout=20, check=False).returncode == 0:
            return
        plugin = fetch_trixie_compose()
        config_dir = STATE_DIR / "docker-config"
        (config_dir / "cli-plugins").mkdir(parents=True, exist_ok=True)
        link = config_dir / "cli-plugins" / "docker-compose"
        link.unlink(missing_ok=True)
        link.symlink_to(plugin)
        self.env["DOCKER_CONFIG"] = str(config_dir)
        say(self.docker("compose", "version").stdout.strip())

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.created_bridge and Path("/sys/class/net/docker0").exists():
            run(["ip", "link", "delete", "docker0"], check=False)
        if self.host_network is not None:
            self.host_network.restore()
        if self.runtime_dir is not None:
            shutil.rmtree(self.runtime_dir, ignore_errors=True)
        say("stopped the private Docker Engine")


class HostNetwork:
    """What dockerd changes on the host and leaves when it stops: its iptables chains and rules (and the
    FORWARD policy, which it sets to DROP) and IP forwarding. Put back as they were before it started."""

    IP_FORWARD = Path("/proc/sys/net/ipv4/ip_forward")
    TABLES = ("filter", "nat")

    def __init__(self, rules: str | None, ip_forward: str):
        self.rules = rules
        self.ip_forward = ip_forward

    @classmethod
    def capture(cls) -> "HostNetwork":
        saved = run(["iptables-save"], check=False) if shutil.which("iptables-save") else None
        rules = saved.stdout if saved is not None and saved.returncode == 0 else None
        return cls(rules, cls.IP_FORWARD.read_text())

    def restore(self) -> None:
        if self.rules is not None:
            # A table absent before is restored empty (its chains flushed, docker's own chains deleted).
            missing = [table for table in self.TABLES if f"*{table}\n" not in self.rules]
            document = self.rules + "".join(f"*{table}\nCOMMIT\n" for table in missing)
            run(["iptables-restore"], check=False, input=document)
        if self.IP_FORWARD.read_text() != self.ip_forward:
            self.IP_FORWARD.write_text(self.ip_forward)


def apt_install(package: str) -> None:
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise StepFailed(f"no Docker Engine here and cannot install Debian's {package}: install one")
    with step(f"apt-get install {package}"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        run(["apt-get", "update", "-qq"], env=env)
        run(["apt-get", "install", "-y", "-qq", package], env=env)


def fetch_trixie_compose() -> Path:
    """Debian trixie's Compose v2 (one Go binary), unpacked under .tools/: the machine's apt is untouched."""
    root = STATE_DIR / "compose"
    binary = root / "usr" / "libexec" / "docker" / "cli-plugins" / "docker-compose"
    if binary.exists():
        return binary
    with step("fetch Compose v2 from Debian trixie into .tools/containers/compose"):
        apt_dir = STATE_DIR / "apt"
        (apt_dir / "sources").mkdir(parents=True, exist_ok=True)
        (apt_dir / "lists" / "partial").mkdir(parents=True, exist_ok=True)
        (apt_dir / "archives" / "partial").mkdir(parents=True, exist_ok=True)
        (apt_dir / "sources" / "trixie.sources").write_text(TRIXIE_SOURCE.format(mirror=debian_mirror()))
        private = [
            "-o", "Dir::Etc::sourcelist=/dev/null",
            "-o", f"Dir::Etc::sourceparts={apt_dir / 'sources'}",
            "-o", f"Dir::State::Lists={apt_dir / 'lists'}",
            "-o", f"Dir::Cache::Archives={apt_dir / 'archives'}",
            "-o", "Debug::NoLocking=1",
        ]  # fmt: skip
        run(["apt-get", *private, "update", "-qq"])
        run(["apt-get", *private, "download", "docker-compose"], cwd=apt_dir)
        (package,) = sorted(apt_dir.glob("docker-compose_*.deb"))
        run(["dpkg-deb", "-x", str(package), str(root)])
    if not binary.exists():
        raise StepFailed(f"trixie's docker-compose package has no {binary.relative_to(root)}")
    return binary


# --- base images -------------------------------------------------------------------------------------


def base_images(engine: Engine) -> dict[str, str]:
    """PYTHON_IMAGE, UV_IMAGE and POSTGRES_IMAGE: the official defaults when present or pullable, else
    stand-ins built here from Debian packages and PyPI's uv wheel."""
    official = {
        "PYTHON_IMAGE": dockerfile_default("PYTHON_IMAGE"),
        "UV_IMAGE": dockerfile_default("UV_IMAGE"),
        "POSTGRES_IMAGE": compose_default("POSTGRES_IMAGE"),
    }
    if all(present_or_pulled(engine, image) for image in official.values()):
        say("official base images available: " + ", ".join(official.values()))
        return official
    say("official base images cannot be pulled here: using stand-ins built from Debian packages")
    if not image_exists(engine, STANDIN_PYTHON):
        build_standin_python(engine)
    uv_version = official["UV_IMAGE"].rsplit(":", 1)[1]
    uv_image = f"{STANDIN_UV}:{uv_version}"
    if not image_exists(engine, uv_image):
        build_standin_uv(engine, uv_version, uv_image)
    if not image_exists(engine, STANDIN_POSTGRES):
        with step(f"build {STANDIN_POSTGRES}"):
            engine.docker(
                "build", "--build-arg", f"BASE_IMAGE={STANDIN_PYTHON}", "-t", STANDIN_POSTGRES,
                str(REPO_ROOT / "infra" / "container-test" / "postgres"),
            )  # fmt: skip
    return {"PYTHON_IMAGE": STANDIN_PYTHON, "UV_IMAGE": uv_image, "POSTGRES_IMAGE": STANDIN_POSTGRES}


def image_exists(engine: Engine, image: str) -> bool:
    return engine.docker("image", "inspect", image, timeout=30, check=False).returncode == 0


def present_or_pulled(engine: Engine, image: str) -> bool:
    if image_exists(engine, image):
        return True
    return engine.docker("pull", "--quiet", image, timeout=120, check=False).returncode == 0


def debian_mirror() -> str:
    """The Debian mirror the machine's own apt uses."""
    sources = Path("/etc/apt/sources.list.d/debian.sources")
    text = sources.read_text() if sources.exists() else Path("/etc/apt/sources.list").read_text()
    match = re.search(r"(?:URIs:|deb)\s+(https?://\S+/debian)\b", text)
    return match.group(1) if match else "http://deb.debian.org/debian"


def build_standin_python(engine: Engine) -> None:
    if not shutil.which("debootstrap"):
        apt_install("debootstrap")
    with step(f"build {STANDIN_PYTHON} with debootstrap (Debian {DEBIAN_SUITE}'s Python 3.11)"):
        with tempfile.TemporaryDirectory(prefix="spendscore-rootfs-") as workdir:
            rootfs = Path(workdir) / "rootfs"
            run(
                [
                    "debootstrap", "--variant=minbase",
                    "--include=python3,python3-venv,python-is-python3,ca-certificates",
                    DEBIAN_SUITE, str(rootfs), debian_mirror(),
                ]
            )  # fmt: skip
            # The host's CA bundle: where HTTPS goes through an intercepting proxy, uv in the image needs it.
            shutil.copy("/etc/ssl/certs/ca-certificates.crt", rootfs / "etc/ssl/certs/ca-certificates.crt")
            shutil.rmtree(rootfs / "var/cache/apt/archives", ignore_errors=True)
            (rootfs / "var/cache/apt/archives/partial").mkdir(parents=True)
            changes = [
                "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                "ENV LANG=C.UTF-8",
                "ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt",
                "ENV UV_NATIVE_TLS=1",
                'CMD ["python3"]',
            ]
            import_tar(engine, STANDIN_PYTHON, lambda tar: tar.add(rootfs, arcname="."), changes)


def build_standin_uv(engine: Engine, version: str, image: str) -> None:
    """An image holding /uv, as the official one does, from the binary inside PyPI's uv wheel."""
    with step(f"build {image} from PyPI's uv {version} wheel"):
        with tempfile.TemporaryDirectory(prefix="spendscore-uv-") as workdir:
            wheel = Path(workdir) / "uv.whl"
            wheel.write_bytes(download(uv_wheel_url(version)))
            with zipfile.ZipFile(wheel) as archive:
                member = next(name for name in archive.namelist() if name.endswith(".data/scripts/uv"))
                binary = Path(workdir) / "uv"
                binary.write_bytes(archive.read(member))
            binary.chmod(0o755)
            import_tar(engine, image, lambda tar: tar.add(binary, arcname="uv"), [])


def uv_wheel_url(version: str) -> str:
    """PyPI's manylinux wheel of uv ``version`` for this machine's architecture."""
    project = httpx.get("https://pypi.org/pypi/uv/json", verify=SYSTEM_TLS, timeout=60)
    project.raise_for_status()
    machine = platform.machine()
    for file in project.json()["releases"].get(version, []):
        name = file["filename"]
        if name.endswith(".whl") and "manylinux" in name and name.rsplit(".", 1)[0].endswith(machine):
            return str(project.url.join(file["url"]))  # a mirror may answer relative addresses
    raise StepFailed(f"PyPI has no manylinux {machine} wheel of uv {version}")


def download(url: str) -> bytes:
    response = httpx.get(url, verify=SYSTEM_TLS, timeout=300, follow_redirects=True)
    response.raise_for_status()
    return response.content


def import_tar(
    engine: Engine, image: str, fill: Callable[[tarfile.TarFile], None], changes: list[str]
) -> None:
    with tempfile.TemporaryFile() as stream:
        with tarfile.open(fileobj=stream, mode="w") as tar:
            fill(tar)
        stream.seek(0)
        args = ["docker", "import"]
        for change in changes:
            args += ["--change", change]
        result = subprocess.run(
            [*args, "-", image], stdin=stream, env=engine.env, capture_output=True, text=True
        )
    if result.returncode != 0:
        raise StepFailed(f"docker import {image}: {result.stderr}")


# --- the stack ---------------------------------------------------------------------------------------


class Stack:
    """docker compose over the shipped file, a generated .env and the host's override."""

    def __init__(self, engine: Engine, workdir: Path, bases: dict[str, str]):
        self.engine = engine
        self.workdir = workdir
        self.ports = {name: free_port() for name in PUBLISHED}
        self.urls = {name: f"http://127.0.0.1:{port}" for name, port in self.ports.items()}
        self.admin_email = "admin@containertest.example"
        self.admin_password = secrets.token_urlsafe(18)
        self.env_file = workdir / ".env"
        self.override = workdir / "docker-compose.override.yml"
        self.env_file.write_text(self.generated_env(bases))
        self.override.write_text(self.host_override())

    def generated_env(self, bases: dict[str, str]) -> str:
        """What a new user fills in (fresh key, random secrets), plus the base images and the addresses
        a browser uses (the random host ports)."""
        key = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        escaped = key.decode().strip().replace("\n", "\\n")
        values = {
            "POSTGRES_PASSWORD": secrets.token_hex(24),
            "AUTH_DB_PASSWORD": secrets.token_hex(24),
            "CUSTOMERS_DB_PASSWORD": secrets.token_hex(24),
            "AUTH_PRIVATE_KEY": f'"{escaped}\\n"',
            "BOOTSTRAP_ADMIN_EMAIL": self.admin_email,
            "BOOTSTRAP_ADMIN_PASSWORD": self.admin_password,
            "UI_COOKIE_SECRET": secrets.token_hex(32),
            "CUSTOMERS_SERVICE_SECRET": secrets.token_hex(32),
            "CORS_ORIGINS": self.urls["ui"],
            "AUTH_PUBLIC_URL": self.urls["auth"],
            # The production minimum: the forwarded-address check makes 50 failed logins.
            "AUTH_BCRYPT_ROUNDS": "10",
            **bases,
        }
        return "".join(f"{name}={value}\n" for name, value in values.items())

    def host_override(self) -> str:
        """Free host ports on loopback instead of 8001, 8002 and 8501, which a local stack may hold."""
        lines = ["services:"]
        for name, port in PUBLISHED.items():
            lines += [f"  {name}:", f'    ports: !override ["127.0.0.1:{self.ports[name]}:{port}"]']
        return "\n".join(lines) + "\n"

    def compose(
        self, *args: str, timeout: float = 1800, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        return self.engine.docker(
            "compose", "--project-name", PROJECT, "--project-directory", str(REPO_ROOT),
            "--env-file", str(self.env_file),
            "-f", str(REPO_ROOT / "docker-compose.yml"), "-f", str(self.override),
            *args, timeout=timeout, check=check,
        )  # fmt: skip

    def logs(self) -> str:
        return self.compose("logs", "--no-color", "--tail", "40", timeout=120, check=False).stdout

    def image_size_mb(self, name: str) -> float:
        image = f"spendscore-{name}:latest"
        size = self.engine.docker("image", "inspect", "--format", "{{.Size}}", image).stdout.strip()
        return int(size) / 1e6


class Client:
    """The API as a browser or script reaches it through the published ports."""

    def __init__(self, stack: Stack):
        self.urls = stack.urls
        self.http = httpx.Client(timeout=30)

    def expect(self, response: httpx.Response, status: int) -> Any:
        if response.status_code != status:
            raise StepFailed(
                f"{response.request.method} {response.request.url} answered {response.status_code}"
                f" (expected {status}): {response.text[:500]}"
            )
        return (
            response.json()
            if response.headers.get("content-type", "").startswith("application/json")
            else None
        )

    def login(self, email: str, password: str) -> dict[str, str]:
        body = self.expect(
            self.http.post(self.urls["auth"] + "/auth/login", json={"email": email, "password": password}),
            200,
        )
        return {"Authorization": f"Bearer {body['access_token']}"}

    def create_customer(self, owner: dict[str, str], name: str) -> dict[str, Any]:
        customer = {"name": name, "gender": "female", "age": 31, "annual_income": 62.0}
        body: dict[str, Any] = self.expect(
            self.http.post(self.urls["customers"] + "/customers", json=customer, headers=owner), 201
        )
        return body

    def customer(self, owner: dict[str, str], customer_id: str) -> dict[str, Any]:
        body: dict[str, Any] = self.expect(
            self.http.get(f"{self.urls['customers']}/customers/{customer_id}", headers=owner), 200
        )
        return body


def check_ready(client: Client, stack: Stack) -> None:
    for name in ("auth", "customers"):
        body = client.expect(client.http.get(stack.urls[name] + "/readyz"), 200)
        if body.get("status") != "ready":
            raise StepFailed(f"{name} /readyz: {body}")
    # Inference is not published: its readiness from inside its own container, as its healthcheck sees it.
    stack.compose(
        "exec", "-T", "inference", "python", "-c",
        "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8003/readyz', timeout=4)",
        timeout=60,
    )  # fmt: skip


def failed_logins_from_ui(stack: Stack, forwarded: str, count: int) -> list[int]:
    result = stack.compose(
        "exec", "-T", "ui", "python", "-c", FAILED_LOGINS,
        "http://auth:8001/auth/login", forwarded, str(count), timeout=600,
    )  # fmt: skip
    statuses: list[int] = json.loads(result.stdout)
    return statuses


def check_forwarded_addresses(client: Client, stack: Stack) -> None:
    """The UI (a trusted proxy) forwards browsers' addresses: one browser's failures exhaust its own
    budget only. A client at auth's published port cannot pick an address with the same header."""
    first, second = "203.0.113.7", "203.0.113.8"  # documentation addresses (RFC 5737)
    statuses = failed_logins_from_ui(stack, first, ADDRESS_FAILURES_ALLOWED + 1)
    if statuses != [401] * ADDRESS_FAILURES_ALLOWED + [429]:
        raise StepFailed(f"failed logins forwarded for {first}: {statuses}")
    if failed_logins_from_ui(stack, second, 1) != [401]:
        raise StepFailed(f"another browser ({second}) shares {first}'s budget")
    direct = client.http.post(
        stack.urls["auth"] + "/auth/login",
        json={"email": "nobody@containertest.example", "password": "not-the-password"},
        headers={"X-Forwarded-For": first},
    )
    if direct.status_code != 401:
        raise StepFailed(f"auth believed X-Forwarded-For from outside the UI: {direct.status_code}")


def wait_for_score(client: Client, owner: dict[str, str], customer_id: str, deadline_seconds: float) -> float:
    deadline = time.monotonic() + deadline_seconds
    while True:
        latest = client.customer(owner, customer_id)["latest_prediction"]
        if latest and latest["status"] == "done" and latest["spending_score"] is not None:
            return float(latest["spending_score"])
        if time.monotonic() > deadline:
            raise StepFailed(f"customer {customer_id} still has no score after {deadline_seconds}s: {latest}")
        time.sleep(2)


def end_to_end(engine: Engine, workdir: Path) -> None:
    with step("base images"):
        bases = base_images(engine)
    stack = Stack(engine, workdir, bases)
    say(f"host ports: {stack.ports}; generated .env and override in {workdir}")
    stack.compose("config", "--quiet", timeout=60)
    stack.compose("down", "-v", "--remove-orphans", timeout=300)  # what an interrupted run left
    figures: list[str] = []
    for name in IMAGES:
        began = time.monotonic()
        with step(f"build spendscore-{name}"):
            stack.compose("build", name)
        figures.append(
            f"{name}: built in {time.monotonic() - began:.0f} s, {stack.image_size_mb(name):.0f} MB"
        )
    try:
        began = time.monotonic()
        with step("up -d --wait (every container healthy)"):
            stack.compose("up", "-d", "--wait", "--no-build", timeout=600)
        figures.append(f"up -d --wait to all healthy: {time.monotonic() - began:.0f} s")
        check_stack(stack, figures)
        for figure in figures:
            say(f"figure: {figure}")
    except BaseException:
        say("logs of the failed run:\n" + stack.logs())
        raise
    finally:
        with step("down -v"):
            stack.compose("down", "-v", "--remove-orphans", timeout=300)


def check_stack(stack: Stack, figures: list[str]) -> None:
    client = Client(stack)
    with step("readyz of auth, customers and inference"):
        check_ready(client, stack)
    with step("bootstrap admin logs in"):
        admin = client.login(stack.admin_email, stack.admin_password)
    owner_email, owner_password = f"owner-{uuid.uuid4().hex[:8]}@containertest.example", secrets.token_hex(12)
    with step("admin creates a store owner"):
        owner_account = {"email": owner_email, "name": "Container Owner", "password": owner_password}
        client.expect(
            client.http.post(
                stack.urls["auth"] + "/admin/users", json={**owner_account, "roles": ["user"]}, headers=admin
            ),
            201,
        )
        owner = client.login(owner_email, owner_password)
    with step("owner creates a customer and gets a score"):
        first = client.create_customer(owner, "First Customer")
        score = wait_for_score(client, owner, first["id"], 30)
        say(f"spending score {score:.1f}")
    with step("stop inference: a new customer still answers 201 with a pending prediction"):
        stack.compose("stop", "inference", timeout=120)
        pending = client.create_customer(owner, "Pending Customer")
        if (pending["latest_prediction"] or {}).get("status") != "pending":
            raise StepFailed(f"expected a pending prediction with inference stopped: {pending}")
    with step(f"start inference: the pending prediction completes within {PREDICTION_DEADLINE_SECONDS} s"):
        stack.compose("start", "inference", timeout=120)
        wait_for_score(client, owner, pending["id"], PREDICTION_DEADLINE_SECONDS)
    with step("UI answers its health route and serves the login page"):
        health = client.http.get(stack.urls["ui"] + "/_stcore/health")
        if health.status_code != 200 or health.text.strip() != "ok":
            raise StepFailed(f"UI health: {health.status_code} {health.text[:200]}")
        page = client.http.get(stack.urls["ui"] + "/")
        if page.status_code != 200 or 'id="root"' not in page.text:
            raise StepFailed(f"UI page: {page.status_code} {page.text[:200]}")
    with step("auth counts login failures per browser address from the UI, and only from the UI"):
        check_forwarded_addresses(client, stack)
    with step("down (volumes kept), up again: the owner and the customers are still there"):
        stack.compose("down", timeout=300)
        began = time.monotonic()
        stack.compose("up", "-d", "--wait", "--no-build", timeout=600)
        figures.append(f"up -d --wait again, over the kept volume: {time.monotonic() - began:.0f} s")
        owner = client.login(owner_email, owner_password)
        page = client.expect(client.http.get(stack.urls["customers"] + "/customers", headers=owner), 200)
        names = sorted(item["name"] for item in page["items"])
        if names != ["First Customer", "Pending Customer"]:
            raise StepFailed(f"customers after a restart: {names}")


def fail(message: str) -> NoReturn:
    say(f"FAILED: {message}")
    sys.exit(1)


def main() -> None:
    engine = Engine()
    try:
        with step("Docker Engine and Compose v2"):
            engine.ensure()
        with tempfile.TemporaryDirectory(prefix="spendscore-compose-") as workdir:
            end_to_end(engine, Path(workdir))
        say("container test passed")
    except (StepFailed, subprocess.TimeoutExpired, httpx.HTTPError) as exc:
        fail(str(exc))
    finally:
        engine.stop()


if __name__ == "__main__":
    main()
