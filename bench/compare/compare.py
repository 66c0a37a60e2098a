#!/usr/bin/env python3
"""Side-by-side benchmark: the same remote-write load into each peer.

Starts each system on loopback with a fresh data directory, feeds it the
identical workload with build/bin/strata-loadgen (same seed, same bodies),
and measures:

  ingest        samples/s achieved by the load generator
  cpu           server CPU seconds per million samples (/proc/<pid>/stat)
  rss           peak RSS (VmHWM) and peak RSS per active series
  disk          bytes on disk per sample once the data is flushed
  queries       median latency of dashboard/alert queries (instant + range)
  agreement     whether each peer's query results equal Prometheus'

Peers: Strata (`strata serve --query.compat=2`, so that its answers are
comparable with the reference), Prometheus 2.42
(--web.enable-remote-write-receiver) and VictoriaMetrics 1.79. Results
agree when both have the same series and every value is within 1e-9
relative (NaN equal to NaN).

Usage: bench/compare/compare.py --size small|medium|high-cardinality|week
           [--peers strata,prometheus,victoria-metrics] [--no-jitter]
           [--markdown FILE]
"""
import argparse
import json
import math
import os
import platform
import shutil
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LOADGEN = os.path.join(ROOT, "build", "bin", "strata-loadgen")
STRATA = os.path.join(ROOT, "build", "bin", "strata")

SIZES = {
    # hosts, series per host (0 = all ~600), span seconds, scrape interval s
    "small": (2, 0, 3600, 15),
    "medium": (170, 0, 4 * 3600, 15),  # >= 100 k active series, >= 50 M samples
    # >= 1 M active series (1,765 hosts x 567); 15 min at 15 s (~60 M
    # samples), as the peers' reference numbers in the side-by-side issue.
    "high-cardinality": (1765, 0, 900, 15),
    # The PromQL issue's latency run: ~10 k series over 7 days, queried at a
    # 60 s step; scraped every 60 s to keep it to ~100 M samples.
    "week": (17, 0, 7 * 86400, 60),
}

QUERIES = [
    "sum by (instance) (rate(node_cpu_seconds_total{mode!=\"idle\"}[5m]))",
    "sum(rate(http_requests_total[5m])) by (status)",
    "histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))",
    "sum(rate(http_requests_total{status=~\"5..\"}[5m])) / sum(rate(http_requests_total[5m]))",
    "avg_over_time(node_load1[15m])",
    "topk(5, max_over_time(node_load1[1h]))",
    "count(up == 1)",
]


def free_port():
    """A free port below the kernel's ephemeral range, so that no outgoing
    connection (ours or another program's) takes it before the peer binds."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low = int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        low = 32768
    for _ in range(200):
        port = random.randrange(10000, max(low, 11000))
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue
    raise RuntimeError("no free port below the ephemeral range")


def http_get(url, timeout=120):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.status, r.read()


def wait_ready(url, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if http_get(url, 2)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"not ready: {url}")


def proc_cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks  # utime + stime


def proc_peak_rss_bytes(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


def dir_bytes(path):
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            try:
                total += os.path.getsize(os.path.join(root, name))
            except OSError:
                pass
    return total


class Peer:
    def __init__(self, name, work):
        self.name = name
        self.port = free_port()
        self.data = os.path.join(work, name)
        os.makedirs(self.data)
        if name == "strata":
            self.argv = [STRATA, "serve", f"--listen=127.0.0.1:{self.port}",
                         f"--storage.path={self.data}", "--self-scrape.interval=0",
                         "--query.compat=2", "--retention.time=0", "--log.level=warn",
                         "--web.enable-admin-api"]
            self.ready = "/-/ready"
        elif name == "prometheus":
            cfg = os.path.join(work, "prometheus.yml")
            with open(cfg, "w") as f:
                f.write("global:\n  scrape_interval: 1h\n")
            self.argv = ["prometheus", f"--config.file={cfg}", f"--storage.tsdb.path={self.data}",
                         f"--web.listen-address=127.0.0.1:{self.port}",
                         "--web.enable-remote-write-receiver", "--web.enable-admin-api",
                         "--log.level=warn"]
            self.ready = "/-/ready"
        elif name == "victoria-metrics":
            self.argv = ["victoria-metrics", f"-httpListenAddr=127.0.0.1:{self.port}",
                         f"-storageDataPath={self.data}", "-search.latencyOffset=0s",
                         # Every repetition of a query is evaluated, as by the
                         # others: no rollup result cache.
                         "-search.disableCache", "-loggerLevel=ERROR"]
            self.ready = "/health"
        else:
            raise SystemExit(f"unknown peer {name}")
        self.proc = subprocess.Popen(self.argv, stdout=subprocess.DEVNULL,
                                     stderr=open(os.path.join(work, name + ".log"), "w"))
        wait_ready(self.url(self.ready))

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def flush(self):
        """Puts the data in its long-term form; returns (how, directory to measure)."""
        if self.name == "victoria-metrics":
            http_get(self.url("/internal/force_flush"))
            time.sleep(2)
            return "/internal/force_flush, then 2 s; the data directory", self.data
        # Prometheus and Strata: a snapshot holds the blocks (hard links)
        # and the head written as one more block, so it measures the block
        # format, not the WAL.
        req = urllib.request.Request(self.url("/api/v1/admin/tsdb/snapshot"), method="POST")
        with urllib.request.urlopen(req, timeout=600) as r:
            name = json.loads(r.read())["data"]["name"]
        return ("/api/v1/admin/tsdb/snapshot (blocks plus the head as a block); the snapshot",
                os.path.join(self.data, "snapshots", name))

    def query(self, q, t=None, start=None, end=None, step=None):
        params = {"query": q}
        path = "/api/v1/query"
        if start is not None:
            path = "/api/v1/query_range"
            params.update(start=start, end=end, step=step)
        else:
            params["time"] = t
        t0 = time.perf_counter()
        status, body = http_get(self.url(path + "?" + urllib.parse.urlencode(params)))
        return time.perf_counter() - t0, json.loads(body)

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=120)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def normalise(result):
    """Comparable form of a query result: {labels: [(t, value)]}."""
    out = {}
    data = result.get("data", {})
    if data.get("resultType") == "scalar":
        t, v = data["result"]
        return {(): [(round(float(t), 3), float(v))]}
    for series in data.get("result", []):
        key = tuple(sorted(series.get("metric", {}).items()))
        values = series.get("values") or [series.get("value")]
        out[key] = [(round(float(t), 3), float(v)) for t, v in values if v is not None]
    return out


def values_agree(a, b, rel=1e-9):
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if a == b:
        return True
    return abs(a - b) <= rel * max(abs(a), abs(b))


def results_agree(got, want):
    """Same series, same timestamps, values within 1e-9 relative."""
    if got.keys() != want.keys():
        return False
    for key, points in want.items():
        other = got[key]
        if len(other) != len(points):
            return False
        for (t1, v1), (t2, v2) in zip(other, points):
            if t1 != t2 or not values_agree(v1, v2):
                return False
    return True


def run(size, peers, markdown, jitter):
    hosts, per_host, span, interval = SIZES[size]
    load = os.getloadavg()
    now = int(time.time())
    start_ms = (now - span) // interval * interval * 1000
    work = tempfile.mkdtemp(prefix="strata-compare-")
    rows = []
    answers = {}
    try:
        for name in peers:
            peer = Peer(name, work)
            cpu0 = proc_cpu_seconds(peer.proc.pid)
            cmd = [LOADGEN, f"--target=127.0.0.1:{peer.port}", f"--hosts={hosts}",
                   f"--series-per-host={per_host}", f"--span-s={span}", f"--start={start_ms}",
                   f"--interval-ms={interval * 1000}",
                   "--connections=4", "--samples-per-request=5000",
                   "--jitter" if jitter else "--no-jitter"]
            out = subprocess.run(cmd, capture_output=True, text=True)
            if out.returncode != 0:
                raise SystemExit(f"loadgen against {name} failed:\n{out.stdout}\n{out.stderr}")
            stats = {}
            for line in out.stdout.splitlines():
                if line.startswith("loadgen:"):
                    parts = line.split()
                    stats["series"] = int(parts[1])
                    stats["samples"] = int(parts[3])
                if line.startswith("send:"):
                    stats["rate"] = float(line.split(",")[1].split()[0]) * 1e6
            cpu = proc_cpu_seconds(peer.proc.pid) - cpu0
            rss = proc_peak_rss_bytes(peer.proc.pid)
            how, measured = peer.flush()
            disk = dir_bytes(measured)
            end = start_ms // 1000 + span
            latencies = []
            answers[name] = {}
            for q in QUERIES:
                inst, rng = [], []
                for _ in range(5):
                    dt, res = peer.query(q, t=end)
                    inst.append(dt)
                    dr, res_range = peer.query(q, start=end - span, end=end, step=60)
                    rng.append(dr)
                answers[name][q] = (normalise(res), normalise(res_range))
                latencies.append((statistics.median(inst), statistics.median(rng)))
            peer.stop()
            rows.append({"peer": name, "how": how, "cpu": cpu, "rss": rss, "disk": disk,
                         "latencies": latencies, **stats})
    finally:
        shutil.rmtree(work, ignore_errors=True)

    reference = answers.get("prometheus")
    lines = [f"### Side-by-side, size `{size}` ({time.strftime('%Y-%m-%d', time.gmtime())})", "",
             f"Machine: {platform.machine()}, {os.cpu_count()} cores, "
             f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB; "
             f"load average before the run {load[0]:.1f}; scrape interval {interval} s, timestamps "
             f"{'with 0-5 ms jitter' if jitter else 'exactly on the interval'}; "
             f"command: `bench/compare/compare.py --size {size}"
             f"{'' if jitter else ' --no-jitter'}`", "",
             "| | " + " | ".join(r["peer"] for r in rows) + " |",
             "|---|" + "---|" * len(rows)]

    def row(label, fn):
        lines.append(f"| {label} | " + " | ".join(fn(r) for r in rows) + " |")

    row("active series", lambda r: f"{r['series']:,}")
    row("samples", lambda r: f"{r['samples']:,}")
    row("ingest, samples/s", lambda r: f"{r['rate']:,.0f}")
    row("CPU s per M samples", lambda r: f"{r['cpu'] / r['samples'] * 1e6:.2f}")
    row("peak RSS", lambda r: f"{r['rss'] / 2**20:.0f} MiB")
    row("peak RSS per series", lambda r: f"{r['rss'] / r['series']:,.0f} B")
    row("disk bytes per sample", lambda r: f"{r['disk'] / r['samples']:.2f}")
    for i, q in enumerate(QUERIES):
        row(f"`{q}` instant / range", lambda r, i=i: f"{r['latencies'][i][0] * 1e3:.1f} / "
                                                       f"{r['latencies'][i][1] * 1e3:.1f} ms")
    def agreeing(r):
        got = answers[r["peer"]]
        n = sum(results_agree(got[q][0], reference[q][0]) and
                results_agree(got[q][1], reference[q][1]) for q in QUERIES)
        return f"{n}/{len(QUERIES)} queries"
    if reference:
        row("results equal Prometheus' (instant and range)",
            lambda r: "reference" if r["peer"] == "prometheus" else agreeing(r))
    if reference:
        for r in rows:
            if r["peer"] == "prometheus":
                continue
            got = answers[r["peer"]]
            differ = [q for q in QUERIES if not (results_agree(got[q][0], reference[q][0]) and
                                                  results_agree(got[q][1], reference[q][1]))]
            if differ:
                lines.append("")
                lines.append(f"{r['peer']} differs from Prometheus on: " +
                             ", ".join(f"`{q}`" for q in differ) + ".")
    lines.append("")
    lines.append("How each was flushed: " + "; ".join(f"{r['peer']}: {r['how']}" for r in rows) + ".")
    text = "\n".join(lines) + "\n"
    print(text)
    if markdown:
        with open(markdown, "a") as f:
            f.write("\n" + text)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--size", choices=SIZES, default="small")
    ap.add_argument("--peers", default="strata,prometheus,victoria-metrics")
    ap.add_argument("--jitter", action=argparse.BooleanOptionalAction, default=True,
                    help="scrape timestamps jitter by a few ms (Prometheus snaps most away)")
    ap.add_argument("--markdown", help="append the table to this file")
    args = ap.parse_args()
    if not os.path.exists(LOADGEN):
        raise SystemExit(f"{LOADGEN} missing: build first (scripts/test.sh or cmake --build build)")
    if "strata" in args.peers.split(",") and not os.path.exists(STRATA):
        raise SystemExit(f"{STRATA} missing: build first")
    run(args.size, args.peers.split(","), args.markdown, args.jitter)


if __name__ == "__main__":
    main()
