"""Tables, targets, the JSON record and the chart of one bench run."""

from __future__ import annotations

import json
from pathlib import Path


def fmt(value, digits: int = 1) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if abs(value) >= 1000:
            return f"{value:,.0f}"
        return f"{value:,.{digits}f}"
    return str(value)


def table(headers: list[str], rows: list[list], *, title: str = "") -> str:
    cells = [headers, *[[fmt(cell) if not isinstance(cell, str) else cell for cell in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    rule = "+".join("-" * (width + 2) for width in widths)
    lines = [title] if title else []
    lines.append("+" + rule + "+")
    for index, row in enumerate(cells):
        lines.append("| " + " | ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)) + " |")
        if index == 0:
            lines.append("+" + rule + "+")
    lines.append("+" + rule + "+")
    return "\n".join(lines)


def ratio(value: float | None, ceiling: float | None) -> float | None:
    if value is None or not ceiling:
        return None
    return value / ceiling


HTTP_HEADERS = [
    "req/s",
    "p50 ms",
    "p90 ms",
    "p99 ms",
    "max ms",
    "requests",
    "errors",
    "non-2xx",
    "x /healthz",
    "x bare",
    "server CPU ms/req",
]


def http_row(result: dict, ceilings: dict) -> list:
    if "error" in result:
        return ["failed", *["-"] * (len(HTTP_HEADERS) - 1)]
    return [
        result["rps"],
        result["p50Ms"],
        result["p90Ms"],
        result["p99Ms"],
        result["maxMs"],
        result["requests"],
        sum(result["socketErrors"].values()),
        result["non2xx"],
        fmt(ratio(result["rps"], ceilings.get("healthz")), 3),
        fmt(ratio(result["rps"], ceilings.get("bare")), 3),
        fmt(result.get("serverCpuMsPerRequest"), 3),
    ]


def scenario_table(result: dict, ceilings: dict) -> str:
    text = table(HTTP_HEADERS, [http_row(result, ceilings)], title=f"== {result['title']} ==")
    notes = []
    if "error" in result:
        notes.append(f"  FAILED: {result['error']}")
    else:
        notes.append(f"  {result['command']}")
        notes.append(f"  answers by status: {result.get('statuses') or 'not counted'}")
        if result.get("cpuSeconds"):
            notes.append("  " + cpu_line(result["cpuSeconds"]))
    if result.get("serverDied"):
        notes.append("  THE SERVER EXITED DURING THIS SCENARIO (see serverDeaths)")
    for probe in result.get("probes", []):
        if probe.get("problem"):
            notes.append(f"  probe: {probe['problem']}")
    if result.get("warmup", {}).get("errors"):
        notes.append(f"  warm-up run: {result['warmup']['errors']} errors/non-2xx of {result['warmup']['requests']}")
    if result.get("statusSample"):
        notes.append(f"  status sample after the run: {result['statusSample']}")
    log = result.get("serverLog") or {}
    if log.get("counts"):
        notes.append(f"  server log during the run: {log['counts']}")
        notes.extend(f"    {line}" for line in log.get("samples", []))
    return text + "\n" + "\n".join(notes)


OPEN_LOOP_HEADERS = [
    "target req/s",
    "achieved req/s",
    "p50 ms",
    "p90 ms",
    "p99 ms",
    "max ms",
    "answered",
    "errors",
    "client lag p99 ms",
    "server CPU ms/req",
]


def open_loop_table(key: str, result: dict) -> str:
    """An open-loop run: latencies timed from each request's due moment."""
    if "error" in result:
        return f"== {key} (open loop) ==\n  FAILED: {result['error']}"
    row = [
        result["targetRate"],
        result["achievedRate"],
        result["p50Ms"],
        result["p90Ms"],
        result["p99Ms"],
        result["maxMs"],
        result["answered"],
        result["errors"],
        result["clientLagP99Ms"],
        fmt(result.get("serverCpuMsPerRequest"), 3),
    ]
    text = table(OPEN_LOOP_HEADERS, [row], title=f"== {result['title']} ({key}) ==")
    notes = [f"  answers by status: {result['statuses']}"]
    if result.get("cpuSeconds"):
        notes.append("  " + cpu_line(result["cpuSeconds"]))
    return text + "\n" + "\n".join(notes)


def cpu_line(cpu: dict) -> str:
    order = ["server", "postgresql", "redis", "client", "others"]
    parts = [f"{label} {cpu[label]:.1f}" for label in order if label in cpu]
    line = f"CPU seconds during the {cpu.get('wall', 0):.1f} s run: " + ", ".join(parts)
    if cpu.get("othersTop") and cpu.get("others", 0) >= 0.5:
        line += f" (others' busiest: {cpu['othersTop']})"
    return line


def foreign_cores(result: dict) -> float | None:
    """Cores that other processes used during a measured run."""
    cpu = result.get("cpuSeconds") or {}
    return cpu.get("others", 0.0) / cpu["wall"] if cpu.get("wall") else None


def busy_runs(results: dict, threshold: float = 0.25) -> dict:
    runs = dict(results["http"])
    if results.get("websocket"):
        runs["websocket"] = results["websocket"]
    found = {key: foreign_cores(result) for key, result in runs.items()}
    return {key: round(cores, 2) for key, cores in found.items() if cores is not None and cores > threshold}


def summary_table(results: dict) -> str:
    ceilings = results["ceilings"]
    rows = []
    for key, result in results["http"].items():
        rows.append([key, *http_row(result, ceilings), fmt(foreign_cores(result), 2)])
    return table(
        ["scenario", *HTTP_HEADERS, "others' cores"],
        rows,
        title="== All HTTP scenarios (wrk; others' cores: CPU used by processes outside the bench) ==",
    )


def rank_timing_table(timing: dict) -> str:
    rows = []
    for size, board in timing["boards"].items():
        for source in ("redis", "postgresql"):
            for kind, label in (("rankLookup", "rank lookup"), ("middlePage", f"page {board['middlePage']}")):
                spread = board[source][kind]
                rows.append([f"{int(size):,}", source, label, spread["p50Ms"], spread["p99Ms"], spread["maxMs"]])
    return table(
        ["board entries", "source", "selector", "p50 ms", "p99 ms", "max ms"],
        rows,
        title=f"== Rank lookup server time (in-process selectors, {timing['samples']} samples each) ==",
    )


DASHBOARD_PARTS = [
    ("hourlyActivity", "submissions and players per hour, 48 h"),
    ("scoreDistribution", "score distribution of the all-time board"),
    ("topEntries", "top 10 of the all-time board"),
]


def dashboard_table(timing: dict) -> str:
    spreads = [("whole page (test client, signed in)", timing["page"])]
    spreads += [(label, timing["parts"][key]) for key, label in DASHBOARD_PARTS if key in timing["parts"]]
    rows = [[label, spread["p50Ms"], spread["p99Ms"], spread["maxMs"]] for label, spread in spreads]
    title = (
        f"== Admin dashboard of {timing['slug']} (in-process, {timing['samples']} requests one at a time; "
        f"{timing['boardEntries']:,} board entries, {timing['scoresInLast48Hours']:,} scores in its last 48 h "
        f"as of {timing['asOf'][:16]}) =="
    )
    text = table(["measured", "p50 ms", "p99 ms", "max ms"], rows, title=title)
    return text + f"\n  answers by status: {timing['statuses']}"


def websocket_table(ws: dict) -> str:
    if "error" in ws:
        return f"== Websockets ==\n  FAILED: {ws['error']}"
    broadcast, burst = ws.get("broadcast") or {}, ws.get("burst") or {}
    every, single = broadcast.get("everySocketMs") or {}, broadcast.get("deliveryMs") or {}
    rows = [
        ["broadcast: sockets", broadcast.get("sockets")],
        ["broadcast: every socket has it, p50 / p99 / max ms", _triple(every)],
        ["broadcast: single delivery, p50 / p99 / max ms", _triple(single)],
        [
            "broadcast: lost / duplicate deliveries",
            f"{broadcast.get('lostDeliveries')} / {broadcast.get('duplicateDeliveries')}",
        ],
        ["burst: sockets opened (+1 observer)", burst.get("opened")],
        ["burst: messages besides snapshots", burst.get("messagesBesidesSnapshot")],
        ["burst: naive N^2", burst.get("naiveNSquared")],
        [
            "burst: final counts exact (connections / players)",
            f"{fmt(burst.get('connectionsExact'))} / {fmt(burst.get('playersExact'))}",
        ],
        ["burst: sockets whose last count is exact", burst.get("socketsEndingExact")],
        ["burst: counts back to baseline after close", fmt((burst.get("afterClose") or {}).get("backToBaseline"))],
        ["ws_broadcast.py checks passed", fmt(ws.get("passed"))],
    ]
    text = table(["websocket measure", "value"], rows, title="== Websockets (bench/ws_broadcast.py) ==")
    if ws.get("cpuSeconds"):
        text += "\n  " + cpu_line(ws["cpuSeconds"])
    log = ws.get("serverLog") or {}
    if log.get("counts"):
        text += f"\n  server log during the run: {log['counts']}"
        text += "".join(f"\n    {line}" for line in log.get("samples", []))
    if ws.get("serverDied"):
        text += "\n  THE SERVER EXITED DURING THE WEBSOCKET SCENARIOS (see serverDeaths)"
    return text


def _triple(spread: dict) -> str:
    return " / ".join(fmt(spread.get(key)) for key in ("p50", "p99", "max"))


# --- Targets ---------------------------------------------------------------------------


def _target(name: str, measured, op: str, bound, unit: str = "", note: str = "") -> dict:
    if measured is None or bound is None:
        met = False
    elif op == ">=":
        met = measured >= bound
    elif op == "<=":
        met = measured <= bound
    else:
        met = measured == bound
    return {"name": name, "measured": measured, "op": op, "bound": bound, "unit": unit, "met": met, "note": note}


def _http(results: dict, key: str, field: str):
    result = results["http"].get(key) or {}
    return result.get(field)


# Issue #13's bounds: each HTTP read and submissions as a share of /healthz
# (measured in the same run), and their p99 at 32 connections.
SHARE_OF_HEALTHZ = {"top100": 0.85, "game_detail": 0.80, "user_rank": 0.60, "me": 0.50, "depth": 0.50, "submit": 0.40}
P99_BOUND_MS = {"top100": 20.0, "game_detail": 50.0, "user_rank": 50.0, "me": 50.0, "depth": 50.0, "submit": 50.0}
OPEN_LOOP_P99_BOUND_MS = {"submit_open": 25.0}
FLOOR_SHARE_OF_BARE = 0.20
REDIS_DOWN_P99_MS = 100.0


def compute_targets(results: dict) -> dict:
    ceilings = results["ceilings"]
    healthz = ceilings.get("healthz")
    timing = (results.get("rankTiming") or {}).get("boards") or {}
    sizes = sorted(int(size) for size in timing)
    big, small = (str(sizes[-1]), str(sizes[0])) if sizes else (None, None)

    def server(size, kind, field):
        try:
            return timing[size]["redis"][kind][field]
        except (KeyError, TypeError):
            return None

    def scaling(kind):
        high, low = server(big, kind, "p50Ms"), server(small, kind, "p50Ms")
        return high / low if high is not None and low else None

    big_label = f"{int(big):,}" if big else "?"
    small_label = f"{int(small):,}" if small else "?"
    targets = {
        "healthz_floor": _target(
            "/healthz vs the bare ASGI ceiling (Django's floor does not sink)",
            ratio(healthz, ceilings.get("bare")),
            ">=",
            FLOOR_SHARE_OF_BARE,
            "x bare",
        )
    }
    for key, share in SHARE_OF_HEALTHZ.items():
        title = (results["http"].get(key) or {}).get("title", key)
        targets[f"{key}_rps"] = _target(
            f"{title}: req/s vs /healthz", ratio(_http(results, key, "rps"), healthz), ">=", share, "x /healthz"
        )
        targets[f"{key}_p99"] = _target(
            f"{title}: p99 at 32 connections", _http(results, key, "p99Ms"), "<=", P99_BOUND_MS[key], "ms"
        )
    for key, bound in OPEN_LOOP_P99_BOUND_MS.items():
        found = (results.get("openLoop") or {}).get(key) or {}
        targets[f"{key}_p99"] = _target(
            f"{found.get('title', key)}: p99",
            found.get("p99Ms") if not found.get("errors") else None,
            "<=",
            bound,
            "ms",
            f"{found.get('errors')} errors" if found.get("errors") else "",
        )
    targets.update(
        {
            "rank_lookup_p99": _target(
                f"Rank lookup server time p99 at {big_label} entries (Redis)",
                server(big, "rankLookup", "p99Ms"),
                "<=",
                5.0,
                "ms",
            ),
            "depth_page_p99": _target(
                f"Page at the middle of {big_label} entries, server time p99 (Redis)",
                server(big, "middlePage", "p99Ms"),
                "<=",
                5.0,
                "ms",
            ),
            "rank_lookup_scaling": _target(
                f"Rank lookup p50 at {big_label} / p50 at {small_label}", scaling("rankLookup"), "<=", 1.5, "x"
            ),
            "depth_page_scaling": _target(
                f"Middle page p50 at {big_label} / p50 at {small_label}", scaling("middlePage"), "<=", 1.5, "x"
            ),
        }
    )
    down = {key: result for key, result in results["http"].items() if key.startswith("redis_down_")}
    failed = None
    if down:
        failed = sum(r.get("errors", 0) + (r.get("warmup") or {}).get("errors", 0) for r in down.values())
        failed += sum(1 for r in down.values() if "error" in r)
    targets["redis_down_answers"] = _target(
        "Redis down: every read answers (errors + non-2xx, warm-up included)", failed, "==", 0, "responses"
    )
    for key, result in down.items():
        targets[f"{key}_p99"] = _target(f"{result['title']}: p99", result.get("p99Ms"), "<=", REDIS_DOWN_P99_MS, "ms")
    ws = results.get("websocket") or {}
    broadcast, burst = ws.get("broadcast") or {}, ws.get("burst") or {}
    sockets = broadcast.get("sockets")
    targets["ws_broadcast_p99"] = _target(
        f"Websocket: a score reaches all {sockets or '?'} sockets, p99 over rounds",
        (broadcast.get("everySocketMs") or {}).get("p99"),
        "<=",
        100.0,
        "ms",
    )
    naive = burst.get("naiveNSquared")
    targets["ws_burst_messages"] = _target(
        "Websocket join burst: messages sent (far fewer than N^2: at most N^2 / 10)",
        burst.get("messagesBesidesSnapshot"),
        "<=",
        naive / 10 if naive else None,
        "messages",
        f"N^2 = {naive:,}" if naive else "",
    )
    exact = None
    if burst:
        exact = bool(
            burst.get("connectionsExact")
            and burst.get("playersExact")
            and burst.get("socketsEndingExact") == burst.get("opened", -2) + 1
            and (burst.get("afterClose") or {}).get("backToBaseline")
        )
    targets["ws_burst_exact"] = _target("Websocket join burst ends with exact counts", exact, "==", True)
    dashboard = results.get("dashboardTiming") or {}
    answered = dashboard.get("statuses") == {"200": dashboard.get("samples")}  # a redirect to sign-in is no page
    targets["dashboard_p99"] = _target(
        "Admin dashboard of the 1,000,000-score game, p99 (in-process, every answer a 200)",
        (dashboard.get("page") or {}).get("p99Ms") if answered else None,
        "<=",
        500.0,
        "ms",
        "" if answered or not dashboard else f"answers by status: {dashboard.get('statuses')}",
    )
    two, one = _http(results, "workers_2_top100", "rps"), _http(results, "workers_1_top100", "rps")
    targets["workers_scaling"] = _target("Two REST workers vs one, top-100 req/s", ratio(two, one), ">=", 1.6, "x")
    return targets


def targets_table(targets: dict) -> str:
    rows = []
    for target in targets.values():
        measured = target["measured"]
        shown = fmt(measured, 3) if isinstance(measured, float) else fmt(measured)
        bound = target["bound"]
        bound_shown = fmt(bound, 3) if isinstance(bound, float) else fmt(bound)
        unit = f" {target['unit']}" if target["unit"] else ""
        rows.append(
            [
                target["name"],
                shown + unit,
                f"{target['op']} {bound_shown}{unit}",
                "yes" if target["met"] else "NO",
                target["note"],
            ]
        )
    return table(["target", "measured", "bound", "met", "note"], rows, title="== Targets ==")


# --- Files -----------------------------------------------------------------------------------


def write_json(results: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2, sort_keys=False) + "\n")


def write_chart(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    from matplotlib.ticker import FuncFormatter, NullFormatter

    http = [(key, r) for key, r in results["http"].items() if "error" not in r]
    figure, (bars, curve) = plt.subplots(1, 2, figsize=(16, 6.5), gridspec_kw={"width_ratios": [1.6, 1]})

    positions = range(len(http))
    width = 0.4
    bars.bar([p - width / 2 for p in positions], [r["p50Ms"] for _, r in http], width, label="p50")
    bars.bar([p + width / 2 for p in positions], [r["p99Ms"] for _, r in http], width, label="p99")
    bars.set_xticks(list(positions), [key for key, _ in http], rotation=60, ha="right", fontsize=8)
    bars.set_yscale("log")
    bars.set_ylabel("latency, ms (log)")
    load = results["config"]["load"]
    bars.set_title(f"HTTP latency per scenario (wrk -t{load['threads']} -c{load['connections']} -d{load['seconds']}s)")
    bars.grid(axis="y", which="both", alpha=0.3)
    bars.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    bars.legend()

    boards = (results.get("rankTiming") or {}).get("boards") or {}
    sizes = sorted(int(size) for size in boards)
    for source, style in (("redis", "-"), ("postgresql", "--")):
        for kind, label in (("rankLookup", "rank lookup"), ("middlePage", "middle page")):
            for stat, marker in (("p50Ms", "o"), ("p99Ms", "^")):
                values = [boards[str(size)][source][kind][stat] for size in sizes]
                curve.plot(sizes, values, style, marker=marker, label=f"{source} {label} {stat[:3]}")
    curve.set_xscale("log")
    curve.set_yscale("log")
    curve.set_xlabel("board entries (log)")
    curve.set_ylabel("server time, ms (log)")
    curve.set_title("Rank lookup time vs board size (in-process selectors)")
    curve.axhline(5.0, color="grey", linewidth=0.8, linestyle=":")
    curve.grid(which="both", alpha=0.3)
    curve.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    curve.yaxis.set_minor_formatter(NullFormatter())
    if sizes:  # a partial run (--only) may have timed no boards
        curve.annotate("5 ms target", (sizes[0], 5.0), textcoords="offset points", xytext=(2, 3), fontsize=7)
    curve.legend(fontsize=7)

    figure.suptitle(f"Podium bench, {results['startedAt']} ({results['config']['mode']} run)")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
