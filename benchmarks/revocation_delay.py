"""How long a revoked token keeps working on the other services: `python -m benchmarks.revocation_delay`.

The real auth, inference and customers processes run on free ports. Each trial signs a user in, checks
that the token works on customers and inference, changes the password, then polls both services every
20 ms with the old token: the delay is the time from the password change's answer until both refuse it
(401). Prints the median and the maximum over the trials.
"""

import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

from testkit.stack import LocalStack

POLL_SECONDS = 0.02
GIVE_UP_SECONDS = 30.0


def measure(stack: LocalStack, client: httpx.Client, trial: int) -> float:
    account = stack.create_user()
    probes = [stack.urls["customers"] + "/customers", stack.urls["inference"] + "/model"]
    for url in probes:
        client.get(url, headers=account.headers).raise_for_status()
    changed = client.put(
        stack.urls["auth"] + "/users/me/password",
        json={"current_password": account.password, "new_password": f"revocation-trial-{trial}"},
        headers=account.headers,
    )
    changed.raise_for_status()
    changed_at = time.perf_counter()
    waiting = set(probes)
    while waiting:
        if time.perf_counter() - changed_at > GIVE_UP_SECONDS:
            raise RuntimeError(f"still accepted after {GIVE_UP_SECONDS} s: {sorted(waiting)}")
        waiting = {url for url in waiting if client.get(url, headers=account.headers).status_code != 401}
        if waiting:
            time.sleep(POLL_SECONDS)
    return time.perf_counter() - changed_at


def main(trials: int = 20) -> None:
    from testkit.postgres import TestPostgres
    from testkit.processes import run_module

    postgres = TestPostgres()
    try:
        with tempfile.TemporaryDirectory(prefix="revocation-bench-") as workdir:
            model_path = Path(workdir) / "model.joblib"
            run_module(["-m", "inference_service.training", "--output", str(model_path), "--no-card"], {})
            stack = LocalStack(postgres, Path(workdir), model_path)
            try:
                stack.start_all()
                with httpx.Client(timeout=10) as client:
                    delays = [measure(stack, client, trial) for trial in range(trials)]
            finally:
                stack.close()
    finally:
        postgres.close()
    sys.stdout.write(
        f"revocation delay over {trials} trials: median {statistics.median(delays):.2f} s, "
        f"max {max(delays):.2f} s (min {min(delays):.2f} s)\n"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
