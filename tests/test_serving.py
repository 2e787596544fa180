"""Serving the dashboard: safe defaults (no file watcher), the developer target, several processes
behind nginx with sticky sessions (deploy/serve.py, deploy/nginx-crossref.conf.template)."""

from __future__ import annotations

import http.client
import importlib.util
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import tomllib
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SERVE = ROOT / "deploy" / "serve.py"
LOOPBACK = "127.0.0.1"


def _serve_module():
    spec = importlib.util.spec_from_file_location("crossref_deploy_serve", SERVE)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _free_ports(n: int) -> int:
    """A base port with n consecutive free loopback ports."""
    for _ in range(50):
        with socket.socket() as s:
            s.bind((LOOPBACK, 0))
            base = s.getsockname()[1]
        if base + n < 65535 and all(_free(p) for p in range(base, base + n)):
            return base
    raise RuntimeError("no free ports")


def _free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind((LOOPBACK, port))
        except OSError:
            return False
    return True


def _make_dry_run(target: str) -> list[str]:
    if shutil.which("make") is None:
        pytest.skip("make absent")
    out = subprocess.run(["make", "-n", target], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout.splitlines()


# ---------------------------------------------------------------- serving defaults
def test_config_serves_without_file_watcher_nor_forced_gc():
    cfg = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert cfg["server"]["fileWatcherType"] == "none"
    assert cfg["server"]["runOnSave"] is False
    assert not cfg["server"].get("folderWatchList")
    assert cfg["runner"]["postScriptGC"] is False


READ_OPTIONS = """
import json
from streamlit import config
config.get_config_options(force_reparse=True)
print(json.dumps({k: config.get_option(k) for k in
                  ("server.fileWatcherType", "server.runOnSave", "runner.postScriptGC")}))
"""


def test_streamlit_reads_the_serving_defaults():
    env = {k: v for k, v in os.environ.items() if not k.startswith("STREAMLIT_")}
    out = subprocess.run([sys.executable, "-c", READ_OPTIONS], cwd=ROOT, capture_output=True, text=True,
                         timeout=120, env=env)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1]) == {
        "server.fileWatcherType": "none", "server.runOnSave": False, "runner.postScriptGC": False}


def test_make_app_keeps_the_watcher_off():
    run = [line for line in _make_dry_run("app") if "streamlit run app.py" in line]
    assert len(run) == 1
    assert "fileWatcherType" not in run[0] or "fileWatcherType none" in run[0]
    assert "runOnSave true" not in run[0]


def test_make_app_dev_polls_the_sources_and_reruns_on_save():
    run = [line for line in _make_dry_run("app-dev") if "streamlit run app.py" in line]
    assert len(run) == 1
    assert "--server.fileWatcherType poll" in run[0] and "--server.runOnSave true" in run[0]


def test_make_serve_team_starts_workers_with_an_nginx_config():
    run = [line for line in _make_dry_run("serve-team") if "deploy/serve.py" in line]
    assert len(run) == 1
    assert "--workers 2" in run[0] and "--base-port 8501" in run[0] and "--nginx-conf" in run[0]


# ---------------------------------------------------------------- nginx configuration
def test_nginx_config_lists_every_worker_with_sticky_sessions():
    text = _serve_module().render_nginx([8601, 8602, 8603], listen="127.0.0.1:8080", server_name="crossref.local")
    servers = re.findall(r"^\s*server (\S+);$", text, flags=re.M)
    assert servers == ["127.0.0.1:8601", "127.0.0.1:8602", "127.0.0.1:8603"]
    assert "hash $crossref_route consistent;" in text            # sticky on the cookie
    assert "crossref_route=$crossref_route; Path=/" in text       # the cookie is set
    assert "proxy_set_header Upgrade $http_upgrade;" in text      # websockets pass
    assert "listen 127.0.0.1:8080;" in text and "server_name crossref.local;" in text
    assert "@" not in text.replace("@WORKERS@", "")  # no placeholder left


# ---------------------------------------------------------------- two processes
@pytest.fixture(scope="module")
def workers(tmp_path_factory):
    """deploy/serve.py with two processes on free loopback ports; stopped (and checked) at the end."""
    tmp = tmp_path_factory.mktemp("serve")
    cfg = tmp / "config.json"
    cfg.write_text(json.dumps({"data_dir": str(ROOT / "data"),
                               "database_url": f"sqlite:///{tmp / 'decisions.sqlite'}"}), encoding="utf-8")
    base = _free_ports(2)
    conf = tmp / "crossref.conf"
    listen = _free_ports(1)
    proc = subprocess.Popen(
        [sys.executable, str(SERVE), "--workers", "2", "--base-port", str(base), "--nginx-conf", str(conf),
         "--listen", f"{LOOPBACK}:{listen}", "--log-dir", str(tmp / "logs")],
        cwd=ROOT, env={**os.environ, "CROSSREF_CONFIG": str(cfg), "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    ready = []
    deadline = time.monotonic() + 180
    while len(ready) < 2 and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        if "(prêt)" in line:
            ready.append(line)
    if len(ready) < 2:
        proc.kill()
        pytest.fail(f"serve.py did not start two workers: {ready} {proc.stderr.read()[-2000:]}")
    yield {"proc": proc, "ports": [base, base + 1], "conf": conf, "listen": listen, "tmp": tmp}
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
    if Path("/proc/net/tcp").exists():
        for p in (base, base + 1):
            assert not _listening_addresses(p), f"port {p} still listened on after serve.py stopped"


def test_two_processes_serve_the_health_endpoint(workers):
    for port in workers["ports"]:
        with urllib.request.urlopen(f"http://{LOOPBACK}:{port}/_stcore/health", timeout=10) as r:
            assert r.status == 200 and r.read().strip() == b"ok"
        with urllib.request.urlopen(f"http://{LOOPBACK}:{port}/", timeout=10) as r:  # the app's page
            assert r.status == 200 and b"<html" in r.read().lower()


def _listening_addresses(port: int) -> set[str]:
    out = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            local, state = line.split()[1], line.split()[3]
            addr, hexport = local.split(":")
            if state == "0A" and int(hexport, 16) == port:  # LISTEN
                out.add(addr)
    return out


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="needs Linux /proc")
def test_processes_listen_on_loopback_only(workers):
    for port in workers["ports"]:
        assert _listening_addresses(port) == {"0100007F"}  # 127.0.0.1, nothing else


def test_serve_writes_the_nginx_config_of_its_processes(workers):
    text = workers["conf"].read_text(encoding="utf-8")
    assert re.findall(r"^\s*server (\S+);$", text, flags=re.M) == [f"{LOOPBACK}:{p}" for p in workers["ports"]]


def test_serve_refuses_a_busy_port(workers):
    out = subprocess.run([sys.executable, str(SERVE), "--workers", "1", "--base-port", str(workers["ports"][0])],
                         cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 2
    assert "déjà utilisé" in out.stderr and str(workers["ports"][0]) in out.stderr


# ---------------------------------------------------------------- through nginx (when installed)
def _nginx() -> str | None:
    return os.environ.get("CROSSREF_NGINX") or shutil.which("nginx")


@pytest.fixture(scope="module")
def proxy(workers):
    nginx = _nginx()
    if not nginx:
        pytest.skip("nginx absent (install it, or set CROSSREF_NGINX to its binary)")
    tmp = workers["tmp"] / "nginx"
    tmp.mkdir()
    main = tmp / "nginx.conf"
    temp_paths = "\n".join(f"    {d}_temp_path {tmp / d};" for d in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    main.write_text(f"""worker_processes 1;
pid {tmp / 'nginx.pid'};
error_log {tmp / 'error.log'};
events {{ worker_connections 256; }}
http {{
    log_format upstream '$upstream_addr $cookie_crossref_route $request_uri';
    access_log {tmp / 'access.log'} upstream;
{temp_paths}
    include {workers['conf']};
}}
""", encoding="utf-8")
    check = subprocess.run([nginx, "-t", "-p", str(tmp), "-c", str(main)], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    proc = subprocess.Popen([nginx, "-p", str(tmp), "-c", str(main), "-g", "daemon off;"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 20
    while _free(workers["listen"]) and time.monotonic() < deadline:
        time.sleep(0.1)
    yield {"port": workers["listen"], "log": tmp / "access.log"}
    proc.terminate()
    proc.wait(timeout=20)


def _get(port: int, path: str, cookie: str | None = None) -> http.client.HTTPResponse:
    conn = http.client.HTTPConnection(LOOPBACK, port, timeout=10)
    conn.request("GET", path, headers={"Cookie": f"crossref_route={cookie}"} if cookie else {})
    r = conn.getresponse()
    r.body = r.read()
    conn.close()
    return r


def _upstreams(log: Path, cookie: str) -> set[str]:
    time.sleep(0.2)  # nginx writes the log line after the response
    return {line.split()[0] for line in log.read_text().splitlines() if line.split()[1:2] == [cookie]}


def test_nginx_sets_a_route_cookie_and_keeps_each_session_on_one_process(proxy, workers):
    r = _get(proxy["port"], "/")
    assert r.status == 200
    cookie = re.search(r"crossref_route=([^;]+)", r.getheader("Set-Cookie") or "")
    assert cookie, r.getheaders()
    route = cookie.group(1)
    for _ in range(6):
        r = _get(proxy["port"], "/_stcore/health", route)
        assert r.status == 200 and r.body.strip() == b"ok"
    assert len(_upstreams(proxy["log"], route)) == 1
    # Different sessions spread over both processes (fixed keys: the hash is deterministic).
    used = set()
    for i in range(16):
        _get(proxy["port"], "/_stcore/health", f"session-{i}")
        used |= _upstreams(proxy["log"], f"session-{i}")
    assert used == {f"{LOOPBACK}:{p}" for p in workers["ports"]}


def test_nginx_passes_the_websocket(proxy):
    from websockets.sync.client import connect
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    with connect(f"ws://{LOOPBACK}:{proxy['port']}/_stcore/stream", subprotocols=["streamlit"],
                 additional_headers={"Cookie": "crossref_route=ws-test"}, open_timeout=20,
                 max_size=None) as ws:
        msg = BackMsg()
        msg.rerun_script.query_string = ""
        ws.send(msg.SerializeToString())
        kinds = set()
        deadline = time.monotonic() + 60
        while "new_session" not in kinds and time.monotonic() < deadline:
            fm = ForwardMsg()
            fm.ParseFromString(ws.recv(timeout=60))
            kinds.add(fm.WhichOneof("type"))
        assert "new_session" in kinds
    assert len(_upstreams(proxy["log"], "ws-test")) == 1
