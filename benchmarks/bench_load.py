"""The dashboard under load: N sessions speaking Streamlit's websocket protocol to `streamlit run app.py`.

    .venv/bin/python benchmarks/bench_load.py [--label AFTER] [--json benchmarks/out/load-after.json]
    .venv/bin/python benchmarks/bench_load.py --app-root /path/to/main --label BEFORE \
        --json benchmarks/out/load-before.json           # today's code, as `make app` serves it
    .venv/bin/python benchmarks/bench_load.py --report benchmarks/out/load-before.json \
        benchmarks/out/load-after.json                   # the two side by side, nothing run

What it does, on loopback only (the servers listen on 127.0.0.1, never another address):

1. starts ``python -m streamlit run app.py`` in ``--app-root`` (default: this checkout) with that
   checkout's own ``.streamlit/config.toml`` (so its file watcher setting applies) and the flags
   ``make app`` passes, plus ``--server.address 127.0.0.1 --server.headless true``; ``--processes K``
   starts K servers on consecutive ports and pins each session to one (what a sticky proxy does);
2. reads the référentiels of ``--app-root``/data, writes decisions only to a private SQLite file in a
   temporary folder (seeded with a few decisions), and keeps the embedding cache in
   ``benchmarks/out/load-cache`` (nothing is written in ``--app-root``);
3. warms the server (one session loads every measured page twice), then for each level of
   ``--sessions`` opens N websocket sessions at once; each loads Vue d'ensemble → Matrices →
   Équivalences, ``--rounds`` times, the way the browser does (a ``rerun_script`` BackMsg naming the
   page, then ForwardMsgs until ``script_finished``). A page load is an error when it times out, the
   run does not finish successfully, or the page shows an exception or an error box;
4. measures the server's CPU (from /proc) while the sessions load pages ("busy") and while they stay
   connected doing nothing ("idle"), its resident memory, and the memory after ``--churn`` more
   sessions connect, load the first page and disconnect;
5. with ``--writes W``: W decisions are recorded by another process (the decision store's API) while
   10 sessions browse; all must be stored, no page may fail, and the dashboard must show them.

Everything is bounded: ``--page-timeout`` per page load, ``--max-seconds`` for the whole run (later
phases are skipped and reported so). The machine's load average is printed with the figures: on a
shared machine absolute timings move with it.

Targets (issue 14): idle CPU with sessions connected ≈ 0; one session's warm page p50 ≤ 0.15 s;
20 sessions p95 ≤ 3 s with no error; RSS after the churn within 100 MiB of the warm server.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOOPBACK = "127.0.0.1"
# (url path, title) of the pages each session loads, in order; "" = the app's default page.
PAGES = [("", "Vue d'ensemble"), ("matrices", "Matrices"), ("equivalences", "Équivalences")]
TARGET_IDLE_CPU = 0.02          # fraction of one core: "≈ 0"
TARGET_P50_ONE = 0.15           # seconds
TARGET_P95_20 = 3.0             # seconds
TARGET_CHURN_MIB = 100.0
MIB = 1024 * 1024
CLK_TCK = os.sysconf("SC_CLK_TCK")
REVIEWED_RE = re.compile(r"(\d+) paire\(s\) revue\(s\)")

WRITER = r"""
import json, sys, time
from crossref.config import Config
from crossref.referentiels import load_corpus
from crossref.review import DecisionStore

cfg = Config.load(sys.argv[1])
n, pause, offset = int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
corpus = load_corpus(cfg.data_dir)
certs = list(corpus)
sources = [c.id for c in certs[0].competences]
targets = [c.id for c in certs[1].competences]
store = DecisionStore(cfg.db_url)
done = []
for i in range(offset, offset + n):
    d = store.reject(sources[i % len(sources)], targets[(i // len(sources)) % len(targets)],
                     "banc de charge", f"décision {i}")
    done.append(d["id"])
    time.sleep(pause)
store.close()
print(json.dumps({"ids": done, "total": len(DecisionStore(cfg.db_url).history())}))
"""


# ---------------------------------------------------------------- server processes
def free_port_block(count: int) -> int:
    """A base port such that base .. base+count-1 are free on loopback now."""
    for _ in range(50):
        with socket.socket() as s:
            s.bind((LOOPBACK, 0))
            base = s.getsockname()[1]
        if base + count >= 65535:
            continue
        ok = True
        for p in range(base, base + count):
            with socket.socket() as s:
                try:
                    s.bind((LOOPBACK, p))
                except OSError:
                    ok = False
                    break
        if ok:
            return base
    raise RuntimeError("no block of free loopback ports")


def proc_cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime (fields 14, 15)


def proc_rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


class Server:
    """One `streamlit run app.py` on 127.0.0.1:port, its log in a file."""

    def __init__(self, app_root: Path, port: int, env: dict, log: Path, extra: list[str], python: str) -> None:
        self.port = port
        self.log = log
        cmd = [python, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
               "--server.address", LOOPBACK, "--server.headless", "true", *extra]
        self.cmd = cmd
        self._log = open(log, "wb")
        self.proc = subprocess.Popen(cmd, cwd=app_root, env=env, stdout=self._log, stderr=subprocess.STDOUT,
                                     start_new_session=True)

    def wait_healthy(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        url = f"http://{LOOPBACK}:{self.port}/_stcore/health"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server on port {self.port} exited ({self.proc.returncode}); log: {self.log}")
            try:
                with urllib.request.urlopen(url, timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.25)
        raise RuntimeError(f"server on port {self.port} not healthy after {timeout:.0f} s; log: {self.log}")

    def cpu(self) -> float:
        return proc_cpu_seconds(self.proc.pid)

    def rss(self) -> int:
        return proc_rss_bytes(self.proc.pid)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=15)
        self._log.close()

    def log_lines(self, needle: str) -> int:
        try:
            return sum(needle in line for line in self.log.read_text(errors="replace").splitlines())
        except OSError:
            return 0


class Servers:
    def __init__(self, servers: list[Server]) -> None:
        self.all = servers

    def cpu(self) -> float:
        return sum(s.cpu() for s in self.all)

    def rss(self) -> int:
        return sum(s.rss() for s in self.all)

    def stop(self) -> None:
        for s in self.all:
            s.stop()


# ---------------------------------------------------------------- one websocket session
@dataclass
class Load:
    page: str
    seconds: float
    error: str = ""


@dataclass
class Session:
    """A browser tab as the server sees it: one websocket, rerun requests, ForwardMsgs back."""

    port: int
    timeout: float
    ws: object = None
    hashes: dict = field(default_factory=dict)     # url path -> page_script_hash (from the navigation)
    cached: set = field(default_factory=set)       # hashes of cacheable messages received (as the browser)
    reviewed: int | None = None                    # "N paire(s) revue(s)" read in the sidebar

    async def open(self) -> None:
        from websockets.asyncio.client import connect

        self.ws = await asyncio.wait_for(
            connect(f"ws://{LOOPBACK}:{self.port}/_stcore/stream", subprotocols=["streamlit"],
                    max_size=None, open_timeout=self.timeout, ping_interval=None, compression=None),
            self.timeout)

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
            self.ws = None

    async def load(self, page: str) -> Load:
        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        msg = BackMsg()
        state = msg.rerun_script
        state.query_string = ""
        state.page_name = page
        state.page_script_hash = self.hashes.get(page, "")
        state.cached_message_hashes.extend(sorted(self.cached))
        t0 = time.perf_counter()
        deadline = t0 + self.timeout
        started = False
        error = ""
        try:
            await self.ws.send(msg.SerializeToString())
            while True:
                data = await asyncio.wait_for(self.ws.recv(), max(0.01, deadline - time.perf_counter()))
                fm = ForwardMsg()
                fm.ParseFromString(data)
                kind = fm.WhichOneof("type")
                if kind == "new_session":
                    started = True
                    self._pages(fm.new_session.app_pages)
                elif kind == "navigation":
                    self._pages(fm.navigation.app_pages)
                elif kind == "page_not_found":
                    error = error or f"page introuvable : {page}"
                elif kind == "delta":
                    if fm.metadata.cacheable and fm.hash:
                        self.cached.add(fm.hash)
                    error = error or self._element_error(fm)
                elif kind == "script_finished" and started:
                    status = fm.script_finished
                    if status == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                        started = False  # the app asked for a rerun: wait for that run to finish
                        continue
                    if status != ForwardMsg.FINISHED_SUCCESSFULLY:
                        error = error or f"script_finished {ForwardMsg.ScriptFinishedStatus.Name(status)}"
                    break
        except asyncio.TimeoutError:
            error = f"timeout ({self.timeout:.0f} s)"
        except Exception as exc:  # connection closed, refused...
            error = f"{type(exc).__name__}: {exc}"[:200]
        return Load(page, time.perf_counter() - t0, error)

    def _pages(self, app_pages) -> None:
        for p in app_pages:
            self.hashes[p.url_pathname] = p.page_script_hash
            if p.is_default:
                self.hashes.setdefault("", p.page_script_hash)

    def _element_error(self, fm) -> str:
        delta = fm.delta
        if delta.WhichOneof("type") != "new_element":
            return ""
        el = delta.new_element
        kind = el.WhichOneof("type")
        if kind == "exception":
            return f"exception : {el.exception.type}: {el.exception.message}"[:200]
        if kind == "alert" and el.alert.format == 1:  # Alert.ERROR
            return f"erreur affichée : {el.alert.body}"[:200]
        if kind == "markdown":
            m = REVIEWED_RE.search(el.markdown.body)
            if m:
                self.reviewed = int(m.group(1))
        return ""


async def browse(port: int, rounds: int, timeout: float, pages: list[str], deadline: float,
                 hold: asyncio.Event | None = None, sessions_out: list | None = None,
                 finished: list | None = None) -> list[Load]:
    """One session: connect, load ``pages`` ``rounds`` times; with ``hold``, then stay connected until it is
    set (``finished`` gets one item when the pages are loaded, ``sessions_out`` the open session)."""
    s = Session(port, timeout)
    loads: list[Load] = []
    try:
        await s.open()
    except Exception as exc:
        return [Load("connect", 0.0, f"connexion : {type(exc).__name__}: {exc}"[:200])]
    if sessions_out is not None:
        sessions_out.append(s)
    try:
        await _pages_loop(s, rounds, pages, deadline, loads)
        if finished is not None:
            finished.append(1)
        if hold is not None:
            await hold.wait()
    finally:
        if hold is None:
            await s.close()
    return loads


async def _pages_loop(s: Session, rounds: int, pages: list[str], deadline: float, loads: list[Load]) -> None:
    for _ in range(rounds):
        for page in pages:
            if time.monotonic() > deadline:
                return
            ld = await s.load(page)
            loads.append(ld)
            if ld.error.startswith(("timeout", "Connection")):
                return


# ---------------------------------------------------------------- figures
def quantile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    v = sorted(values)
    k = (len(v) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


def summary(times: list[float]) -> dict:
    return {"n": len(times), "p50": quantile(times, 0.5), "p95": quantile(times, 0.95),
            "max": max(times) if times else float("nan")}


def git_describe(root: Path) -> str:
    try:
        head = subprocess.run(["git", "-C", str(root), "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return head + (" (modified)" if dirty else "") if head else "?"
    except (OSError, subprocess.SubprocessError):
        return "?"


def watcher_setting(app_root: Path, extra: list[str]) -> str:
    for i, a in enumerate(extra):
        if a.startswith("--server.fileWatcherType"):
            return a.split("=", 1)[1] if "=" in a else extra[i + 1]
    cfg = app_root / ".streamlit" / "config.toml"
    try:
        import tomllib

        return str(tomllib.loads(cfg.read_text(encoding="utf-8")).get("server", {})
                   .get("fileWatcherType", "auto (Streamlit's default)"))
    except (OSError, ValueError):
        return "auto (Streamlit's default)"


# ---------------------------------------------------------------- the run
async def level(servers: Servers, ports: list[int], n: int, rounds: int, timeout: float, deadline: float,
                idle_s: float) -> dict:
    pages = [p for p, _ in PAGES]
    hold = asyncio.Event()
    live: list[Session] = []
    cpu0, t0 = servers.cpu(), time.perf_counter()
    finished: list = []
    tasks = [asyncio.create_task(browse(ports[i % len(ports)], rounds, timeout, pages, deadline, hold=hold,
                                        sessions_out=live, finished=finished)) for i in range(n)]
    # Wait until every session has loaded its pages (they then wait on `hold`, still connected).
    while len(finished) + sum(t.done() for t in tasks) < n:
        await asyncio.sleep(0.02)
    wall = time.perf_counter() - t0
    busy_cpu = servers.cpu() - cpu0
    rss_busy = servers.rss()
    # Idle: the sessions stay connected and do nothing.
    await asyncio.sleep(1.0)
    cpu1 = servers.cpu()
    await asyncio.sleep(idle_s)
    idle_cpu = (servers.cpu() - cpu1) / idle_s
    connected = sum(1 for s in live if s.ws is not None)
    hold.set()
    results = await asyncio.gather(*tasks)
    for s in live:
        await s.close()
    loads = [ld for r in results for ld in r]
    ok = [ld for ld in loads if not ld.error]
    errors = [ld for ld in loads if ld.error]
    per_page = {title: summary([ld.seconds for ld in ok if ld.page == p]) for p, title in PAGES}
    return {
        "sessions": n, "connected_idle": connected, "pages_loaded": len(ok), "errors": len(errors),
        "error_samples": sorted({ld.error for ld in errors})[:5],
        "expected_pages": n * rounds * len(pages),
        "all": summary([ld.seconds for ld in ok]), "per_page": per_page,
        "wall_s": wall, "busy_cpu_cores": busy_cpu / wall if wall else float("nan"),
        "cpu_s_per_page": busy_cpu / len(ok) if ok else float("nan"),
        "idle_cpu_cores": idle_cpu, "rss_mib": rss_busy / MIB,
    }


async def churn(ports: list[int], count: int, concurrency: int, timeout: float, deadline: float) -> dict:
    sem = asyncio.Semaphore(concurrency)
    loads: list[Load] = []

    async def one(i: int) -> None:
        async with sem:
            if time.monotonic() > deadline:
                return
            loads.extend(await browse(ports[i % len(ports)], 1, timeout, [""], deadline))

    t0 = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(count)))
    ok = [ld for ld in loads if not ld.error]
    return {"sessions": len(loads), "errors": len(loads) - len(ok), "wall_s": time.perf_counter() - t0,
            "error_samples": sorted({ld.error for ld in loads if ld.error})[:5],
            "all": summary([ld.seconds for ld in ok])}


async def reviewed_shown(port: int, timeout: float) -> int | None:
    s = Session(port, timeout)
    await s.open()
    try:
        await s.load("")
    finally:
        await s.close()
    return s.reviewed


async def writes_phase(servers: Servers, ports: list[int], python: str, env: dict, cfg_path: Path,
                       writes: int, timeout: float, deadline: float, offset: int) -> dict:
    """``writes`` decisions from another process while 10 sessions browse."""
    pages = [p for p, _ in PAGES]
    proc = await asyncio.create_subprocess_exec(
        python, "-c", WRITER, str(cfg_path), str(writes), "0.3", str(offset), env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    tasks = [asyncio.create_task(browse(ports[i % len(ports)], 2, timeout, pages, deadline)) for i in range(10)]
    out, err = await proc.communicate()
    loads = [ld for r in await asyncio.gather(*tasks) for ld in r]
    if proc.returncode:
        return {"error": f"writer failed: {err.decode(errors='replace')[-400:]}"}
    written = json.loads(out.decode().strip().splitlines()[-1])
    shown = [await reviewed_shown(p, timeout) for p in ports]
    return {"writes": writes, "stored": len(written["ids"]), "log_total": written["total"],
            "pages_loaded": sum(not ld.error for ld in loads), "errors": sum(bool(ld.error) for ld in loads),
            "error_samples": sorted({ld.error for ld in loads if ld.error})[:5],
            "reviewed_shown": shown}


def seed_decisions(python: str, env: dict, cfg_path: Path, n: int) -> int:
    out = subprocess.run([python, "-c", WRITER, str(cfg_path), str(n), "0", "1000"], env=env,
                         capture_output=True, text=True, timeout=300)
    if out.returncode:
        raise RuntimeError(f"seeding the decision store failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])["total"]


def run(args: argparse.Namespace) -> dict:
    app_root = args.app_root.resolve()
    if not (app_root / "app.py").is_file():
        raise SystemExit(f"bench_load: {app_root}/app.py introuvable")
    work = Path(tempfile.mkdtemp(prefix="crossref-load-"))
    cache = args.cache_dir.resolve()
    cache.mkdir(parents=True, exist_ok=True)
    cfg_path = work / "config.toml"
    # The app root's data, a private decision store, the benchmark's own embedding cache.
    cfg_path.write_text(
        f'data_dir = {json.dumps(str(app_root / "data"))}\n'
        f'database_url = {json.dumps("sqlite:///" + str(work / "decisions.sqlite"))}\n'
        f'[embedding]\ncache_dir = {json.dumps(str(cache))}\n', encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("STREAMLIT_")}
    env.update(PYTHONPATH=str(app_root), CROSSREF_CONFIG=str(cfg_path), PYTHONDONTWRITEBYTECODE="1")
    python = args.python
    started = time.monotonic()
    deadline = started + args.max_seconds
    report: dict = {
        "label": args.label, "app_root": str(app_root), "commit": git_describe(app_root),
        "file_watcher": watcher_setting(app_root, args.server_arg), "server_args": args.server_arg,
        "processes": args.processes, "rounds": args.rounds, "machine": {
            "cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "loadavg_start": os.getloadavg(), "date": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
    print(f"[{args.label}] {app_root} @ {report['commit']} — file watcher: {report['file_watcher']}, "
          f"{args.processes} process(es); load average {fmt_load(report['loadavg_start'])}", flush=True)
    report["seeded_decisions"] = seed_decisions(python, env, cfg_path, args.seed)

    base = free_port_block(args.processes)
    ports = [base + i for i in range(args.processes)]
    servers = Servers([Server(app_root, p, env, work / f"server-{p}.log", args.server_arg, python)
                       for p in ports])
    try:
        t0 = time.perf_counter()
        for s in servers.all:
            s.wait_healthy(args.start_timeout)
        report["start_s"] = time.perf_counter() - t0
        report["rss_started_mib"] = servers.rss() / MIB
        # Warm-up: the results (from the disk cache, or computed) and each page's derived tables.
        t0 = time.perf_counter()
        warm = asyncio.run(_warm(ports, args.start_timeout, deadline))
        report["warmup_s"] = time.perf_counter() - t0
        report["warmup_errors"] = [ld.error for ld in warm if ld.error][:5]
        time.sleep(2.0)
        report["rss_warm_mib"] = servers.rss() / MIB
        print(f"  started in {report['start_s']:.1f} s, warm-up {report['warmup_s']:.1f} s, "
              f"RSS warm {report['rss_warm_mib']:.0f} MiB", flush=True)
        report["levels"] = []
        for n in args.sessions:
            if time.monotonic() > deadline:
                report["levels"].append({"sessions": n, "skipped": "time budget spent"})
                continue
            lv = asyncio.run(level(servers, ports, n, args.rounds, args.page_timeout, deadline, args.idle_seconds))
            report["levels"].append(lv)
            print("  " + level_line(lv), flush=True)
        if args.writes and time.monotonic() < deadline:
            report["writes"] = asyncio.run(writes_phase(servers, ports, python, env, cfg_path, args.writes,
                                                        args.page_timeout, deadline, 2000))
            print(f"  writes: {report['writes']}", flush=True)
        if args.churn and time.monotonic() < deadline:
            ch = asyncio.run(churn(ports, args.churn, args.churn_concurrency, args.page_timeout, deadline))
            time.sleep(3.0)
            cpu1 = servers.cpu()
            time.sleep(args.idle_seconds)
            ch["idle_cpu_cores_no_session"] = (servers.cpu() - cpu1) / args.idle_seconds
            ch["rss_after_mib"] = servers.rss() / MIB
            report["churn"] = ch
            print(f"  churn: {ch['sessions']} sessions, {ch['errors']} errors, RSS after "
                  f"{ch['rss_after_mib']:.0f} MiB", flush=True)
        report["inotify_overflow_log_lines"] = sum(s.log_lines("Inotify queue overflow") for s in servers.all)
        report["server_log_errors"] = sum(s.log_lines("Traceback") for s in servers.all)
    finally:
        servers.stop()
        report["loadavg_end"] = os.getloadavg()
        report["total_s"] = time.monotonic() - started
        if args.keep_logs:
            print(f"  server logs kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return report


async def _warm(ports: list[int], timeout: float, deadline: float) -> list[Load]:
    pages = [p for p, _ in PAGES]
    loads = []
    for p in ports:
        loads += await browse(p, 2, timeout, pages, deadline + timeout)
    return loads


# ---------------------------------------------------------------- printing
def fmt_load(la) -> str:
    return " / ".join(f"{x:.2f}".replace(".", ",") for x in la) + " (1/5/15 min)"


def fmt_s(x: float) -> str:
    return "—" if x != x else f"{x:.2f}"


def trio(d: dict) -> str:
    return f"{fmt_s(d['p50'])} / {fmt_s(d['p95'])} / {fmt_s(d['max'])} s"


def level_line(lv: dict) -> str:
    if "skipped" in lv:
        return f"{lv['sessions']:>3} sessions: skipped ({lv['skipped']})"
    return (f"{lv['sessions']:>3} sessions: p50/p95/max {trio(lv['all'])}, {lv['errors']} errors "
            f"({lv['pages_loaded']}/{lv['expected_pages']} pages), busy CPU {lv['busy_cpu_cores']:.2f} core, "
            f"{lv['cpu_s_per_page']:.3f} CPU s/page, idle CPU {lv['idle_cpu_cores']:.3f} core "
            f"({lv['connected_idle']} connected), RSS {lv['rss_mib']:.0f} MiB")


def print_report(reports: list[dict]) -> None:
    names = [r["label"] for r in reports]
    w = max(36, *(len(n) + 2 for n in names))
    print()
    for r in reports:
        print(f"{r['label']}: {r['app_root']} @ {r['commit']}, file watcher {r['file_watcher']}, "
              f"{r['processes']} process(es), {r['machine']['cpus']} CPUs, {r['date']}; load average "
              f"{fmt_load(r['loadavg_start'])} at start, {fmt_load(r['loadavg_end'])} at end")
    print("\nPage load p50 / p95 / max (warm; each session: " + " → ".join(t for _, t in PAGES)
          + f", {reports[0]['rounds']} rounds)")
    print(f"{'sessions':<20}" + "".join(f"{n:>{w}}" for n in names))
    levels = sorted({lv["sessions"] for r in reports for lv in r.get("levels", [])})
    by = [{lv["sessions"]: lv for lv in r.get("levels", [])} for r in reports]
    for n in levels:
        cells = ""
        for b in by:
            lv = b.get(n)
            cell = f"{trio(lv['all'])}, {lv['errors']} err." if lv and "all" in lv else "—"
            cells += f"{cell:>{w}}"
        print(f"{n:<20}" + cells)
    print("\nPer page (p50 / p95 / max)")
    for n in levels:
        for _, title in PAGES:
            cells = ""
            for b in by:
                lv = b.get(n)
                cells += f"{(trio(lv['per_page'][title]) if lv and 'per_page' in lv else '—'):>{w}}"
            print(f"{n:<4}{title:<16}" + cells)
    print("\nServer")
    rows = [("start (s)", lambda r: fmt_s(r.get("start_s", float("nan")))),
            ("RSS warm (MiB)", lambda r: f"{r.get('rss_warm_mib', float('nan')):.0f}")]
    for n in levels:
        rows.append((f"busy CPU, {n} sess. (cores)", lambda r, n=n: _lv(r, n, "busy_cpu_cores", "{:.2f}")))
    for n in levels:
        rows.append((f"CPU s per page, {n} sess.", lambda r, n=n: _lv(r, n, "cpu_s_per_page", "{:.3f}")))
    for n in levels:
        rows.append((f"idle CPU, {n} connected", lambda r, n=n: _lv(r, n, "idle_cpu_cores", "{:.3f}")))
    for n in levels:
        rows.append((f"RSS, {n} sess. (MiB)", lambda r, n=n: _lv(r, n, "rss_mib", "{:.0f}")))
    rows += [
        ("churn sessions / errors", lambda r: f"{r['churn']['sessions']} / {r['churn']['errors']}"
         if "churn" in r else "—"),
        ("RSS after churn (MiB)", lambda r: f"{r['churn']['rss_after_mib']:.0f}" if "churn" in r else "—"),
        ("idle CPU, no session", lambda r: f"{r['churn']['idle_cpu_cores_no_session']:.3f}"
         if "churn" in r else "—"),
        ("writes stored / errors", lambda r: f"{r['writes']['stored']}/{r['writes']['writes']} / "
         f"{r['writes']['errors']}" if "writes" in r and "stored" in r["writes"] else "—"),
        ("reviewed pairs shown", lambda r: f"{r['writes']['reviewed_shown']} of {r['writes']['log_total']}"
         if "writes" in r and "stored" in r["writes"] else "—"),
        ("inotify overflow log lines", lambda r: str(r.get("inotify_overflow_log_lines", "—"))),
        ("server tracebacks in log", lambda r: str(r.get("server_log_errors", "—"))),
    ]
    for name, f in rows:
        print(f"{name:<30}" + "".join(f"{f(r):>{w - 10}}" for r in reports))
    print("\nTargets (issue 14)")
    for r in reports:
        print(f"  {r['label']}: " + "; ".join(verdicts(r)))


def _lv(r: dict, n: int, key: str, fmt: str) -> str:
    for lv in r.get("levels", []):
        if lv["sessions"] == n and key in lv:
            return fmt.format(lv[key])
    return "—"


def verdicts(r: dict) -> list[str]:
    out = []
    lv = {x["sessions"]: x for x in r.get("levels", []) if "all" in x}
    idle = max((x["idle_cpu_cores"] for x in lv.values()), default=float("nan"))
    out.append(f"idle CPU ≤ {TARGET_IDLE_CPU} core: {idle:.3f} {_ok(idle <= TARGET_IDLE_CPU)}")
    if 1 in lv:
        p = lv[1]["all"]["p50"]
        out.append(f"1 session p50 ≤ {TARGET_P50_ONE} s: {p:.2f} {_ok(p <= TARGET_P50_ONE)}")
    if 20 in lv:
        p, e = lv[20]["all"]["p95"], lv[20]["errors"]
        missing = lv[20]["expected_pages"] - lv[20]["pages_loaded"] - e  # not attempted (time budget, lost session)
        out.append(f"20 sessions p95 ≤ {TARGET_P95_20:.0f} s, no error: {p:.2f} s, {e} errors"
                   + (f", {missing} pages not loaded" if missing else "")
                   + f" {_ok(p <= TARGET_P95_20 and e == 0 and missing == 0)}")
    if "churn" in r and "rss_warm_mib" in r:
        d = r["churn"]["rss_after_mib"] - r["rss_warm_mib"]
        out.append(f"RSS after {r['churn']['sessions']} sessions − warm ≤ {TARGET_CHURN_MIB:.0f} MiB: "
                   f"{d:+.0f} MiB {_ok(d <= TARGET_CHURN_MIB)}")
    return out


def _ok(b: bool) -> str:
    return "OK" if b else "NOT MET"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--app-root", type=Path, default=ROOT,
                        help="checkout whose app.py is served (default: this one); e.g. main for BEFORE figures")
    parser.add_argument("--label", default="AFTER", help="name of this run in the tables (default AFTER)")
    parser.add_argument("--sessions", type=lambda s: [int(x) for x in s.split(",")], default=[1, 5, 10, 20],
                        help="concurrent session levels (default 1,5,10,20)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the three pages per session (default 3)")
    parser.add_argument("--processes", type=int, default=1,
                        help="Streamlit processes on consecutive ports, sessions pinned round-robin (default 1)")
    parser.add_argument("--churn", type=int, default=200, help="sessions that connect and leave (default 200)")
    parser.add_argument("--churn-concurrency", type=int, default=10)
    parser.add_argument("--writes", type=int, default=10,
                        help="decisions written by another process while 10 sessions browse (0: skip)")
    parser.add_argument("--seed", type=int, default=5, help="decisions in the store before the server starts")
    parser.add_argument("--idle-seconds", type=float, default=5.0, help="idle CPU measuring window")
    parser.add_argument("--page-timeout", type=float, default=120.0)
    parser.add_argument("--start-timeout", type=float, default=300.0, help="server start and warm-up, each")
    parser.add_argument("--max-seconds", type=float, default=1500.0, help="whole run (later phases skipped)")
    parser.add_argument("--server-arg", action="append", default=[],
                        help="extra `streamlit run` flag, repeatable (e.g. --server-arg=--server.fileWatcherType=auto)")
    parser.add_argument("--python", default=sys.executable, help="interpreter with streamlit (default: this one)")
    parser.add_argument("--cache-dir", type=Path, default=ROOT / "benchmarks" / "out" / "load-cache",
                        help="embedding / results cache of the servers (default benchmarks/out/load-cache)")
    parser.add_argument("--json", type=Path, help="write the figures there")
    parser.add_argument("--compare", type=Path, help="a saved run (JSON) to print side by side with this one")
    parser.add_argument("--report", type=Path, nargs="+", help="print saved runs side by side and exit")
    parser.add_argument("--keep-logs", action="store_true", help="keep the server logs (printed path)")
    args = parser.parse_args(argv)
    # Stopped by a signal: unwind, so the servers started are stopped too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    if args.report:
        print_report([json.loads(p.read_text(encoding="utf-8")) for p in args.report])
        return 0
    report = run(args)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        print(f"written to {args.json}")
    reports = ([json.loads(args.compare.read_text(encoding="utf-8"))] if args.compare else []) + [report]
    print_report(reports)
    return 0


if __name__ == "__main__":
    sys.exit(main())
