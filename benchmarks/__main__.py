"""`make bench`: every benchmark of the project in one run, written as one Markdown report.

Each figure is the median over several rounds with the min-max of the rounds; each comparison is a ratio
measured in the same run. Writes the table of docs/benchmarks.md (and prints it), keeping the notes below it.
Bounded: about 25 minutes on 2 cores, of which about 8 for the model servers (their environments are
made once, a few minutes more) and 6 for the import before/after (``BENCH_SCALE_SIZES=10000,100000``
leaves out the million; ``BENCH_ONLY=peers_rows,import_rows`` runs named sections alone, unwritten).
"""

import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks import (
    auth_bench,
    customers_bench,
    explanation_bench,
    import_bench,
    inference_bench,
    peers_bench,
    request_path_bench,
    scale_bench,
    store_bench,
    tracing_bench,
)

REPORT = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))


@dataclass
class Row:
    area: str
    what: str
    samples: Sequence[float]
    unit: str
    target: str = ""

    def figure(self) -> str:
        median, low, high = statistics.median(self.samples), min(self.samples), max(self.samples)
        digits = 0 if median >= 100 else 1 if median >= 10 else 2
        spread = f" ({low:.{digits}f}–{high:.{digits}f})" if len(self.samples) > 1 else ""
        return f"{median:.{digits}f}{spread} {self.unit}"


def per_round(rounds: list[dict[str, Any]], key: str) -> list[float]:
    return [float(result[key]) for result in rounds]


def auth_rows() -> list[Row]:
    logins = [auth_bench.login_latency(runs=5) for _ in range(ROUNDS)]
    tokens = [auth_bench.token_verification_cost(runs=5) for _ in range(ROUNDS)]
    rounds = f"bcrypt cost {logins[0]['bcrypt_rounds']}"
    return [
        Row("auth", f"login, right password ({rounds})", per_round(logins, "login_ok_median_ms"), "ms"),
        Row("auth", "login, wrong password", per_round(logins, "wrong_password_median_ms"), "ms"),
        Row("auth", "login, unknown email (dummy hash)", per_round(logins, "unknown_email_median_ms"), "ms"),
        Row("auth", "token verification, signature + claims", per_round(tokens, "verify_median_us"), "µs"),
        Row(
            "auth", "token verification, already verified", per_round(tokens, "verify_cached_median_us"), "µs"
        ),
    ]


def inference_rows() -> list[Row]:
    in_process = inference_bench.run_all(in_process_rounds=ROUNDS)["in_process"]
    return [
        Row(
            "inference",
            "one row in-process (predict_one, what the route runs), p50",
            per_round(in_process, "single_row_p50_us"),
            "µs",
            "≤ 100 µs",
        ),
        Row(
            "inference",
            "same row through predict() on a one-row matrix, p50",
            per_round(in_process, "single_row_numpy_p50_us"),
            "µs",
        ),
        Row(
            "inference",
            "same row through scikit-learn's own predict, p50",
            per_round(in_process, "single_row_sklearn_p50_us"),
            "µs",
        ),
        Row(
            "inference",
            "10,000-row batch, model time (score, interval, segment, modes)",
            per_round(in_process, "batch_10k_model_ms"),
            "ms",
            "≤ 50 ms",
        ),
        Row(
            "inference",
            "10,000-row batch, with the answers",
            per_round(in_process, "batch_10k_with_answers_ms"),
            "ms",
        ),
    ]


def request_path_rows() -> list[Row]:
    results = request_path_bench.run_all(ROUNDS)
    rows = []
    predict, reads = results.predict, results.reads
    names = {
        "ours": "our inference service (token, model, metrics, log line)",
        "bare": "bare stack: same FastAPI + uvicorn, constant answer",
        "naive": "the original's way: pandas + scikit-learn per request",
        "before": "our inference service at BENCH_BEFORE",
    }
    for figure, unit in (("requests_per_second", "req/s"), ("requests_per_cpu_second", "req/CPU-s")):

        def samples(runs: list[request_path_bench.Run], figure: str = figure) -> list[float]:
            return [getattr(run, figure) for run in runs]

        for name, runs in predict.items():
            rows.append(Row("POST /model/predict", names[name], samples(runs), unit))
        for other, target in (("bare", "≥ 0.5×"), ("naive", "≥ 4×"), ("before", "")):
            if other in predict:
                ratios = [
                    o / b for o, b in zip(samples(predict["ours"]), samples(predict[other]), strict=True)
                ]
                rows.append(Row("POST /model/predict", f"ratio ours / {other}, {unit}", ratios, "×", target))
        for name, runs in reads.items():
            rows.append(Row("GET", name, samples(runs), unit))
        for endpoint in ("customer", "users/me"):
            if f"{endpoint} before" in reads:
                after, before = samples(reads[f"{endpoint} after"]), samples(reads[f"{endpoint} before"])
                ratios = [a / b for a, b in zip(after, before, strict=True)]
                rows.append(Row("GET", f"{endpoint}: ratio after / before, {unit}", ratios, "×"))
    rows.append(
        Row(
            "inference",
            "service resident memory after the HTTP runs",
            [results.ours_rss_mb],
            "MB",
            "≤ 250 MB",
        )
    )
    return rows


def tracing_rows() -> list[Row]:
    """OpenTelemetry on the hot path (issue 28): off, on, and the code before tracing, in the same run."""
    results = tracing_bench.tracing_comparison(ROUNDS)
    names = {
        "before": "inference before tracing existed",
        "off": "inference, tracing off (no OTLP endpoint)",
        "on": "inference, tracing on (every span exported over OTLP)",
    }
    rows = []
    for figure, unit in (("requests_per_second", "req/s"), ("requests_per_cpu_second", "req/CPU-s")):
        samples = {name: [getattr(run, figure) for run in runs] for name, runs in results.items()}
        rows += [Row("tracing", names[name], values, unit) for name, values in samples.items()]
        for top, bottom, target in (("off", "before", "≥ 0.95×"), ("on", "off", "")):
            if top in samples and bottom in samples:
                ratios = [a / b for a, b in zip(samples[top], samples[bottom], strict=True)]
                rows.append(Row("tracing", f"ratio {top} / {bottom}, {unit}", ratios, "×", target))
    return rows


def customers_rows() -> list[Row]:
    bench = customers_bench.customers_benchmarks(customers=100_000, runs=51, rounds=ROUNDS)
    rounds = bench["results"]
    ratio = [
        result["original_load_all_to_count_genders_median_ms"] / result["dashboard_p50_ms"]
        for result in rounds
    ]
    n = f"{bench['customers']:,} customers"
    return [
        Row(
            "customers",
            f"list page of 50 ({n}), p50",
            per_round(rounds, "list_page_50_p50_ms"),
            "ms",
            "≤ 20 ms",
        ),
        Row(
            "customers",
            "list page sorted by score, band filter, p50",
            per_round(rounds, "list_page_50_by_score_p50_ms"),
            "ms",
        ),
        Row(
            "customers",
            "search (accent-free words, prefixes, external id), p50",
            per_round(rounds, "list_search_p50_ms"),
            "ms",
            "≤ 20 ms",
        ),
        Row("customers", "dashboard, p50", per_round(rounds, "dashboard_p50_ms"), "ms", "≤ 50 ms"),
        Row(
            "customers",
            "create with prediction, p50",
            per_round(rounds, "create_with_prediction_p50_ms"),
            "ms",
            "≤ 15 ms",
        ),
        Row(
            "customers",
            "CSV import of 10,000 rows with scores",
            per_round(rounds, "csv_import_10000_rows_median_s"),
            "s",
            "≤ 5 s",
        ),
        Row(
            "customers",
            "original design: load every customer to count genders",
            per_round(rounds, "original_load_all_to_count_genders_median_ms"),
            "ms",
        ),
        Row("customers", "ratio original / our dashboard (same round)", ratio, "×"),
        Row("customers", "seeding 100,000 customers + predictions (COPY)", [bench["seed_copy_s"]], "s"),
    ]


def scale_rows() -> list[Row]:
    """One owner of 10,000 / 100,000 / 1,000,000 customers (one round: seeding a million takes a while;
    the million is about 3 of the bench's minutes, BENCH_SCALE_SIZES=10000,100000 leaves it out)."""
    rows = []
    sizes = os.environ.get("BENCH_SCALE_SIZES")
    for point in scale_bench.scale_curve(
        tuple(int(size) for size in sizes.split(",")) if sizes else scale_bench.SIZES
    ):
        n = f"{point['customers']:,} customers"
        big = point["customers"] >= 1_000_000
        dashboard_target = "≤ 150 ms" if big else "≤ 50 ms" if point["customers"] == 100_000 else ""
        rows += [
            Row(
                "customers",
                f"{n}: list page of 50, p50",
                [point["list_page_50_p50_ms"]],
                "ms",
                "≤ 20 ms" * big,
            ),
            Row(
                "customers", f"{n}: segment filter + score sort, p50", [point["list_by_segment_p50_ms"]], "ms"
            ),
            Row(
                "customers",
                f"{n}: list page sorted by income, descending, p50",
                [point["list_by_income_desc_p50_ms"]],
                "ms",
                "≤ 20 ms" if point["customers"] >= 100_000 else "",
            ),
            Row(
                "customers",
                f"{n}: list page sorted by segment, p50",
                [point["list_by_segment_sort_p50_ms"]],
                "ms",
                "≤ 20 ms" if point["customers"] >= 100_000 else "",
            ),
            Row("customers", f"{n}: name search, no match, p50", [point["search_p50_ms"]], "ms"),
            Row(
                "customers",
                f"{n}: name search, a common first name (1 in 20), p50",
                [point["search_common_p50_ms"]],
                "ms",
            ),
            Row("customers", f"{n}: dashboard, p50", [point["dashboard_p50_ms"]], "ms", dashboard_target),
            Row("customers", f"{n}: export of every row, streamed", [point["export_all_s"]], "s"),
            Row(
                "customers",
                f"{n}: export of one segment sorted by income (median of 3)",
                [point["export_segment_s"]],
                "s",
            ),
            Row(
                "customers",
                f"{n}: seeding them (COPY, with the aggregates' triggers)",
                [point["seed_s"]],
                "s",
            ),
        ]
    return rows


def _ratios(numerators: Sequence[float], denominators: Sequence[float]) -> list[float]:
    return [top / bottom for top, bottom in zip(numerators, denominators, strict=True)]


# Filled by peers_rows: the issue-shaped table printed below the main one.
PEERS_TABLE: list[str] = []


def peers_rows() -> list[Row]:
    """Ours, the plain score, the bare stack, BentoML and MLServer (``peers_bench``): the rows of the
    main table, and a summary table of the same run in ``PEERS_TABLE``."""
    results = peers_bench.run_all(ROUNDS)
    runs = results.runs

    def figure(key: str, name: str) -> list[float]:
        return [float(getattr(run, name)) for run in runs[key]]

    rows = []
    for key in runs:
        server, what = key.split(" | ")
        rate, unit = ("rows_per_second", "rows/s") if "1,000" in what else ("requests_per_second", "req/s")
        rows.append(Row("peers", f"{server}: {what}", figure(key, rate), unit))
        rows.append(Row("peers", f"{server}: {what}, per CPU-second", figure(key, "requests_per_cpu_second"),
                        "req/CPU-s"))  # fmt: skip
        rows.append(Row("peers", f"{server}: {what}, p99", figure(key, "p99_ms"), "ms"))
    batch = "ours | 1,000 rows, /model/predict/batch"
    columns = "ours | 1,000 rows, /model/predict/columns"
    tensors = "ours | 1,000 rows, /v2/models/spendscore/infer"
    ratios = [
        ("ours / MLServer, 1,000-row batch rows/s (JSON objects)", batch, "MLServer | 1,000 rows",
         "rows_per_second", "≥ 1.0×"),
        ("ours / MLServer, 1,000-row batch rows/s (columns)", columns, "MLServer | 1,000 rows",
         "rows_per_second", "≥ 1.0×"),
        ("ours / MLServer, 1,000-row batch rows/s (OIP tensors)", tensors, "MLServer | 1,000 rows",
         "rows_per_second", ""),
        ("ours / BentoML, 1,000-row batch rows/s (JSON objects)", batch, "BentoML | 1,000 rows",
         "rows_per_second", ""),
        ("ours / MLServer, 1,000-row batch per CPU-second (JSON objects)", batch, "MLServer | 1,000 rows",
         "requests_per_cpu_second", ""),
        ("ours / MLServer, 1,000-row batch per CPU-second (columns)", columns, "MLServer | 1,000 rows",
         "requests_per_cpu_second", ""),
        ("ours / bare stack, one row, per CPU-second", "ours | one row", "bare stack | one row",
         "requests_per_cpu_second", "≥ 0.7×"),
        ("ours / bare stack, one row, req/s", "ours | one row", "bare stack | one row",
         "requests_per_second", ""),
        ("ours / MLServer, one row, req/s", "ours | one row", "MLServer | one row",
         "requests_per_second", ""),
        ("ours / BentoML, one row, req/s", "ours | one row", "BentoML | one row", "requests_per_second", ""),
    ]  # fmt: skip
    for what, top, bottom, name, target in ratios:
        rows.append(
            Row("peers", f"ratio {what}", _ratios(figure(top, name), figure(bottom, name)), "×", target)
        )
    for server, megabytes in results.rss_mb.items():
        rows.append(Row("peers", f"{server}: resident memory after its runs", [megabytes], "MB"))

    def median(key: str, name: str) -> float:
        return statistics.median(figure(key, name))

    PEERS_TABLE[:] = [
        "",
        f"### Against the model servers ({ROUNDS} interleaved rounds, median)",
        "",
        "| | one row req/s | p99 ms | req/CPU-s | RSS MB | 1,000-row batch rows/s | what an answer holds |",
        "|---|---|---|---|---|---|---|",
    ]
    for server, answer in results.answers.items():
        single = f"{server} | one row"
        batches = [key for key in runs if key.startswith(f"{server} | 1,000")]
        batch_figures = "; ".join(
            f"{median(key, 'rows_per_second'):,.0f}" + (f" ({key.split(', ', 1)[1]})" if ", /" in key else "")
            for key in batches
        )
        PEERS_TABLE.append(
            f"| {server} | {median(single, 'requests_per_second'):,.0f} | {median(single, 'p99_ms'):.1f} | "
            f"{median(single, 'requests_per_cpu_second'):,.0f} | {results.rss_mb[server]:.0f} | "
            f"{batch_figures or '—'} | {answer} |"
        )
    return rows


def import_rows() -> list[Row]:
    """The 10,000-row import end to end, this tree against BENCH_IMPORT_BEFORE (main before issue 29)."""
    seconds = import_bench.run_all(ROUNDS)
    return [
        Row("customers", "10,000-row CSV import end to end, before", seconds["before"], "s"),
        Row("customers", "10,000-row CSV import end to end, after", seconds["after"], "s"),
        Row("customers", "ratio import before / after", _ratios(seconds["before"], seconds["after"]), "×"),
    ]


def render(rows: list[Row], seconds: float) -> str:
    lines = [
        "# Benchmarks",
        "",
        f"Written by `make bench` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC in {seconds / 60:.1f} min.",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{platform.system()}; shared and noisy, so each figure is the median of {ROUNDS} rounds with their "
        "min–max in brackets, and each comparison is a ratio measured within the same round.",
        "",
        "| area | what | figure | target |",
        "|---|---|---|---|",
    ]
    lines += [f"| {row.area} | {row.what} | {row.figure()} | {row.target} |" for row in rows]
    lines += PEERS_TABLE
    return "\n".join(lines) + "\n" + _notes(REPORT.read_text() if REPORT.exists() else "")


def _notes(report: str) -> str:
    """The sections below the table (``## ...``: notes on earlier runs, written by hand), kept as they are."""
    start = report.find("\n## ")
    return "" if start < 0 else report[start:]


def explanation_rows() -> list[Row]:
    rounds = explanation_bench.run(ROUNDS)
    return [
        Row(
            "inference",
            "one row, explain off (the route now), p50",
            per_round(rounds, "hot_path_off_us"),
            "µs",
        ),
        Row(
            "inference",
            "one row, what the route ran before explanations, p50",
            per_round(rounds, "hot_path_before_us"),
            "µs",
        ),
        Row(
            "inference",
            "ratio explain off / before (same run)",
            per_round(rounds, "hot_path_ratio"),
            "×",
            "≤ 1.05",
        ),
        Row(
            "inference",
            "one explanation (exact Shapley, 3 inputs), p50",
            per_round(rounds, "one_explanation_ms"),
            "ms",
        ),
        Row("inference", "10,000-row batch, no explanations", per_round(rounds, "batch_plain_ms"), "ms"),
        Row("inference", "10,000-row batch with explanations", per_round(rounds, "batch_explained_s"), "s"),
    ]


def main() -> int:
    started = time.perf_counter()
    sections: list[Callable[[], list[Row]]] = [
        auth_rows,
        inference_rows,
        peers_rows,
        import_rows,
        explanation_rows,
        request_path_rows,
        tracing_rows,
        customers_rows,
        scale_rows,
    ]
    # BENCH_ONLY=peers_rows,import_rows runs those sections alone and prints them, writing no report.
    only = os.environ.get("BENCH_ONLY")
    if only:
        sections = [section for section in sections if section.__name__ in only.split(",")]
    rows = [row for section in sections for row in section()]
    report = render(rows, time.perf_counter() - started)
    if not only:
        REPORT.write_text(report)
    sys.stdout.write(report)
    if not only:
        store_bench.main()  # issue 25: simulated stores, their own report (docs/store-models.md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
