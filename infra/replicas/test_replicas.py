"""`make test-replicas`: two replicas of every service behind a real HAProxy, as ECS with N tasks runs
them (issue 27). Not part of `make test`: it starts nine processes and a browser."""

import asyncio
import contextlib
import re
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import asyncpg
import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from spendscore_ui.session_cookie import BROWSER_COOKIE, COOKIE_NAME, SESSION_HEADER, START_PATH
from testkit.browser import chromium
from testkit.processes import REPO_ROOT, run_module
from testkit.replicas import ReplicatedStack

pytestmark = [
    pytest.mark.filterwarnings("ignore:XDG_RUNTIME_DIR is not set"),
    # Nine processes start at once before the first check: more than the suite's 300 s on a busy machine.
    pytest.mark.timeout(600),
]

WAIT_MS = 60_000
CAP = 1000
REVOCATION_LIMIT_SECONDS = 10.0
PASSWORD = "owner-password-1"


@pytest.fixture(scope="module")
def replicas_model() -> Path:
    """A model trained by the real training code once, then kept under .tools/ (git-ignored) for the
    next runs: training takes minutes on a busy machine, and these checks are not about the model."""
    path = REPO_ROOT / ".tools" / "replicas" / "spendscore-model.joblib"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        run_module(["-m", "inference_service.training", "--output", str(path), "--no-card"], {})
    return path


@pytest.fixture(scope="module")
def stack(test_postgres, replicas_model, tmp_path_factory) -> Iterator[ReplicatedStack]:
    started = ReplicatedStack(
        test_postgres, tmp_path_factory.mktemp("replicas"), replicas_model, max_customers_per_owner=CAP
    )
    try:
        yield started.start()
    finally:
        started.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    try:
        with chromium() as launched:
            yield launched
    except RuntimeError as missing:
        pytest.fail(str(missing))


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def csv_of(rows: int, label: str) -> bytes:
    lines = [f"{label} {index},female,{18 + index % 60},{20 + index % 100}" for index in range(rows)]
    return ("name,gender,age,annual_income\n" + "\n".join(lines) + "\n").encode()


def total_of(stack: ReplicatedStack, token: str) -> int:
    listed = httpx.get(stack.url("customers") + "/customers", params={"limit": 1}, headers=bearer(token))
    listed.raise_for_status()
    return int(listed.json()["total"])


def import_file(stack: ReplicatedStack, token: str, content: bytes, name: str = "c.csv") -> httpx.Response:
    return httpx.post(
        stack.url("customers") + "/customers/import",
        files={"file": (name, content, "text/csv")},
        headers=bearer(token),
        timeout=120,
    )


def sign_in(page: Page, email: str) -> None:
    page.get_by_role("textbox", name="Email").fill(email)
    page.get_by_role("textbox", name="Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def expect_signed_in(page: Page) -> None:
    expect(page.get_by_role("heading", name="Customers").first).to_be_visible(timeout=WAIT_MS)


def expect_login_page(page: Page) -> None:
    expect(page.get_by_role("button", name="Sign in")).to_be_visible(timeout=WAIT_MS)


def session_cookie(context: BrowserContext, timeout: float = 60.0) -> str | None:
    """The HttpOnly session cookie once the page's background hand-off set it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for cookie in context.cookies():
            if cookie["name"] == COOKIE_NAME and cookie["value"]:
                return cookie["value"]
        time.sleep(0.2)
    return None


def test_every_replica_started_at_once_from_an_empty_database(stack: ReplicatedStack) -> None:
    for group in stack.replicas.values():
        assert len(group) == 2
        for replica in group:
            assert replica.exit_code is None, f"{replica.name}:\n{replica.log_tail()}"
            assert replica.is_ready(), replica.name
    # The bootstrap admin exists once although both auth replicas ensured it at the same moment.
    assert stack.login(stack.admin_email, stack.admin_password)


def test_ten_sign_ins_through_the_ui_balancer_survive_a_refresh(
    stack: ReplicatedStack, browser: Browser
) -> None:
    _owner_id, email, _token = stack.create_owner(PASSWORD)
    survived = 0
    for _ in range(10):
        context = browser.new_context()
        try:
            page = context.new_page()
            page.goto(stack.url("ui") + "/")
            expect_login_page(page)
            sign_in(page, email)
            expect_signed_in(page)
            assert session_cookie(context) is not None
            page.reload()
            expect_signed_in(page)
            expect(page.get_by_role("button", name="Sign in")).to_have_count(0)
            survived += 1
        finally:
            context.close()
    assert survived == 10


def captured_code(browser: Browser, ui_url: str, email: str) -> tuple[str, str]:
    """Sign in straight at one UI replica, keep the page's sign-in code from reaching it: (code,
    the browser cookie the code is bound to)."""
    context = browser.new_context()
    codes: list[str] = []

    def keep_code(route, request) -> None:  # type: ignore[no-untyped-def]
        body = request.post_data_json or {}
        codes.append(str(body.get("code", "")))
        route.abort()

    try:
        context.route(re.compile(r".*/session/start$"), keep_code)
        page = context.new_page()
        page.goto(ui_url + "/")
        expect_login_page(page)
        sign_in(page, email)
        expect_signed_in(page)
        deadline = time.monotonic() + 60
        while not codes and time.monotonic() < deadline:
            page.wait_for_timeout(200)
        browser_cookie = next(
            cookie["value"] for cookie in context.cookies() if cookie["name"] == BROWSER_COOKIE
        )
    finally:
        context.close()
    assert codes and codes[0]
    return codes[0], browser_cookie


def redeem(url: str, code: str, browser_cookie: str) -> httpx.Response:
    return httpx.post(
        url + START_PATH,
        json={"code": code},
        headers={SESSION_HEADER: "1"},
        cookies={BROWSER_COOKIE: browser_cookie},
    )


def test_a_code_from_one_ui_replica_is_redeemed_once_by_the_other(
    stack: ReplicatedStack, browser: Browser
) -> None:
    _owner_id, email, _token = stack.create_owner(PASSWORD)
    first, second = stack.replicas["ui"]
    code, browser_cookie = captured_code(browser, first.url, email)
    redeemed = redeem(second.url, code, browser_cookie)
    assert redeemed.status_code == 204
    assert redeemed.cookies.get(COOKIE_NAME)
    for url in (second.url, first.url, stack.url("ui")):
        again = redeem(url, code, browser_cookie)
        assert again.status_code == 403 and COOKIE_NAME not in again.cookies


def test_sign_out_ends_the_session_on_every_replica(stack: ReplicatedStack, browser: Browser) -> None:
    _owner_id, email, _token = stack.create_owner(PASSWORD)
    first, second = stack.replicas["ui"]
    code, browser_cookie = captured_code(browser, first.url, email)
    cookie_value = redeem(first.url, code, browser_cookie).cookies[COOKIE_NAME]

    def context_with_the_cookie() -> BrowserContext:
        context = browser.new_context()
        context.add_cookies(
            [
                {"name": COOKIE_NAME, "value": cookie_value, "url": first.url},
                {"name": BROWSER_COOKIE, "value": browser_cookie, "url": first.url},
            ]
        )
        return context

    signed_in = context_with_the_cookie()
    try:
        for replica in (first, second):  # the cookie opens a session on either replica
            page = signed_in.new_page()
            page.goto(replica.url + "/")
            expect_signed_in(page)
        page.get_by_role("button", name="Sign out").click()  # on the second replica
        expect_login_page(page)
    finally:
        signed_in.close()
    # The same cookie, kept by someone, opens nothing anywhere: not on the replica that signed out,
    # and not on the first one, which never saw the sign-out.
    replayed = context_with_the_cookie()
    try:
        for replica in (first, second):
            page = replayed.new_page()
            page.goto(replica.url + "/")
            expect_login_page(page)
    finally:
        replayed.close()


def test_revocation_reaches_every_replica_within_ten_seconds(stack: ReplicatedStack) -> None:
    _owner_id, _email, token = stack.create_owner(PASSWORD)
    probes = [(replica, "/users/me") for replica in stack.replicas["auth"]]
    probes += [(replica, "/customers") for replica in stack.replicas["customers"]]
    probes += [(replica, "/model") for replica in stack.replicas["inference"]]
    for replica, path in probes:
        assert httpx.get(replica.url + path, headers=bearer(token)).status_code == 200, replica.name
    changed = httpx.put(
        stack.url("auth") + "/users/me/password",
        json={"current_password": PASSWORD, "new_password": "owner-password-2"},
        headers=bearer(token),
    )
    assert changed.status_code in (200, 204), changed.text
    revoked_at = time.monotonic()
    waiting = list(probes)
    slowest = 0.0
    while waiting and time.monotonic() - revoked_at <= REVOCATION_LIMIT_SECONDS:
        for probe in list(waiting):
            replica, path = probe
            if httpx.get(replica.url + path, headers=bearer(token)).status_code == 401:
                slowest = time.monotonic() - revoked_at
                waiting.remove(probe)
        time.sleep(0.1)
    assert not waiting, [replica.name for replica, _ in waiting]
    print(f"\nrevocation reached all 6 API replicas within {slowest:.1f} s")  # noqa: T201


def test_the_customer_cap_is_exact_under_concurrent_creates_and_imports(stack: ReplicatedStack) -> None:
    _owner_id, _email, token = stack.create_owner()
    assert import_file(stack, token, csv_of(CAP - 10, "Seed")).status_code == 201

    def create(index: int) -> int:
        body = {"name": f"Concurrent {index}", "gender": "female", "age": 30, "annual_income": 50}
        return httpx.post(
            stack.url("customers") + "/customers", json=body, headers=bearer(token), timeout=60
        ).status_code

    with ThreadPoolExecutor(20) as pool:
        statuses = sorted(pool.map(create, range(20)))
    assert statuses == [201] * 10 + [409] * 10
    assert total_of(stack, token) == CAP

    _other_id, _other_email, other = stack.create_owner()
    assert import_file(stack, other, csv_of(CAP - 12, "Seed")).status_code == 201
    # Two at once (the per-owner limit lets no more run together).
    with ThreadPoolExecutor(2) as pool:
        replies = list(
            pool.map(
                lambda index: import_file(stack, other, csv_of(8, f"File {index}"), f"f{index}.csv"), range(2)
            )
        )
    assert sorted(reply.status_code for reply in replies) == [201, 409]
    assert total_of(stack, other) == CAP - 4


@contextlib.contextmanager
def slots_held(database_url: str, owner_id: str, slots: int) -> Iterator[None]:
    """Hold the owner's first ``slots`` expensive-call slots from a connection of our own, as calls
    running on some other replica would."""
    taken, release = threading.Event(), threading.Event()

    async def hold() -> None:
        connection = await asyncpg.connect(database_url)
        try:
            for index in range(slots):
                await connection.execute(
                    "SELECT pg_advisory_lock(hashtextextended($1, 0))",
                    f"expensive-call-slot:{owner_id}:{index}",
                )
            taken.set()
            while not release.is_set():
                await asyncio.sleep(0.05)
        finally:
            await connection.close()

    holder = threading.Thread(target=asyncio.run, args=(hold(),))
    holder.start()
    try:
        assert taken.wait(30)
        yield
    finally:
        release.set()
        holder.join(30)


def test_the_per_owner_limit_holds_across_replicas(stack: ReplicatedStack) -> None:
    owner_id, _email, token = stack.create_owner()
    database_url = stack.database_urls["customers"]
    with slots_held(database_url, owner_id, 2):
        for replica in stack.replicas["customers"]:
            refused = httpx.get(replica.url + "/customers/export", headers=bearer(token))
            assert refused.status_code == 429, replica.name
            assert int(refused.headers["retry-after"]) > 0
    with slots_held(database_url, owner_id, 1):  # one call running elsewhere: one more may run here
        assert (
            httpx.get(stack.url("customers") + "/customers/export", headers=bearer(token)).status_code == 200
        )
    for replica in stack.replicas["customers"]:
        assert httpx.get(replica.url + "/customers/export", headers=bearer(token)).status_code == 200
    # A burst through the balancer: whatever runs at once, never more than 2 (the rest 429).
    files = [csv_of(100, f"Burst {index}") for index in range(8)]
    with ThreadPoolExecutor(8) as pool:
        replies = list(
            pool.map(lambda index: import_file(stack, token, files[index], f"b{index}.csv"), range(8))
        )
    assert {reply.status_code for reply in replies} <= {201, 429}
    assert any(reply.status_code == 201 for reply in replies)


def test_kill_9_of_one_replica_of_each_service_under_write_load_loses_nothing(stack: ReplicatedStack) -> None:
    writers = [stack.create_owner()[2] for _ in range(4)]
    acknowledged: list[tuple[str, str]] = []
    failed = 0
    stop = threading.Event()
    lock = threading.Lock()

    def write(token: str) -> None:
        nonlocal failed
        with httpx.Client(base_url=stack.url("customers"), headers=bearer(token), timeout=30) as client:
            while not stop.is_set():
                body = {
                    "name": f"Load {uuid.uuid4().hex[:8]}",
                    "gender": "male",
                    "age": 40,
                    "annual_income": 60,
                }
                try:
                    reply = client.post("/customers", json=body)
                except httpx.HTTPError:
                    reply = None
                with lock:
                    if reply is not None and reply.status_code == 201:
                        acknowledged.append((token, reply.json()["id"]))
                    else:
                        failed += 1

    threads = [threading.Thread(target=write, args=(token,)) for token in writers]
    for thread in threads:
        thread.start()
    time.sleep(4)
    for service in ("customers", "auth", "inference", "ui"):
        stack.replicas[service][1].kill()
    time.sleep(8)
    stop.set()
    for thread in threads:
        thread.join(60)
    assert acknowledged
    lost = [
        customer_id
        for token, customer_id in acknowledged
        if httpx.get(stack.url("customers") + f"/customers/{customer_id}", headers=bearer(token)).status_code
        != 200
    ]
    figures = f"{len(acknowledged)} writes acknowledged, {failed} failed, {len(lost)} lost"
    print(f"\nkill -9 of one replica of each service under 4 writers: {figures}")  # noqa: T201
    assert lost == []
