#!/usr/bin/env python3
"""Deployment rehearsal: the production topology on loopback, without containers.

    deploy/rehearsal/rehearse.py [--keep] [--requests 1000] [--clients 8]

What it does, and what must hold (it exits non-zero, naming the check, if anything fails):

1. Build: the wheel is built from a copy of the source and installed into a fresh virtualenv;
   a second, "bad" build is made the same way (a newer version carrying a migration that is
   never applied, so its readiness answers 503 — a release whose migration Job failed).
   Everything from here runs as a non-root user (`simplepro-rehearsal`, created when run as
   root).
2. Stand up: PostgreSQL (a fresh database on the local server) and Redis; secrets written to
   files (mode 0600) and read through the *_FILE variables; `simplepro check-deploy` must pass;
   `simplepro migrate`; two app instances in production mode (`simplepro serve`, 2 workers
   each); nginx with deploy/nginx/simplepro.conf, a freshly generated self-signed certificate,
   and an upstream file this script rewrites to drain instances.
3. Smoke through nginx over HTTPS: health, log in, create a customer with only instance A in
   the upstream, read it back with only instance B, then deploy/smoke.py with both.
4. Rolling restart under load: several clients (each its own user) mix authenticated list
   GETs and create POSTs through nginx; each instance in turn is drained (removed from the
   upstream, `nginx -s reload`), sent SIGTERM at once with requests still in flight,
   restarted, and put back when ready. Zero failed requests; every created customer exists.
   One scheduler too many (two, as in an overlapping failover) and two workers run throughout,
   with the estimate expiry due every minute.
5. Bad release under load: instance A is drained and replaced by the bad build; its readiness
   never passes, so the script keeps it out of the upstream and restores the previous build.
   Every response during the phase carries the previous build's X-SimplePro-Version.
6. Secret rotation under load: the JWT signing key, the secret key, the database login and the
   Redis password are rotated by rolling restarts (docs/operations/secrets.md) while people
   keep logging in; tokens signed before stay valid, a token any instance signs is accepted by
   every instance, the database sees only the new login, the old Redis password is refused.

Finally the scheduled work must have run once a minute, never twice, always successfully.

Prints a summary (requests, failures, p50/p95/max, longest pause in traffic, per phase; build
and cold-start figures) and writes it as JSON to <workdir>/summary.json.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import pwd
import re
import shutil
import signal
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "deploy"))
import smoke  # noqa: E402  (deploy/smoke.py: the same checks the deploy workflow runs)

USER = "simplepro-rehearsal"
PASSWORD = os.urandom(16).hex()  # throw-away users of a throw-away database
BOUNDARY = "simplepro-rehearsal-boundary"
# nginx's access log in the rehearsal's format: end time, duration, upstream(s), status.
ACCESS_LINE = re.compile(r'^(?P<msec>\S+) (?P<duration>\S+) (?P<upstream>.+) (?P<status>\d{3}) "')
IMPORT_ROWS = 5000  # the most one import takes; long enough to be in flight at SIGTERM
STARTED = time.monotonic()


class RehearsalFailure(RuntimeError):
    """A promise of the deployment did not hold."""


def say(message: str) -> None:
    print(f"[{time.monotonic() - STARTED:7.1f}s] {message}", flush=True)


def check(condition: bool, failure: str) -> None:
    if not condition:
        raise RehearsalFailure(failure)


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Outcome:
    """One request of the load: what was asked, what came back, and when."""

    method: str
    status: int
    started: float
    ended: float
    version: str
    error: str = ""
    body: dict[str, Any] = field(default_factory=dict)

    @property
    def failed(self) -> bool:
        return bool(self.error) or self.status not in {200, 201}


@dataclass
class Instance:
    name: str
    port: int
    build: str = ""
    process: subprocess.Popen[bytes] | None = None
    starts: list[float] = field(default_factory=list)  # seconds from exec to ready

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None


class Rehearsal:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.workdir = Path(args.workdir or tempfile.mkdtemp(prefix="simplepro-rehearsal-"))
        self.as_root = os.geteuid() == 0
        self.uid, self.gid = self._user()
        self.https_port, self.http_port = free_port(), free_port()
        self.instances = {name: Instance(name, free_port()) for name in ("A", "B")}
        self.nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        # The interpreter the non-root user builds and runs with: root's own may live in a
        # folder that user cannot read.
        self.python = args.python or (
            "/usr/bin/python3"
            if self.as_root and Path("/usr/bin/python3").exists()
            else sys.executable
        )
        self.database = args.database
        self.figures: dict[str, Any] = {"phases": {}}
        self.versions: dict[str, str] = {}
        self.created: list[str] = []
        self.imported: dict[str, int] = {}
        self.admin_token = ""
        self.passwords: dict[str, str] = {}
        self.jwt_keys: list[dict[str, str]] = []
        self.secret_key = ""
        self.signing_kids: set[str] = set()
        self.background: list[subprocess.Popen[bytes]] = []
        self._lock = threading.Lock()

    # -- processes as the non-root user -------------------------------------------------------

    def _user(self) -> tuple[int, int]:
        if not self.as_root:
            return os.getuid(), os.getgid()
        try:
            entry = pwd.getpwnam(USER)
        except KeyError:
            subprocess.run(
                ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", USER],
                check=True,
            )
            entry = pwd.getpwnam(USER)
        return entry.pw_uid, entry.pw_gid

    def _identity(self) -> dict[str, Any]:
        if not self.as_root:
            return {}
        return {"user": self.uid, "group": self.gid, "extra_groups": []}

    def env(self, **extra: str) -> dict[str, str]:
        base = {
            "PATH": "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin",
            "HOME": str(self.workdir / "home"),
            "LANG": "C.UTF-8",
            "PIP_CACHE_DIR": str(self.workdir / "pip-cache"),
            "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        }
        return base | extra

    def run(self, *command: str, env: dict[str, str] | None = None, stdin: str = "") -> str:
        done = subprocess.run(
            command,
            env=env or self.env(),
            input=stdin,
            capture_output=True,
            text=True,
            check=False,
            cwd=self.workdir,
            **self._identity(),
        )
        if done.returncode != 0:
            raise RehearsalFailure(
                f"`{' '.join(command)}` exited {done.returncode}:\n{done.stdout[-2000:]}"
                f"{done.stderr[-3000:]}"
            )
        return done.stdout

    def own(self, path: Path) -> None:
        if self.as_root:
            for item in [path, *path.rglob("*")]:
                os.lchown(item, self.uid, self.gid)

    # -- 1. builds ---------------------------------------------------------------------------

    def build(self, name: str, patch: bool) -> str:
        """Copy the source, optionally make it the bad release, build the wheel, install it in a
        fresh virtualenv. Returns the build's version."""
        source = self.workdir / f"source-{name}"
        shutil.copytree(REPO / "src", source / "src", ignore=shutil.ignore_patterns("*.pyc"))
        for file in ("pyproject.toml", "README.md"):
            shutil.copy(REPO / file, source / file)
        init = source / "src" / "simplepro" / "__init__.py"
        version = re.search(r'__version__ = "([^"]+)"', init.read_text())
        check(version is not None, "no __version__ in simplepro/__init__.py")
        assert version is not None
        good = version.group(1)
        if patch:
            bad = f"{good}.post999"
            init.write_text(init.read_text().replace(f'"{good}"', f'"{bad}"'))
            pyproject = source / "pyproject.toml"
            pyproject.write_text(
                pyproject.read_text().replace(f'version = "{good}"', f'version = "{bad}"', 1)
            )
            migrations = source / "src" / "simplepro" / "core" / "migrations"
            latest = max(p.stem for p in migrations.glob("0*.py"))
            (migrations / "9999_rehearsal_never_applied.py").write_text(
                "from django.db import migrations\n\n\n"
                "class Migration(migrations.Migration):\n"
                f"    dependencies = [('core', '{latest}')]\n"
                "    operations: list = []\n"
            )
        self.own(source)
        started = time.monotonic()
        dist = self.workdir / f"dist-{name}"
        self.run(self.python, "-m", "pip", "wheel", "--quiet", "--no-deps",
                 "--wheel-dir", str(dist), str(source))  # fmt: skip
        built = time.monotonic() - started
        wheel = next(dist.glob("simplepro-*.whl"))
        venv = self.workdir / f"venv-{name}"
        started = time.monotonic()
        self.run(self.python, "-m", "venv", str(venv))
        self.run(str(venv / "bin" / "pip"), "install", "--quiet", str(wheel))
        installed = time.monotonic() - started
        site = next((venv / "lib").glob("python3*/site-packages"))
        size = sum(f.stat().st_size for f in site.rglob("*") if f.is_file())
        own_size = sum(f.stat().st_size for f in (site / "simplepro").rglob("*") if f.is_file())
        this = bad if patch else good
        self.figures[f"build_{name}"] = {
            "version": this,
            "wheel_bytes": wheel.stat().st_size,
            "wheel_build_seconds": round(built, 1),
            "install_seconds": round(installed, 1),
            "installed_bytes_with_dependencies": size,
            "installed_bytes_simplepro_only": own_size,
        }
        say(
            f"build {name}: {wheel.name} ({wheel.stat().st_size / 1e6:.1f} MB) in {built:.0f} s; "
            f"installed with dependencies {size / 1e6:.0f} MB in {installed:.0f} s"
        )
        self.versions[name] = this
        return this

    # -- 2. the stack ------------------------------------------------------------------------

    def write_secret(self, name: str, value: str) -> Path:
        path = self.workdir / "secrets" / name
        path.parent.mkdir(exist_ok=True, mode=0o700)
        path.write_text(value)
        path.chmod(0o600)
        self.own(path.parent)
        return path

    def app_env(self, instance: str = "") -> dict[str, str]:
        secrets = self.workdir / "secrets"
        origin = f"https://localhost:{self.https_port}"
        extra = {
            "SIMPLEPRO_ENV": "production",
            "SIMPLEPRO_DATA_DIR": str(self.workdir / "data"),
            "SIMPLEPRO_PUBLIC_URL": origin,
            "SIMPLEPRO_ALLOWED_HOSTS": "localhost,127.0.0.1",
            "SIMPLEPRO_CSRF_TRUSTED_ORIGINS": origin,
            "SIMPLEPRO_TRUSTED_PROXIES": "127.0.0.1",
            "SIMPLEPRO_LOG_LEVEL": "WARNING",
            "SIMPLEPRO_SECRET_KEY_FILE": str(secrets / "simplepro_secret_key"),
            "SIMPLEPRO_SECRET_KEY_FALLBACKS_FILE": str(secrets / "simplepro_secret_key_fallbacks"),
            "SIMPLEPRO_JWT_KEYS_FILE": str(secrets / "simplepro_jwt_keys"),
            "DATABASE_URL_FILE": str(secrets / "simplepro_database_url"),
            "REDIS_URL_FILE": str(secrets / "simplepro_redis_url"),
            "SIMPLEPRO_METRICS_TOKEN_FILE": str(secrets / "simplepro_metrics_token"),
            # Due every minute, so the rehearsal sees the scheduled work run several times.
            "SIMPLEPRO_SCHEDULE_EXPIRE_ESTIMATES": "* * * * *",
        }
        if instance:
            # Instances share the data folder, so each keeps its metric files apart.
            extra["PROMETHEUS_MULTIPROC_DIR"] = str(self.workdir / f"metrics-{instance}")
        return self.env(**extra)

    def simplepro(self, build: str, *args: str, stdin: str = "") -> str:
        program = str(self.workdir / f"venv-{build}" / "bin" / "simplepro")
        return self.run(program, *args, env=self.app_env(), stdin=stdin)

    # Credentials the rehearsal rotates: PostgreSQL login roles (blue now, green next, both
    # members of a NOLOGIN owner role that owns every object) and a Redis ACL user with a
    # password that is replaced by a second one.

    def role(self, colour: str) -> str:
        return f"{self.database}_{colour}"

    def database_url(self, colour: str) -> str:
        admin = urllib.parse.urlsplit(self.args.postgres)
        login = self.role(colour)
        netloc = f"{login}:{self.passwords[colour]}@{admin.hostname}:{admin.port or 5432}"
        return admin._replace(netloc=netloc, path=f"/{self.database}").geturl()

    def redis_url(self, password: str) -> str:
        admin = urllib.parse.urlsplit(self.args.redis)
        netloc = f"{self.role('redis')}:{password}@{admin.hostname}:{admin.port or 6379}"
        return admin._replace(netloc=netloc).geturl()

    def psql(self, sql: str, database: str = "") -> str:
        url = self.args.postgres
        if database:
            url = urllib.parse.urlsplit(url)._replace(path=f"/{database}").geturl()
        return subprocess.run(
            ["psql", url, "-v", "ON_ERROR_STOP=1", "-qtA", "-c", sql],
            check=True, capture_output=True, text=True,
        ).stdout.strip()  # fmt: skip

    def redis(self, *command: str, url: str = "") -> str:
        done = subprocess.run(
            ["redis-cli", "-u", url or self.args.redis, *command],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        return done.stdout.strip()

    def drop_credentials(self) -> None:
        self.psql(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
        for colour in ("blue", "green", "owner"):
            self.psql(f'DROP ROLE IF EXISTS "{self.role(colour)}"')
        self.redis("ACL", "DELUSER", self.role("redis"))

    def stand_up(self) -> None:
        self.drop_credentials()
        self.passwords = {c: os.urandom(16).hex() for c in ("blue", "green", "redis1", "redis2")}
        owner = self.role("owner")
        self.psql(f'CREATE ROLE "{owner}" NOLOGIN')
        for colour in ("blue", "green"):
            login = self.role(colour)
            self.psql(f"CREATE ROLE \"{login}\" LOGIN PASSWORD '{self.passwords[colour]}' "
                      f'IN ROLE "{owner}"')  # fmt: skip
            # Every session acts as the owner role, so objects a migration creates belong to
            # it and the next login role can use and alter them.
            self.psql(f"ALTER ROLE \"{login}\" SET role = '{owner}'")
        self.psql(f'CREATE DATABASE "{self.database}" OWNER "{owner}"')
        self.redis("ACL", "SETUSER", self.role("redis"), "on", f">{self.passwords['redis1']}",
                   "~*", "&*", "+@all")  # fmt: skip
        self.redis("FLUSHDB")
        token = os.urandom(24).hex()
        self.jwt_keys = [{"kid": "rehearsal-1", "secret": os.urandom(48).hex()}]
        self.secret_key = os.urandom(48).hex()
        self.write_secret("simplepro_secret_key", self.secret_key)
        self.write_secret("simplepro_secret_key_fallbacks", "[]")
        self.write_secret("simplepro_jwt_keys", json.dumps(self.jwt_keys))
        self.write_secret("simplepro_database_url", self.database_url("blue"))
        self.write_secret("simplepro_redis_url", self.redis_url(self.passwords["redis1"]))
        self.write_secret("simplepro_metrics_token", token)
        (self.workdir / "data").mkdir(exist_ok=True)
        self.own(self.workdir / "data")
        say("check-deploy: " + self.simplepro("good", "check-deploy").strip().splitlines()[-1])
        self.simplepro("good", "migrate")
        say("migrations applied")
        people = [("admin", "admin"), ("sales", "newcomer")]
        people += [("sales", f"mover{n}") for n in range(1, self.args.clients + 1)]
        for role, name in people:
            self.simplepro("good", "createuser", "--username", name, "--email",
                           f"{name}@rehearsal.example", "--role", role, "--password-stdin",
                           stdin=PASSWORD + "\n")  # fmt: skip
        self.start_nginx()
        for instance in self.instances.values():
            self.start(instance, "good")
        self.set_upstream(["A", "B"])
        self.start_background()

    # -- nginx ----------------------------------------------------------------------------------

    def nginx_command(self, *extra: str) -> list[str]:
        prefix = self.workdir / "nginx"
        return [self.nginx, "-p", str(prefix), "-c", str(prefix / "nginx.conf"),
                "-e", str(prefix / "logs" / "error.log"), *extra]  # fmt: skip

    def start_nginx(self) -> None:
        prefix = self.workdir / "nginx"
        for folder in ("logs", "temp"):
            (prefix / folder).mkdir(parents=True, exist_ok=True)
        key, cert = prefix / "privkey.pem", prefix / "fullchain.pem"
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
             "/CN=localhost", "-keyout", str(key), "-out", str(cert)],
            check=True, capture_output=True,
        )  # fmt: skip
        site = (REPO / "deploy" / "nginx" / "simplepro.conf").read_text()
        replacements = {
            "listen 80;": f"listen 127.0.0.1:{self.http_port};",
            "listen [::]:80;": "",
            "listen 443 ssl http2;": f"listen 127.0.0.1:{self.https_port} ssl http2;",
            "listen [::]:443 ssl http2;": "",
            "/etc/ssl/simplepro/fullchain.pem": str(cert),
            "/etc/ssl/simplepro/privkey.pem": str(key),
            "/etc/nginx/simplepro/upstream.conf": str(prefix / "upstream.conf"),
        }
        for old, new in replacements.items():
            check(old in site, f"deploy/nginx/simplepro.conf no longer contains {old!r}")
            site = site.replace(old, new)
        (prefix / "site.conf").write_text(site)
        temp = "".join(
            f" {kind}_temp_path {prefix}/temp/{kind};\n"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        (prefix / "nginx.conf").write_text(
            f"pid {prefix}/nginx.pid;\nworker_processes 2;\nevents {{ worker_connections 1024; }}\n"
            "http {\n"
            " log_format rehearsal '$msec $request_time $upstream_addr $status \"$request\"';\n"
            f" access_log {prefix}/logs/access.log rehearsal;\n{temp} include {prefix}/site.conf;\n}}\n"
        )
        self.write_upstream(["A", "B"])
        self.own(prefix)
        self.run(*self.nginx_command("-t"))
        self.run(*self.nginx_command())
        say(f"nginx on https://localhost:{self.https_port} (self-signed certificate)")

    def write_upstream(self, names: list[str]) -> None:
        """deploy/nginx/upstream.conf with these instances as its servers."""
        template = (REPO / "deploy" / "nginx" / "upstream.conf").read_text()
        lines = [ln for ln in template.splitlines() if not ln.strip().startswith("server ")]
        servers = [
            f"    server 127.0.0.1:{self.instances[n].port} max_fails=3 fail_timeout=10s;"
            for n in names
        ]
        at = next(i for i, ln in enumerate(lines) if ln.strip().startswith("keepalive"))
        path = self.workdir / "nginx" / "upstream.conf"
        path.write_text("\n".join(lines[:at] + servers + lines[at:]) + "\n")
        self.own(path)

    def set_upstream(self, names: list[str]) -> None:
        self.write_upstream(names)
        self.run(*self.nginx_command("-s", "reload"))
        time.sleep(0.2)  # the master starts workers with the new upstream; old ones drain
        say(f"upstream: {', '.join(names)}")

    # -- app instances --------------------------------------------------------------------------

    def start(self, instance: Instance, build: str, must_be_ready: bool = True) -> bool:
        log = open(self.workdir / f"instance-{instance.name}.log", "ab")  # noqa: SIM115
        program = str(self.workdir / f"venv-{build}" / "bin" / "simplepro")
        started = time.monotonic()
        instance.process = subprocess.Popen(
            [program, "serve", "--host", "127.0.0.1", "--port", str(instance.port),
             "--workers", "2"],
            env=self.app_env(instance.name), stdout=log, stderr=subprocess.STDOUT,
            cwd=self.workdir, **self._identity(),
        )  # fmt: skip
        instance.build = build
        ready, body = self.wait_ready(instance, self.args.ready_timeout)
        if ready:
            instance.starts.append(time.monotonic() - started)
            say(f"instance {instance.name} ({build}) ready in {instance.starts[-1]:.2f} s")
        elif must_be_ready:
            raise RehearsalFailure(f"instance {instance.name} ({build}) never ready: {body}")
        return ready

    # -- background processes: two workers and (as in an overlapping failover) two schedulers --

    def start_background(self) -> None:
        program = str(self.workdir / "venv-good" / "bin" / "simplepro")
        log = open(self.workdir / "background.log", "ab")  # noqa: SIM115
        self.background = [
            subprocess.Popen(
                [program, *command],
                env=self.app_env(f"bg{n}"),
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.workdir,
                **self._identity(),
            )  # fmt: skip
            for n, command in enumerate((["worker"], ["worker"], ["scheduler"], ["scheduler"]))
        ]

    def restart_background(self) -> None:
        """SIGTERM lets running tasks finish; then the processes start with today's secrets."""
        for process in self.background:
            process.send_signal(signal.SIGTERM)
        codes = [process.wait(timeout=60) for process in self.background]
        check(codes == [0, 0, 0, 0], f"workers and schedulers exited {codes} on SIGTERM")
        self.start_background()
        say("workers and schedulers restarted (exit 0 on SIGTERM)")

    def check_scheduled_work(self) -> None:
        """The estimate expiry, due every minute here, ran once a minute — never twice, though
        two schedulers ran — and every run succeeded."""
        url = urllib.parse.urlsplit(self.args.postgres)._replace(path=f"/{self.database}").geturl()
        rows = subprocess.run(
            ["psql", url, "-tA", "-F", " ", "-c",
             "SELECT to_char(date_trunc('minute', enqueued_at), 'HH24:MI'), state "
             "FROM ops_taskrun WHERE name = 'estimates.expire_due' ORDER BY 1"],
            check=True, capture_output=True, text=True,
        ).stdout.split()  # fmt: skip
        minutes, states = rows[0::2], rows[1::2]
        check(len(minutes) >= 2, f"the scheduled task ran {len(minutes)} time(s)")
        check(len(set(minutes)) == len(minutes), f"a minute ran twice: {minutes}")
        check(set(states[:-1]) == {"succeeded"}, f"scheduled runs: {states}")
        self.figures["scheduled_runs"] = len(minutes)
        say(f"scheduled work: {len(minutes)} runs, one per minute ({minutes[0]}–{minutes[-1]}), "
            "all succeeded, none twice")  # fmt: skip

    def wait_ready(self, instance: Instance, timeout: float) -> tuple[bool, str]:
        deadline = time.monotonic() + timeout
        body = "no answer"
        while time.monotonic() < deadline:
            assert instance.process is not None
            if instance.process.poll() is not None:
                return False, f"exited with {instance.process.returncode}"
            try:
                connection = http.client.HTTPConnection("127.0.0.1", instance.port, timeout=2)
                connection.request("GET", "/api/health/ready")
                response = connection.getresponse()
                body = response.read().decode()
                connection.close()
                if response.status == 200:
                    return True, body
            except OSError:
                pass
            time.sleep(0.1)
        return False, body

    def stop(self, instance: Instance) -> int:
        assert instance.process is not None
        instance.process.send_signal(signal.SIGTERM)
        code = instance.process.wait(timeout=45)
        instance.process = None
        return code

    def version_of(self, instance: Instance) -> str:
        connection = http.client.HTTPConnection("127.0.0.1", instance.port, timeout=5)
        connection.request("GET", "/api/health")
        response = connection.getresponse()
        response.read()
        return response.headers.get("X-SimplePro-Version", "")

    # -- 3. smoke through nginx -----------------------------------------------------------------

    def base_url(self) -> str:
        return f"https://localhost:{self.https_port}"

    def smoke(self) -> None:
        client = smoke.Client(self.base_url(), insecure=True)
        self.set_upstream(["A"])
        client.call("GET", "/api/health/ready")
        smoke.login(client, "admin", PASSWORD)
        created = smoke.create_customer(client, "served by A")
        self.set_upstream(["B"])
        read = smoke.read_customer(client, created["id"])
        check(read["name"] == created["name"], "instance B does not see what A wrote")
        say(f"smoke: customer {created['id']} created through A, read back through B")
        self.set_upstream(["A", "B"])
        smoke.run(self.base_url(), "admin", PASSWORD, insecure=True)

    # -- load -----------------------------------------------------------------------------------

    def tokens(self) -> list[str]:
        """An access token per load client, asked of instance A directly: the login rate
        limit in nginx (10 a minute per address) is for people, not for this setup step."""
        direct = smoke.Client(f"http://127.0.0.1:{self.instances['A'].port}")
        smoke.login(direct, "admin", PASSWORD)
        self.admin_token = direct.token
        found = []
        for number in range(1, self.args.clients + 1):
            smoke.login(direct, f"mover{number}", PASSWORD)
            found.append(direct.token)
        return found

    def request(
        self,
        method: str,
        path: str,
        token: str,
        body: Any = None,
        form: bytes = b"",
        instance: Instance | None = None,
    ) -> Outcome:
        """One request on a new connection (as separate browsers would): through nginx, or
        straight to one instance when the rehearsal checks that instance itself."""
        context = ssl._create_unverified_context()  # noqa: S323  (our own self-signed cert)
        started = time.monotonic()
        try:
            connection: http.client.HTTPConnection = (
                http.client.HTTPConnection("127.0.0.1", instance.port, timeout=60)
                if instance
                else http.client.HTTPSConnection(
                    "localhost", self.https_port, timeout=60, context=context
                )
            )
            headers = {"Accept": "application/json"}
            if token:
                headers["Authorization"] = f"Bearer {token}"
            payload: str | bytes | None = None
            if body is not None:
                payload = json.dumps(body)
                headers["Content-Type"] = "application/json"
            if form:
                payload = form
                headers["Content-Type"] = f"multipart/form-data; boundary={BOUNDARY}"
            connection.request(method, path, body=payload, headers=headers)
            response = connection.getresponse()
            data = response.read()
            connection.close()
        except (OSError, http.client.HTTPException) as error:
            return Outcome(
                method, 0, started, time.monotonic(), "", f"{type(error).__name__}: {error}"
            )
        outcome = Outcome(
            method,
            response.status,
            started,
            time.monotonic(),
            response.headers.get("X-SimplePro-Version", ""),
        )
        if outcome.failed:
            outcome.error = data[:200].decode(errors="replace")
        elif path == "/api/customers" and method == "POST":
            with self._lock:
                self.created.append(json.loads(data)["id"])
        elif path == "/api/auth/login":
            outcome.body = json.loads(data)
        return outcome

    @contextmanager
    def load(self, phase: str, newcomers: bool = False) -> Iterator[list[Outcome]]:
        """Clients at a steady pace (under nginx's per-address API limit) until the block ends
        and at least --requests requests were made. With `newcomers`, someone also logs in
        through nginx every few seconds and uses the new token on whichever instance answers."""
        outcomes: list[Outcome] = []
        stop = threading.Event()
        interval = 1 / self.args.rate
        minimum = 0 if newcomers else self.args.requests

        def newcomer() -> None:
            """Every second someone logs in on one running instance, and every running
            instance must accept the new token at once (nginx may send their next request
            anywhere). An instance that is stopping and refuses the connection is no verdict."""
            turn = 0
            credentials = {"username": "newcomer", "password": PASSWORD}
            while not stop.is_set():
                time.sleep(1.0)
                running = [i for i in self.instances.values() if i.running]
                if not running:
                    continue
                signer = running[turn % len(running)]
                turn += 1
                login = self.request("POST", "/api/auth/login", "", credentials, instance=signer)
                if login.status == 0:
                    continue
                outcomes.append(login)
                if login.failed:
                    continue
                token = login.body["access_token"]
                header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
                self.signing_kids.add(header["kid"])
                for other in running:
                    accepted = self.request("GET", "/api/auth/me", token, instance=other)
                    if accepted.status != 0:
                        if accepted.failed:
                            accepted.error = f"{other.name} refused a token {signer.name} signed"
                        outcomes.append(accepted)

        def client(number: int, token: str) -> None:
            next_at = time.monotonic() + number * interval / self.args.clients
            sent = 0
            while not (stop.is_set() and len(outcomes) >= minimum):
                time.sleep(max(0.0, next_at - time.monotonic()))
                next_at += interval
                sent += 1
                if sent % 3 == 0:
                    body = {"type": "residential", "name": f"Rehearsal {phase} {number}-{sent}"}
                    outcome = self.request("POST", "/api/customers", token, body)
                else:
                    outcome = self.request("GET", "/api/customers?page_size=20", token)
                with self._lock:
                    outcomes.append(outcome)

        threads = [
            threading.Thread(target=client, args=(n, t), daemon=True)
            for n, t in enumerate(self.tokens())
        ]
        if newcomers:
            threads.append(threading.Thread(target=newcomer, daemon=True))
        for thread in threads:
            thread.start()
        time.sleep(2)  # traffic is flowing before anything changes
        try:
            yield outcomes
        finally:
            time.sleep(2)
            stop.set()
            for thread in threads:
                thread.join(timeout=120)
        self.figures["phases"][phase] = summarise(outcomes)
        say(f"{phase}: {format_phase(self.figures['phases'][phase])}")

    # -- 4. rolling restart ---------------------------------------------------------------------

    def rolling_restart(self) -> None:
        """Restart A then B, again and again, until the phase has its requests. Before each
        drain the office starts spreadsheet imports (the longest request the app serves) on
        that instance, so it gets SIGTERM while they are still running on it."""
        with self.load("rolling-restart") as outcomes:
            cycle = 0
            while cycle == 0 or len(outcomes) < self.args.requests:
                cycle += 1
                for name, instance in self.instances.items():
                    self.restart_under_load(instance, f"{cycle}{name}", outcomes)
        phase = self.figures["phases"]["rolling-restart"]
        phase["restarts"] = 2 * cycle
        check(phase["failures"] == 0, f"rolling restart: {phase['failures']} failed requests")
        check(phase["requests"] >= self.args.requests, "rolling restart: too few requests")
        self.check_created()

    def restart_under_load(
        self, instance: Instance, label: str, outcomes: list[Outcome], dwell: float = 1.0
    ) -> None:
        imports = [
            threading.Thread(target=lambda n=n: outcomes.append(self.office_import(f"{label}-{n}")))
            for n in range(3)
        ]
        # For a moment this instance alone is in the upstream, so the imports surely run on
        # it; then it is drained while they are still running.
        self.set_upstream([instance.name])
        for thread in imports:
            thread.start()
        time.sleep(0.3)
        self.set_upstream([n for n in self.instances if n != instance.name])
        sigterm_at = time.time()
        code = self.stop(instance)
        check(code == 0, f"instance {instance.name} exited {code} on SIGTERM")
        for thread in imports:
            thread.join()
        in_flight = self.in_flight(instance, sigterm_at)
        self.figures.setdefault("in_flight_at_sigterm", []).append(len(in_flight))
        check(
            bool(in_flight),
            f"no request was in flight on instance {instance.name} at SIGTERM; nothing was proven",
        )
        check(
            all(status in {"200", "201"} for status in in_flight),
            f"requests in flight at SIGTERM failed: {in_flight}",
        )
        say(f"instance {instance.name}: SIGTERM with {len(in_flight)} request(s) in flight "
            f"through nginx, all answered ({', '.join(sorted(set(in_flight)))}); exit 0")  # fmt: skip
        self.start(instance, "good")
        self.set_upstream(list(self.instances))
        time.sleep(dwell)  # instances on different settings serve side by side meanwhile

    def office_import(self, label: str) -> Outcome:
        rows = "".join(f"residential,Import {label} {n},rehearsal\r\n" for n in range(IMPORT_ROWS))
        form = (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="customers.csv"\r\nContent-Type: text/csv\r\n\r\n'
            f"type,name,tags\r\n{rows}\r\n--{BOUNDARY}--\r\n"
        ).encode()
        outcome = self.request("POST", "/api/customers/import", self.admin_token, form=form)
        outcome.method = "IMPORT"
        if not outcome.failed:
            with self._lock:
                self.imported[f"Import {label} "] = IMPORT_ROWS
        return outcome

    def in_flight(self, instance: Instance, moment: float) -> list[str]:
        """Statuses of the requests nginx had passed to this instance and not yet answered at
        `moment` (from nginx's access log: end time, duration, upstream address)."""
        statuses = []
        for line in (self.workdir / "nginx" / "logs" / "access.log").read_text().splitlines():
            entry = ACCESS_LINE.match(line)
            if entry is None or entry["upstream"] == "-":
                continue
            served_by = entry["upstream"].split(", ")[-1]
            ended = float(entry["msec"])
            started = ended - float(entry["duration"])
            if served_by == f"127.0.0.1:{instance.port}" and started < moment < ended:
                statuses.append(entry["status"])
        return statuses

    def check_created(self) -> None:
        ids = ",".join(f"'{uuid.UUID(i)}'" for i in self.created)  # ids as the API gave them
        admin = urllib.parse.urlsplit(self.args.postgres)
        url = admin._replace(path=f"/{self.database}").geturl()
        found = subprocess.run(
            ["psql", url, "-tA", "-c",
             f"SELECT count(*) FROM customers_customer WHERE id IN ({ids})"],  # noqa: S608
            check=True, capture_output=True, text=True,
        ).stdout.strip()  # fmt: skip
        check(int(found) == len(self.created), f"{len(self.created)} created, {found} stored")
        for prefix, rows in self.imported.items():
            stored = subprocess.run(
                ["psql", url, "-tA", "-c",
                 f"SELECT count(*) FROM customers_customer WHERE name LIKE '{prefix}%'"],  # noqa: S608
                check=True, capture_output=True, text=True,
            ).stdout.strip()  # fmt: skip
            check(int(stored) == rows, f"import {prefix!r}: {rows} answered, {stored} stored")
        say(f"every created customer exists ({found} of {len(self.created)}), and every "
            f"imported one ({len(self.imported)} imports of {IMPORT_ROWS})")  # fmt: skip

    # -- 5. bad release -------------------------------------------------------------------------

    def bad_release(self) -> None:
        good, bad = self.versions["good"], self.versions["bad"]
        a = self.instances["A"]
        with self.load("bad-release") as outcomes:
            self.set_upstream(["B"])
            check(self.stop(a) == 0, "instance A did not stop cleanly")
            say(f"rolling out {bad} to instance A")
            if self.start(a, "bad", must_be_ready=False):
                raise RehearsalFailure("the bad build became ready; nothing to roll back")
            _, body = self.wait_ready(a, 0.5) if a.process else (False, "")
            say(f"instance A ({bad}) not ready after {self.args.ready_timeout:.0f} s: {body}")
            say("keeping it out of the upstream; restoring the previous build")
            self.stop(a)
            self.start(a, "good")
            self.set_upstream(["A", "B"])
            time.sleep(2)
        versions = {o.version for o in outcomes if not o.failed}
        phase = self.figures["phases"]["bad-release"]
        phase["versions_served"] = sorted(versions)
        check(phase["failures"] == 0, f"bad release: {phase['failures']} failed requests")
        check(versions == {good}, f"bad release: responses came from {sorted(versions)}")
        check(self.version_of(a) == good, "instance A does not run the previous build")
        say(f"every response of the phase came from {good}; instance A is back on {good}")
        self.check_created()

    # -- 6. secret rotation -----------------------------------------------------------------------

    def rotate_secrets(self) -> None:
        """Every secret the instances hold, rotated under load with zero failed requests and
        no one logged out (docs/operations/secrets.md):
        1. new JWT key added as a second, verify-only key (and the new secret key as a
           fallback); database login switched from the
           blue role to the green one; Redis given a second password and the instances the
           new one — rolling restart;
        2. the new JWT key put first (it signs from now on; every instance already verifies
           it), and the new secret key made the key, the old one its fallback — rolling restart;
        3. old credentials retired: the blue role may no longer log in, the old Redis
           password is removed. (The old JWT key stays until the last token it signed has
           expired, SIMPLEPRO_ACCESS_TOKEN_TTL.)
        Newcomers log in every second, each token checked on every running instance; the
        load clients keep tokens signed with the old key throughout."""
        new_key = {"kid": "rehearsal-2", "secret": os.urandom(48).hex()}
        new_secret_key = os.urandom(48).hex()
        with self.load("secret-rotation", newcomers=True) as outcomes:
            self.write_secret("simplepro_jwt_keys", json.dumps([*self.jwt_keys, new_key]))
            self.write_secret("simplepro_secret_key_fallbacks", json.dumps([new_secret_key]))
            self.write_secret("simplepro_database_url", self.database_url("green"))
            self.redis("ACL", "SETUSER", self.role("redis"), f">{self.passwords['redis2']}")
            self.write_secret("simplepro_redis_url", self.redis_url(self.passwords["redis2"]))
            for name, instance in self.instances.items():
                self.restart_under_load(instance, f"rotate1{name}", outcomes, dwell=4)
            self.restart_background()
            self.write_secret("simplepro_jwt_keys", json.dumps([new_key, *self.jwt_keys]))
            self.write_secret("simplepro_secret_key", new_secret_key)
            self.write_secret("simplepro_secret_key_fallbacks", json.dumps([self.secret_key]))
            for name, instance in self.instances.items():
                self.restart_under_load(instance, f"rotate2{name}", outcomes, dwell=4)
            self.restart_background()
            self.psql(f'ALTER ROLE "{self.role("blue")}" NOLOGIN')
            self.redis("ACL", "SETUSER", self.role("redis"), f"<{self.passwords['redis1']}")
            time.sleep(3)
        phase = self.figures["phases"]["secret-rotation"]
        check(phase["failures"] == 0, f"secret rotation: {phase['failures']} failed requests")
        logins = sorted(self.signing_kids)
        check(logins[-1:] == ["rehearsal-2"] and "rehearsal-1" in logins,
              f"tokens were signed by {logins}")  # fmt: skip
        sessions = self.psql(
            "SELECT string_agg(DISTINCT usename, ',') FROM pg_stat_activity "  # noqa: S608
            f"WHERE datname = '{self.database}' AND usename <> current_user"
        )
        check(sessions == self.role("green"), f"database sessions after rotation: {sessions}")
        old = self.redis_url(self.passwords["redis1"])
        refused = subprocess.run(["redis-cli", "-u", old, "PING"], capture_output=True, text=True)
        check("WRONGPASS" in refused.stdout + refused.stderr, "the old Redis password still works")
        say("secrets rotated: tokens signed before still accepted, newcomers signed with "
            f"rehearsal-2 accepted everywhere; database sessions only as {sessions}; the old "
            "Redis password refused")  # fmt: skip
        self.check_created()

    # -- the whole rehearsal --------------------------------------------------------------------

    def execute(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        (self.workdir / "home").mkdir(exist_ok=True)
        os.chmod(self.workdir, 0o700)  # the user owns it next
        self.own(self.workdir)
        say(f"working in {self.workdir} as uid {self.uid}")
        self.build("good", patch=False)
        self.build("bad", patch=True)
        self.stand_up()
        self.smoke()
        self.rolling_restart()
        self.bad_release()
        self.rotate_secrets()
        self.check_scheduled_work()
        starts = [s for i in self.instances.values() for s in i.starts]
        self.figures["cold_start_seconds"] = {
            "min": round(min(starts), 2),
            "median": round(statistics.median(starts), 2),
            "max": round(max(starts), 2),
            "count": len(starts),
        }

    def tear_down(self) -> None:
        for process in self.background:
            process.send_signal(signal.SIGTERM)
        for process in self.background:
            with suppress(Exception):
                process.wait(timeout=60)
        for instance in self.instances.values():
            if instance.process is not None:
                with suppress(Exception):
                    self.stop(instance)
        if (self.workdir / "nginx" / "nginx.pid").exists():
            with suppress(Exception):
                self.run(*self.nginx_command("-s", "quit"))
        if not self.args.keep:
            with suppress(Exception):
                self.drop_credentials()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def summarise(outcomes: list[Outcome]) -> dict[str, Any]:
    """Latency figures are for the list and create requests people make; the spreadsheet
    imports (seconds each, by design) are counted and timed apart."""
    light = [o for o in outcomes if o.method != "IMPORT"]
    imports = [o for o in outcomes if o.method == "IMPORT"]
    latencies = [(o.ended - o.started) * 1000 for o in light]
    ends = sorted(o.ended for o in outcomes if not o.failed)
    pauses = [b - a for a, b in zip(ends, ends[1:], strict=False)]
    failures = [o for o in outcomes if o.failed]
    return {
        "requests": len(outcomes),
        "gets": sum(o.method == "GET" for o in outcomes),
        "posts": sum(o.method == "POST" for o in outcomes),
        "imports": len(imports),
        "failures": len(failures),
        "first_failures": [f"{o.method} {o.status} {o.error}" for o in failures[:5]],
        "p50_ms": round(percentile(latencies, 0.50), 1),
        "p95_ms": round(percentile(latencies, 0.95), 1),
        "max_ms": round(max(latencies, default=0), 1),
        "import_max_s": round(max((o.ended - o.started for o in imports), default=0), 2),
        "longest_pause_ms": round(max(pauses, default=0) * 1000, 1),
        "seconds": round(max(ends, default=0) - min((o.started for o in outcomes), default=0), 1),
    }


def format_phase(phase: dict[str, Any]) -> str:
    imports = (
        f", {phase['imports']} imports of {IMPORT_ROWS} rows (longest {phase['import_max_s']} s)"
        if phase["imports"]
        else ""
    )
    return (
        f"{phase['requests']} requests ({phase['gets']} GET, {phase['posts']} POST{imports}) "
        f"in {phase['seconds']} s, {phase['failures']} failed; GET/POST p50 {phase['p50_ms']} ms, "
        f"p95 {phase['p95_ms']} ms, max {phase['max_ms']} ms; longest pause between responses "
        f"{phase['longest_pause_ms']} ms"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workdir", help="folder to work in (default: a new temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep the folder and database")
    parser.add_argument("--clients", type=int, default=8, help="concurrent load clients")
    parser.add_argument("--rate", type=float, default=2.8, help="requests/s per client")
    parser.add_argument("--requests", type=int, default=1000, help="at least this many per phase")
    parser.add_argument("--ready-timeout", type=float, default=20.0)
    parser.add_argument(
        "--python", help="interpreter for the builds (default: /usr/bin/python3 as root)"
    )
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--database", default="simplepro_rehearsal")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/13")
    args = parser.parse_args(argv)
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,40}", args.database):
        parser.error("--database must be a plain lower-case identifier")
    rehearsal = Rehearsal(args)
    status = 0
    try:
        rehearsal.execute()
    except (RehearsalFailure, smoke.SmokeFailure, subprocess.CalledProcessError) as failure:
        print(f"\nREHEARSAL FAILED: {failure}", file=sys.stderr)
        status = 1
    finally:
        rehearsal.tear_down()
    figures = rehearsal.figures
    (rehearsal.workdir / "summary.json").write_text(json.dumps(figures, indent=2))
    print("\n=== deployment rehearsal summary")
    for name, phase in figures["phases"].items():
        print(f"{name:16} {format_phase(phase)}")
    for name in ("build_good", "build_bad"):
        if name in figures:
            print(f"{name:16} {json.dumps(figures[name])}")
    if "cold_start_seconds" in figures:
        print(f"{'cold start':16} {json.dumps(figures['cold_start_seconds'])} (exec to ready)")
    print(f"result: {'PASSED' if status == 0 else 'FAILED'} in {time.monotonic() - STARTED:.0f} s")
    if not args.keep and status == 0:
        shutil.rmtree(rehearsal.workdir, ignore_errors=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
