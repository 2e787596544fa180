"""Serve the dashboard to a team: K Streamlit processes on consecutive loopback ports, for nginx.

    .venv/bin/python deploy/serve.py --workers 2 --base-port 8501 --nginx-conf deploy/out/crossref.conf
    make serve-team WORKERS=2 PORT=8501

Starts ``streamlit run app.py`` K times, on 127.0.0.1:PORT … PORT+K-1 (loopback only: nginx is the
one that listens on the network), with the repository's .streamlit/config.toml (no file watcher);
waits until each answers /_stcore/health, writes the nginx site configuration for them from
deploy/nginx-crossref.conf.template (sticky sessions), then supervises: Ctrl-C or SIGTERM stops
them all, and if one stops on its own the others are stopped too and the exit status is 1 (run it
under systemd or another supervisor with a restart policy). One process per core: a process renders
one page at a time on one core.

Every process reads the same configuration ($CROSSREF_CONFIG) and the same decision store, which
takes concurrent writers.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = Path(__file__).resolve().parent / "nginx-crossref.conf.template"
LOOPBACK = "127.0.0.1"


def render_nginx(ports: list[int], listen: str = "80", server_name: str = "_",
                 template: Path = TEMPLATE) -> str:
    """The nginx site configuration for workers on ``ports`` (loopback)."""
    servers = "\n".join(f"    server {LOOPBACK}:{p};" for p in ports)
    text = template.read_text(encoding="utf-8")
    for name, value in (("@WORKERS@", str(len(ports))), ("@SERVERS@", servers), ("@LISTEN@", listen),
                        ("@SERVER_NAME@", server_name)):
        text = text.replace(name, value)
    return text


def port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind((LOOPBACK, port))
        except OSError:
            return False
    return True


def healthy(port: int, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(f"http://{LOOPBACK}:{port}/_stcore/health", timeout=timeout) as r:
            return r.status == 200 and r.read().strip() == b"ok"
    except OSError:
        return False


def start_worker(port: int, extra: list[str], log_dir: Path | None) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.address", LOOPBACK,
           "--server.port", str(port), "--server.headless", "true", *extra]
    out = open(log_dir / f"streamlit-{port}.log", "ab") if log_dir else None
    return subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT if out else None)


def stop_all(procs: list[subprocess.Popen], timeout: float = 20.0) -> None:
    for p in procs:
        if p.poll() is None:
            p.terminate()
    deadline = time.monotonic() + timeout
    for p in procs:
        try:
            p.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Lance K processus Streamlit du tableau de bord sur des ports "
                                                 "consécutifs de 127.0.0.1, derrière nginx.")
    parser.add_argument("--workers", type=int, default=2, help="nombre de processus (un par cœur ; défaut 2)")
    parser.add_argument("--base-port", type=int, default=8501, help="port du premier processus (défaut 8501)")
    parser.add_argument("--nginx-conf", type=Path, help="écrire ici la configuration nginx de ces processus")
    parser.add_argument("--listen", default="80", help="adresse:port d'écoute de nginx (défaut 80)")
    parser.add_argument("--server-name", default="_", help="server_name nginx (défaut _)")
    parser.add_argument("--log-dir", type=Path, help="journaux des processus (défaut : la sortie standard)")
    parser.add_argument("--start-timeout", type=float, default=120.0)
    parser.add_argument("streamlit_args", nargs="*", help="options supplémentaires de `streamlit run` (après --)")
    args = parser.parse_args(argv)

    if args.workers < 1:
        print("serve: erreur : --workers doit être au moins 1", file=sys.stderr)
        return 2
    ports = [args.base_port + i for i in range(args.workers)]
    busy = [p for p in ports if not port_free(p)]
    if busy:
        print(f"serve: erreur : port(s) déjà utilisé(s) sur {LOOPBACK} : {', '.join(map(str, busy))}",
              file=sys.stderr)
        return 2
    if args.log_dir:
        args.log_dir.mkdir(parents=True, exist_ok=True)

    stopping = False

    def _stop(signum, _frame) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)

    procs = [start_worker(p, args.streamlit_args, args.log_dir) for p in ports]
    try:
        deadline = time.monotonic() + args.start_timeout
        pending = list(ports)
        while pending and not stopping:
            for proc, port in zip(procs, ports):
                if proc.poll() is not None:
                    print(f"serve: erreur : le processus du port {port} s'est arrêté ({proc.returncode})",
                          file=sys.stderr)
                    return 1
            pending = [p for p in pending if not healthy(p)]
            if pending and time.monotonic() > deadline:
                print(f"serve: erreur : pas de réponse de /_stcore/health sur {', '.join(map(str, pending))} "
                      f"après {args.start_timeout:.0f} s", file=sys.stderr)
                return 1
            if pending:
                time.sleep(0.3)
        if stopping:
            return 0
        if args.nginx_conf:
            args.nginx_conf.parent.mkdir(parents=True, exist_ok=True)
            tmp = args.nginx_conf.with_name(args.nginx_conf.name + ".tmp")
            tmp.write_text(render_nginx(ports, args.listen, args.server_name), encoding="utf-8")
            os.replace(tmp, args.nginx_conf)
        for port, proc in zip(ports, procs):
            print(f"processus {proc.pid} : http://{LOOPBACK}:{port} (prêt)", flush=True)
        if args.nginx_conf:
            print(f"configuration nginx : {args.nginx_conf}", flush=True)
        while not stopping:
            for proc, port in zip(procs, ports):
                if proc.poll() is not None:
                    print(f"serve: erreur : le processus du port {port} s'est arrêté ({proc.returncode}) ; "
                          "arrêt des autres", file=sys.stderr)
                    return 1
            time.sleep(0.5)
        return 0
    finally:
        stop_all(procs)


if __name__ == "__main__":
    sys.exit(main())
