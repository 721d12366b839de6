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

import ipaddress
import json
import os
import platform
import random
import re
import secrets
import shlex
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

from scripts.compose_secrets import configured_values, write_secrets

REPO_ROOT = Path(__file__).resolve().parent.parent
STATE_DIR = REPO_ROOT / ".tools" / "containers"
# This run's own project, image tag and subnet: it can run beside a `make up` stack on the same engine.
RUN_ID = uuid.uuid4().hex[:8]
PROJECT = f"spendscore-containertest-{RUN_ID}"
VERSION = f"containertest-{RUN_ID}"
# Targets of the one Dockerfile, built and tagged by Compose (the services' `image:`, with this run's own
# SPENDSCORE_VERSION, so that a `make up` stack's images on the same engine keep their tags); the migrate
# jobs run the auth and customers images.
DOCKERFILE = "Dockerfile"
IMAGES = ("auth", "customers", "inference", "ui")
# Every container of ours: non-root, read-only root filesystem, no capability, no new privileges.
HARDENED = ("auth", "customers", "inference", "ui")
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


def free_subnet(engine_subnets: list[str]) -> ipaddress.IPv4Network:
    """A /24 of 10.213.0.0/16 that no route of the host and no network of the engine overlaps."""
    routes = run(["ip", "-4", "route"], check=False).stdout.split()
    taken = [ipaddress.ip_network(word, strict=False) for word in routes + engine_subnets if "/" in word]
    candidates = list(ipaddress.IPv4Network("10.213.0.0/16").subnets(new_prefix=24))
    random.shuffle(candidates)
    for candidate in candidates:
        if not any(candidate.overlaps(network) for network in taken if network.version == 4):
            return candidate
    raise StepFailed("no free /24 in 10.213.0.0/16 for the test's network")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def dockerfile_default(name: str) -> str:
    """The official image a Dockerfile names by default for the build argument ``name``."""
    match = re.search(rf"^ARG {name}=(\S+)$", (REPO_ROOT / DOCKERFILE).read_text(), re.MULTILINE)
    assert match, f"the Dockerfile has no default for {name}"
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

    def network_subnets(self) -> list[str]:
        """The subnets of the engine's networks (another project's, a `make up` stack's)."""
        ids = self.docker("network", "ls", "--quiet", timeout=30).stdout.split()
        if not ids:
            return []
        template = "{{range .IPAM.Config}}{{.Subnet}} {{end}}"
        return self.docker("network", "inspect", "--format", template, *ids, timeout=30).stdout.split()

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

    def own_bridges(self) -> set[str]:
        """The host interfaces of this engine's bridge networks (docker0 only if this run created it)."""
        bridges = {"docker0"} if self.created_bridge else set()
        listed = self.docker("network", "ls", "--filter", "driver=bridge", "--no-trunc", "--format",
                             "{{.ID}} {{.Name}}", timeout=30, check=False).stdout.split("\n")  # fmt: skip
        for line in listed:
            if line.strip() and line.split()[1] != "bridge":
                bridges.add(f"br-{line.split()[0][:12]}")
        return bridges

    def stop(self) -> None:
        if self.process is None:
            return
        bridges = self.own_bridges()
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.created_bridge and Path("/sys/class/net/docker0").exists():
            run(["ip", "link", "delete", "docker0"], check=False)
        if self.host_network is not None:
            self.host_network.restore(bridges)
        if self.runtime_dir is not None:
            shutil.rmtree(self.runtime_dir, ignore_errors=True)
        say("stopped the private Docker Engine")


class HostNetwork:
    """What dockerd changes on the host and leaves when it stops: iptables chains and rules (and the FORWARD
    policy, which it sets to DROP) and IP forwarding. Only what this engine added is taken away: the rules
    naming its bridges, and Docker's shared chains and jumps only when no other engine's bridge uses them
    (restoring a snapshot would wipe the rules another engine added meanwhile)."""

    IP_FORWARD = Path("/proc/sys/net/ipv4/ip_forward")
    TABLES = ("filter", "nat")

    def __init__(self, rules: dict[str, list[str]] | None, ip_forward: str):
        self.rules = rules
        self.ip_forward = ip_forward

    @staticmethod
    def save(table: str) -> list[str] | None:
        saved = run(["iptables-save", "-t", table], check=False)
        return saved.stdout.splitlines() if saved.returncode == 0 else None

    @classmethod
    def capture(cls) -> "HostNetwork":
        rules: dict[str, list[str]] | None = None
        if shutil.which("iptables-save"):
            tables = {table: cls.save(table) for table in cls.TABLES}
            rules = {table: lines for table, lines in tables.items() if lines is not None}
        return cls(rules, cls.IP_FORWARD.read_text())

    def restore(self, own_interfaces: set[str]) -> None:
        for table, before in (self.rules or {}).items():
            now = self.save(table) or []
            self.remove_added(table, before, now, own_interfaces)
        if self.IP_FORWARD.read_text() != self.ip_forward:
            self.IP_FORWARD.write_text(self.ip_forward)

    def remove_added(self, table: str, before: list[str], now: list[str], own_interfaces: set[str]) -> None:
        def interfaces(rule: list[str]) -> set[str]:
            return {rule[i + 1] for i, word in enumerate(rule[:-1]) if word in ("-i", "-o")}

        added = [shlex.split(line)[1:] for line in now if line.startswith("-A ") and line not in before]
        ours = [rule for rule in added if interfaces(rule) & own_interfaces]
        foreign = [rule for rule in added if interfaces(rule) - own_interfaces]
        shared = [rule for rule in added if not interfaces(rule)]
        removable = ours + ([] if foreign else shared)
        for rule in reversed(removable):
            run(["iptables", "-t", table, "-D", *rule], check=False)
        if foreign:
            return  # another engine still uses Docker's chains and the FORWARD policy
        chains_before = {line.split()[0][1:]: line.split()[1] for line in before if line.startswith(":")}
        for line in now:
            if not line.startswith(":"):
                continue
            chain, policy = line.split()[0][1:], line.split()[1]
            if chain not in chains_before:
                run(["iptables", "-t", table, "-F", chain], check=False)
                run(["iptables", "-t", table, "-X", chain], check=False)
            elif policy != "-" and policy != chains_before[chain]:
                run(["iptables", "-t", table, "-P", chain, chains_before[chain]], check=False)


def apt_install(package: str) -> None:
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise StepFailed(f"no Docker Engine here and cannot install Debian's {package}: install one")
    with step(f"apt-get install {package}"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        # Another apt may hold the dpkg lock (a second test run, an image's set-up): wait for it.
        lock = ["-o", "DPkg::Lock::Timeout=600"]
        run(["apt-get", *lock, "update", "-qq"], env=env)
        run(["apt-get", *lock, "install", "-y", "-qq", package], env=env)


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
    # Always built: its layers are cached, and a changed entrypoint must not be missed.
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
        self.subnet = free_subnet(engine.network_subnets())
        self.ports = {name: free_port() for name in PUBLISHED}
        self.urls = {name: f"http://127.0.0.1:{port}" for name, port in self.ports.items()}
        self.admin_email = "admin@containertest.example"
        self.admin_password = secrets.token_urlsafe(18)
        self.env_file = workdir / ".env"
        self.override = workdir / "docker-compose.override.yml"
        self.secrets_dir = workdir / "secrets"
        self.env_file.write_text(self.generated_env(bases))
        self.override.write_text(self.host_override())
        # What `make up` does before `docker compose up`: the secrets as files, from the .env.
        written = write_secrets(configured_values(self.env_file, {}), self.secrets_dir)
        self.secrets = {path.name: path.read_text() for path in written}

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
            "SPENDSCORE_VERSION": VERSION,
            "SPENDSCORE_SUBNET": str(self.subnet),
            "SPENDSCORE_UI_ADDRESS": str(self.subnet.network_address + 10),
            "SPENDSCORE_SECRETS_DIR": str(self.secrets_dir),
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
        image = f"spendscore-{name}:{VERSION}"
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
        with step("down -v, and this run's image tags removed"):
            stack.compose("down", "-v", "--remove-orphans", timeout=300)
            for name in IMAGES:
                engine.docker("image", "rm", f"spendscore-{name}:{VERSION}", timeout=120, check=False)


def container_id(stack: Stack, service: str) -> str:
    return stack.compose("ps", "--quiet", service, timeout=60).stdout.strip()


def inspect(stack: Stack, service: str) -> dict[str, Any]:
    output = stack.engine.docker("inspect", container_id(stack, service), timeout=60).stdout
    (details,) = json.loads(output)
    return dict(details)


def check_secrets_are_files(stack: Stack) -> None:
    """No secret in any container's environment (what `docker inspect` shows), each one a file in
    /run/secrets of the services that use it."""
    for service in ("postgres", *HARDENED):
        environment = "\n".join(inspect(stack, service)["Config"]["Env"] or [])
        shown = [name for name, value in stack.secrets.items() if value in environment]
        if shown:
            raise StepFailed(f"{service}: secrets in the environment: {shown}")
    readable = stack.compose(
        "exec", "-T", "auth", "python", "-c",
        "import os; print(sorted(os.listdir('/run/secrets')))", timeout=60,
    ).stdout.strip()  # fmt: skip
    expected = str(
        ["auth_database_url", "auth_private_key", "bootstrap_admin_password", "customers_service_secret"]
    )
    if readable != expected:
        raise StepFailed(f"auth's /run/secrets: {readable}, expected {expected}")


def check_ui_logs_are_json(stack: Stack) -> int:
    """Every line the UI container wrote (Streamlit's and uvicorn's included) is one JSON object of the UI."""
    # The engine's own log of the container: `compose logs` adds terminal control sequences of its own.
    logged = stack.engine.docker("logs", container_id(stack, "ui"), timeout=120)
    lines = [line for line in (logged.stdout + logged.stderr).splitlines() if line.strip()]
    for line in lines:
        try:
            if json.loads(line)["service"] != "ui":
                raise ValueError("not the UI's")
        except (ValueError, KeyError, TypeError) as error:
            raise StepFailed(f"a UI log line that is not the UI's JSON ({error}): {line[:200]}") from None
    if not lines:
        raise StepFailed("the UI logged nothing")
    return len(lines)


def check_hardening(stack: Stack) -> None:
    for service in HARDENED:
        details = inspect(stack, service)
        host = details["HostConfig"]
        problems = []
        if details["Config"]["User"] in ("", "0", "root"):
            problems.append(f"user {details['Config']['User']!r}")
        if not host["ReadonlyRootfs"]:
            problems.append("writable root filesystem")
        if "ALL" not in (host.get("CapDrop") or []) or host.get("CapAdd"):
            problems.append(f"capabilities: drop {host.get('CapDrop')}, add {host.get('CapAdd')}")
        if not any(option.startswith("no-new-privileges") for option in host.get("SecurityOpt") or []):
            problems.append("new privileges allowed")
        if not host.get("Memory") or not host.get("NanoCpus") or not host.get("PidsLimit"):
            problems.append(f"limits: memory {host.get('Memory')}, cpus {host.get('NanoCpus')}")
        if host["LogConfig"].get("Config", {}).get("max-size") is None:
            problems.append(f"logs not rotated: {host['LogConfig']}")
        uid = stack.compose("exec", "-T", service, "id", "-u", timeout=60).stdout.strip()
        if uid == "0":
            problems.append("its process runs as root")
        written = stack.compose(
            "exec", "-T", service, "python", "-c", "open('/app/probe', 'w')", timeout=60, check=False
        )
        if written.returncode == 0:
            problems.append("/app is writable")
        if problems:
            raise StepFailed(f"{service}: " + "; ".join(problems))


def check_ui_in_browser(stack: Stack, email: str, password: str) -> None:
    """Sign in as a browser does, through the published port, and see the customers list and a customer:
    Streamlit's static page answers even when every page of the app is broken."""
    from playwright.sync_api import expect, sync_playwright

    wait_ms = 60_000
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            page = browser.new_context(locale="en-US", viewport={"width": 1400, "height": 1000}).new_page()
            page.goto(stack.urls["ui"] + "/", wait_until="domcontentloaded")
            page.get_by_role("textbox", name="Email").fill(email)
            page.get_by_role("textbox", name="Password").fill(password)
            page.get_by_role("button", name="Sign in").click()
            expect(page.get_by_role("heading", name="Customers", exact=True).first).to_be_visible(
                timeout=wait_ms
            )
            # Each customer of the list is a link to its page.
            first = page.get_by_role("main").locator('a[href*="/customer?id="]').first
            expect(first).to_be_visible(timeout=wait_ms)
            if page.get_by_test_id("stException").count():
                raise StepFailed("the customers page shows an exception")
            first.click()
            expect(page.get_by_text(re.compile("(First|Pending) Customer")).first).to_be_visible(
                timeout=wait_ms
            )
        except AssertionError as error:
            raise StepFailed(f"UI in the browser: {error}") from error
        finally:
            browser.close()


def check_restart_after_crash(stack: Stack, client: Client, owner: dict[str, str]) -> float:
    """kill -9 of the container's main process from the host (`docker kill` is a manual stop, which
    `restart: unless-stopped` honours): the engine starts it again and it becomes healthy."""
    before = inspect(stack, "customers")
    os.kill(int(before["State"]["Pid"]), signal.SIGKILL)
    began = time.monotonic()
    deadline = began + 120
    while True:
        state = inspect(stack, "customers")
        restarted = state["RestartCount"] > before["RestartCount"]
        if restarted and state["State"].get("Health", {}).get("Status") == "healthy":
            break
        if time.monotonic() > deadline:
            raise StepFailed(f"customers not back within 120 s after kill -9: {state['State']}")
        time.sleep(1)
    back_after = time.monotonic() - began
    client.expect(client.http.get(stack.urls["customers"] + "/customers", headers=owner), 200)
    return back_after


def check_backup_round_trip(stack: Stack, client: Client, owner: dict[str, str]) -> None:
    compose_args = [
        f"--compose-arg={argument}"
        for argument in (
            f"--project-name={PROJECT}", f"--project-directory={REPO_ROOT}", f"--env-file={stack.env_file}",
            f"--file={REPO_ROOT / 'docker-compose.yml'}", f"--file={stack.override}",
        )
    ]  # fmt: skip
    backups = stack.workdir / "backups"

    def backup_command(*args: str) -> None:
        command = [sys.executable, "-m", "scripts.database_backup", "--compose", *compose_args, *args]
        run(command, env=stack.engine.env, cwd=REPO_ROOT, timeout=300)

    def names() -> list[str]:
        page = client.expect(client.http.get(stack.urls["customers"] + "/customers", headers=owner), 200)
        return sorted(item["name"] for item in page["items"])

    before = names()
    backup_command("backup", "--dir", str(backups))
    (archive,) = backups.glob("spendscore-backup-*.tar")
    client.create_customer(owner, "After The Backup")
    stack.compose("stop", "ui", "customers", "auth", timeout=180)
    backup_command("restore", str(archive))
    stack.compose("up", "-d", "--wait", "--no-build", timeout=600)
    if names() != before:
        raise StepFailed(f"after the restore: {names()} instead of {before}")


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
    with step("every container of ours: non-root, read-only, no capability, no new privileges, rotated logs"):
        check_hardening(stack)
    with step("secrets are files (Compose secrets), in no container's environment"):
        check_secrets_are_files(stack)
    with step("a browser signs in through the UI's published port and opens a customer of the list"):
        check_ui_in_browser(stack, owner_email, owner_password)
    with step("the UI's logs are JSON lines"):
        say(f"{check_ui_logs_are_json(stack)} JSON lines")
    with step("kill -9 of customers' process from the host: restarted, healthy, serving"):
        figures.append(
            f"customers back after kill -9: {check_restart_after_crash(stack, client, owner):.0f} s"
        )
    with step("backup (make backup COMPOSE=1), a change, restore: the change is gone"):
        check_backup_round_trip(stack, client, owner)
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
