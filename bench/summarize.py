#!/usr/bin/env python3
"""`make bench`'s closing step: one table of ratios from every benchmark's JSON in bench/results,
written to bench/results/bench.json and drawn as bench/results/bench.svg (bars on a log scale,
goal marks where a benchmark has one).

Each row compares pgfast with its natural baseline measured in the same run. Known result files
are read by their own extractor below; any other bench/results/*.json that carries a top-level
"ratios" list of {"name", "pgfast", "baseline", "unit", "ratio", "goal", "better"} is included as
it is, so a new benchmark only has to write that list.
"""
import glob
import html
import json
import math
import os
import sys

results = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "results")


def row(benchmark, name, pgfast, baseline, unit, ratio, goal=None, better="higher"):
    return {"benchmark": benchmark, "name": name, "pgfast": pgfast, "baseline": baseline,
            "unit": unit, "ratio": ratio, "goal": goal, "better": better,
            "meets_goal": None if goal is None else ratio >= goal}


def load(name):
    path = os.path.join(results, name)
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def bulk(data):
    modes = {m["mode"]: m for m in data["modes"]}
    copy = modes["copy"]["rows_per_s"]
    out = []
    for mode in ("insert", "update", "update_hot", "unchanged", "half"):
        if mode in modes:
            out.append(row("bulk", f"upsert {mode} vs binary COPY (rows/s)", modes[mode]["rows_per_s"],
                           copy, "rows/s", modes[mode]["vs_copy"], 0.8 if mode == "insert" else None))
    if "insert_mode" in modes:
        out.append(row("bulk", "insert mode vs binary COPY (rows/s)", modes["insert_mode"]["rows_per_s"],
                       copy, "rows/s", modes["insert_mode"]["vs_copy"], 0.8))
    # Issue #4's absolute goal, 100x the reference app's 2,000 rows/s, holds for the modes that
    # write new rows or nothing; issue #16 withdrew it for updates (PostgreSQL's own UPDATE ... FROM
    # is below it here) and states them as a ratio to that floor instead (the #16 rows).
    for mode in ("insert", "insert_mode", "update", "update_hot", "unchanged", "half"):
        if mode in modes:
            r = modes[mode]["rows_per_s"]
            goal = None if mode in ("update", "update_hot", "half") else 100
            out.append(row("bulk", f"{mode} vs the reference app's 2,000 rows/s", r, 2000.0, "rows/s",
                           r / 2000.0, goal))
    if "update" in modes and "bare_update" in modes:
        u, b = modes["update"]["rows_per_s"], modes["bare_update"]["rows_per_s"]
        out.append(row("bulk", "upsert all-update vs bare UPDATE ... FROM (the SQL floor)", u, b, "rows/s", u / b, None))
    # Issue #16 section 2: the SQL path, each against its baseline of the same run.
    if "stage_insert" in modes:
        out.append(row("bulk", "#16 new rows: COPY into temp stage + bulk_upsert_from vs binary COPY into target",
                       modes["stage_insert"]["rows_per_s"], copy, "rows/s", modes["stage_insert"]["vs_copy"], 0.9))
    if "stage_update" in modes and "bare_update" in modes:
        u, b = modes["stage_update"]["rows_per_s"], modes["bare_update"]["rows_per_s"]
        out.append(row("bulk", "#16 every row changed: bulk_upsert_from vs bare UPDATE ... FROM (stage prepared)",
                       u, b, "rows/s", u / b, 0.9))
    if "unchanged" in modes and "naive" in modes:
        u, n = modes["unchanged"]["rows_per_s"], modes["naive"]["rows_per_s"]
        growth = modes["unchanged"]["table_growth_bytes"]
        r = row("bulk", f"#16 unchanged vs naive ON CONFLICT (table growth {growth / 1e6:.1f} MB, goal 0)",
                u, n, "rows/s", u / n, 1.5)
        r["meets_goal"] = r["meets_goal"] and growth == 0
        out.append(r)
    return out


def paging(data):
    out = []
    # Issue #16 goal: per ordering family and direction, the slowest of the deep/last pages costs
    # at most 1.5x the first page. deep_vs_first is a median of per-round ratios (paging_bench.cpp);
    # the row's ratio is its inverse (higher is better), so the goal is 1/1.5.
    orderings = data.get("orderings", [])
    for o in orderings:
        deep = o["deep_vs_first"]
        out.append(row("paging", f"first / deepest page, '{o['order_by']}' {o['direction']} "
                       f"(deep/first {deep:.2f}, goal <= 1.5)", o["worst_ms"], o["first_ms"], "ms",
                       1 / deep if deep > 0 else 0, round(1 / 1.5, 3)))
    if orderings:
        worst = max(o["deep_vs_first"] for o in orderings)
        print(f"paging goal (issue #16): every ordering, both directions, deep/first <= 1.5: "
              f"{'met' if worst <= 1.5 else 'not met'} (worst {worst:.2f}, "
              f"page size {data.get('page_size')}, {data.get('rows')} rows; noise: first page vs "
              f"its repeat up to {data.get('noise', float('nan')):.2f}x)")
    for d in data["depths"]:
        ks, off = d["keyset_server_ms"], d["offset_server_ms"]
        out.append(row("paging", f"keyset vs OFFSET at depth {d['depth']} (server ms)", ks, off, "ms",
                       off / ks if ks > 0 else 0, None, "lower"))
    return out


def slowlog_overhead(data):
    # Context only (issue #16): TPS ratios near 1% are below this machine's noise; the acceptance
    # measure is instructions per statement (slowlog_instructions below).
    out = []
    for e in data:
        a = e["median_tps"]["a"]
        tag = f"pgbench {e['script']} c={e['clients']}"
        out.append(row("slowlog", f"{tag}: preloaded, idle / not preloaded (TPS)", e["median_tps"]["b"], a,
                       "TPS", e["ratio_b_a"], None))
        out.append(row("slowlog", f"{tag}: capture all / not preloaded (TPS)", e["median_tps"]["c"], a,
                       "TPS", e["ratio_c_a"], None))
        out.append(row("slowlog", f"{tag}: pg_stat_statements / not preloaded (TPS)", e["median_tps"]["d"],
                       a, "TPS", e["ratio_d_a"], None))
    return out


def slowlog_instructions(data):
    # Issue #16 section 3: instructions per statement (callgrind, bench/slowlog_instructions.sh, mixed
    # workload). Each goal is a row whose ratio is baseline / pgfast (higher is better, as elsewhere);
    # the name carries the cost ratio pgfast / baseline that the goal is stated in.
    base = data.get("none")
    out = []
    for name, v in data.items():
        if name != "none" and base and v:
            out.append(row("slowlog", f"instructions/statement: none / {name}", v, base, "instr",
                           base / v, None, "lower"))
    goals = [  # (pgfast config, baseline config, at most this many times the baseline's cost)
        ("pgfast_idle", "none_queryid_on", 1.01, "goal: pgfast idle <= 1.01x compute_query_id = on"),
        ("pgfast_capture_all", "pg_stat_statements", 1.0, "goal: capture-all <= pg_stat_statements"),
        ("pgfast_idle", "pg_stat_statements", 1.0, "goal: pgfast idle < pg_stat_statements"),
    ]
    for mine, theirs, at_most, label in goals:
        v, b = data.get(mine), data.get(theirs)
        if not v or not b:
            continue
        cost = v / b
        met = cost < at_most if mine == "pgfast_idle" and theirs == "pg_stat_statements" else cost <= at_most
        r = row("slowlog", f"{label}: {cost:.4f}x, {'met' if met else 'NOT met'}", v, b, "instr", b / v,
                1 / at_most, "lower")
        r["meets_goal"] = met
        out.append(r)
    return out


def limiter(data):
    return [row("limiter", "RateLimiter::check vs redis-benchmark EVALSHA, c=50 (decisions/s)",
                data["limiter_per_s"], data["ceiling_per_s"], "ops/s", data["ratio"], data.get("goal", 0.8))]


def cache(data):
    return [row("cache", "Cache hit path vs redis-benchmark GET, c=50 (ops/s)", data["cache_hit_ops_median"],
                data["redis_benchmark_get_ops_median"], "ops/s", data["ratio"], 0.8),
            row("cache", "cache hit vs the SQL query it replaces (p50 us)", data["hit_p50_us"],
                data["db_p50_us"], "us", data["db_p50_us"] / data["hit_p50_us"], None, "lower")]


def fts(data):
    lat = data["latency_ms"]
    out = []
    for term in ("zebrafish", "common"):
        base = lat.get(f"{term}, seq scan baseline")
        label = "rare term" if term == "zebrafish" else "common term"
        for mode in ("expression", "generated column"):
            for page in ("first page", "deep page"):
                v = lat.get(f"{term}, {mode}, {page}")
                if v and base:
                    out.append(row("fts", f"fts_search {label}, {mode}, {page} vs sequential @@ (ms)",
                                   v, base, "ms", base / v, None, "lower"))
    b = data.get("build", {})
    if "blocking" in b and "concurrent" in b and b["blocking"]["writes_per_s"] > 0:
        out.append(row("fts", "writes/s during FTS index build: concurrent vs blocking",
                       b["concurrent"]["writes_per_s"], b["blocking"]["writes_per_s"], "writes/s",
                       b["concurrent"]["writes_per_s"] / b["blocking"]["writes_per_s"]))
    return out


EXTRACTORS = {"fts.json": fts, "cache.json": cache, "limiter.json": limiter, "bulk.json": bulk, "paging.json": paging, "slowlog_overhead.json": slowlog_overhead,
              "slowlog_instructions.json": slowlog_instructions}
SKIP = {"bench.json", "demo.json"}

rows = []
for path in sorted(glob.glob(os.path.join(results, "*.json"))):
    name = os.path.basename(path)
    if name in SKIP:
        continue
    data = load(name)
    if name in EXTRACTORS:
        rows += EXTRACTORS[name](data)
    elif isinstance(data, dict) and isinstance(data.get("ratios"), list):
        bench = name[:-5]
        for r in data["ratios"]:
            rows.append(row(bench, r["name"], r.get("pgfast"), r.get("baseline"), r.get("unit", ""),
                            r["ratio"], r.get("goal"), r.get("better", "higher")))

if not rows:
    print(f"no benchmark results in {results}")
    sys.exit(1)

width = max(len(r["name"]) for r in rows)
print(f"\n{'benchmark':9} {'comparison':{width}} {'pgfast':>12} {'baseline':>12} {'ratio':>8} {'goal':>6}")
for r in rows:
    fmt = lambda v: "-" if v is None else (f"{v:12.3f}" if abs(v) < 100 else f"{v:12.0f}")
    goal = "-" if r["goal"] is None else f"{r['goal']:.2f}"
    flag = "" if r["meets_goal"] is None else ("  ok" if r["meets_goal"] else "  below goal")
    print(f"{r['benchmark']:9} {r['name']:{width}} {fmt(r['pgfast']):>12} {fmt(r['baseline']):>12} "
          f"{r['ratio']:8.2f} {goal:>6}{flag}")
print("ratio: how many times better pgfast is than the baseline (for 'vs COPY' and TPS rows: the "
      "fraction of the baseline's speed kept)")

# Issue #16's goals, one line each: met / not met, with the measured ratio.
ISSUE_16 = ("#16 ", "goal: ", "first / deepest page")
goals = [r for r in rows if r["meets_goal"] is not None and r["name"].startswith(ISSUE_16)]
if goals:
    print("\nissue #16 goals (each against a baseline of the same run):")
    for r in goals:
        print(f"  {'met    ' if r['meets_goal'] else 'NOT met'}  {r['benchmark']:8} {r['name']} "
              f"(ratio {r['ratio']:.2f}, goal {r['goal']:.2f})")

with open(os.path.join(results, "bench.json"), "w") as f:
    json.dump({"rows": rows}, f, indent=2)

# The chart: one horizontal bar per row, log-scaled ratio, a line at 1 and a tick at the goal.
bar_h, gap, left, plot_w = 16, 6, 560, 420
lo = min(0.5, min(max(r["ratio"], 1e-3) for r in rows))
hi = max(2.0, max(r["ratio"] for r in rows) * 1.2)
x = lambda v: left + plot_w * (math.log10(max(v, lo)) - math.log10(lo)) / (math.log10(hi) - math.log10(lo))
height = 40 + len(rows) * (bar_h + gap) + 30
svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + plot_w + 80}" height="{height}" '
       'font-family="sans-serif" font-size="11">',
       f'<text x="10" y="20" font-size="14">pgfast vs baseline, same run (ratio, log scale)</text>']
for i, r in enumerate(rows):
    y = 40 + i * (bar_h + gap)
    color = "#4a90d9" if r["meets_goal"] is not False else "#d9534f"
    svg.append(f'<text x="{left - 8}" y="{y + 12}" text-anchor="end">{html.escape(r["benchmark"] + ": " + r["name"])}</text>')
    svg.append(f'<rect x="{left}" y="{y}" width="{max(1, x(r["ratio"]) - left):.1f}" height="{bar_h}" fill="{color}"/>')
    svg.append(f'<text x="{x(r["ratio"]) + 4:.1f}" y="{y + 12}">{r["ratio"]:.2f}x</text>')
    if r["goal"] is not None:
        svg.append(f'<line x1="{x(r["goal"]):.1f}" x2="{x(r["goal"]):.1f}" y1="{y - 2}" y2="{y + bar_h + 2}" '
                   'stroke="black" stroke-width="2"/>')
svg.append(f'<line x1="{x(1):.1f}" x2="{x(1):.1f}" y1="35" y2="{height - 25}" stroke="#888" stroke-dasharray="4"/>')
svg.append(f'<text x="{x(1):.1f}" y="{height - 10}" text-anchor="middle">1x</text>')
svg.append("</svg>")
with open(os.path.join(results, "bench.svg"), "w") as f:
    f.write("\n".join(svg) + "\n")
print(f"\n{os.path.join(results, 'bench.json')}, {os.path.join(results, 'bench.svg')}")
