"""Point-in-time recovery with pgBackRest, on a throwaway PostgreSQL cluster (initdb and pg_ctl
in a temporary folder, on a free port, as the postgres user — never the shared cluster), with
deploy/pgbackrest/pgbackrest.conf's settings: marker rows at t1, a full encrypted backup, more
rows at t2 that exist only in the archived WAL, then a restore to a moment between the two
gives exactly the t1 state. Once from the local repository, once from the S3 one: moto's S3
server behind nginx with a self-signed certificate (pgBackRest speaks S3 only over HTTPS, and
its TLS client fails against moto's own --ssl)."""

from __future__ import annotations

import configparser
import os
import pwd
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import requires, requires_program
from tests.s3 import s3_client, s3_server, tls_front

REPO = Path(__file__).resolve().parents[2]
PG_BIN = Path("/usr/lib/postgresql/15/bin")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Cluster:
    def __init__(self, root: Path, repo: str) -> None:
        self.root = root
        self.repo = "1" if repo == "local" else "2"
        self.s3_port = 0
        self.s3_endpoint = ""
        self.data = root / "data"
        self.port = _free_port()
        self.config = root / "pgbackrest.conf"

    def as_postgres(self, *command: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        env = {"PATH": f"{PG_BIN}:/usr/sbin:/usr/bin:/sbin:/bin", "HOME": str(self.root), "LANG": "C.UTF-8",
               "PGBACKREST_REPO1_CIPHER_PASS": "throwaway-cipher-pass-for-the-test",
               "PGBACKREST_REPO2_CIPHER_PASS": "another-throwaway-cipher-pass",
               "PGBACKREST_REPO2_S3_KEY": "pitr-writer",
               "PGBACKREST_REPO2_S3_KEY_SECRET": "pitr-writer-secret"}  # fmt: skip
        done = subprocess.run(
            ["runuser", "-u", "postgres", "--", *command],
            env=env, capture_output=True, text=True, check=False, cwd=self.root,
        )  # fmt: skip
        if check and done.returncode != 0:
            raise AssertionError(f"{' '.join(command)}: {done.stdout[-1500:]}{done.stderr[-1500:]}")
        return done

    def sql(self, statement: str) -> str:
        done = self.as_postgres(
            "psql", "-X", "-h", str(self.root), "-p", str(self.port), "-d", "postgres",
            "-qtA", "-v", "ON_ERROR_STOP=1", "-c", statement,
        )  # fmt: skip
        return done.stdout.strip()

    def pgbackrest(self, *args: str) -> None:
        self.as_postgres("pgbackrest", f"--config={self.config}", "--stanza=simplepro", *args)

    def pg_ctl(self, action: str) -> None:
        self.as_postgres(
            "pg_ctl", "-D", str(self.data), "-l", str(self.root / "server.log"), "-w", action
        )


def _write_pgbackrest_config(cluster: Cluster) -> None:
    """deploy/pgbackrest/pgbackrest.conf with this cluster's paths; the S3 repository pointed
    at the local S3 server's TLS front (or left out, for the local-repository test)."""
    shipped = configparser.ConfigParser()
    shipped.read(REPO / "deploy" / "pgbackrest" / "pgbackrest.conf")
    config = configparser.ConfigParser()
    config["global"] = {
        k: v for k, v in shipped["global"].items() if cluster.s3_port or not k.startswith("repo2")
    }
    if cluster.s3_port:
        config["global"].update(
            {
                "repo2-s3-endpoint": "127.0.0.1",
                "repo2-storage-port": str(cluster.s3_port),
                "repo2-storage-verify-tls": "n",  # the throw-away certificate
            }
        )
    config["global"].update(
        {
            "repo1-path": str(cluster.root / "repo"),
            "log-path": str(cluster.root / "log"),
            "lock-path": str(cluster.root / "lock"),
            "spool-path": str(cluster.root / "spool"),
        }
    )
    config["simplepro"] = {
        "pg1-path": str(cluster.data),
        "pg1-port": str(cluster.port),
        "pg1-socket-path": str(cluster.root),
    }
    with open(cluster.config, "w") as handle:
        config.write(handle)


@pytest.fixture(params=["local", "s3"])
def cluster(request: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    with ExitStack() as stack:
        cluster = _cluster(request.param, tmp_path_factory)
        if request.param == "s3":
            requires("nginx", bool(shutil.which("nginx")) or Path("/usr/sbin/nginx").exists())
            endpoint = stack.enter_context(s3_server())
            cluster.s3_endpoint = endpoint
            s3_client(endpoint).create_bucket(Bucket="simplepro-pitr")
            cluster.s3_port = stack.enter_context(
                tls_front(endpoint, tmp_path_factory.mktemp("s3-tls"))
            )
        yield from _started(cluster)


def _cluster(repo: str, tmp_path_factory: pytest.TempPathFactory) -> Cluster:
    requires_program("pgbackrest")
    requires("PostgreSQL 15 server binaries", (PG_BIN / "initdb").exists())
    requires("root, to run the cluster as the postgres user", os.geteuid() == 0)
    root = Path(tmp_path_factory.mktemp("pitr"))
    postgres = pwd.getpwnam("postgres")
    for folder in ("repo", "log", "lock", "spool"):
        (root / folder).mkdir()
    os.chmod(root, 0o700)  # the postgres user owns it next
    for path in [root, *root.rglob("*")]:
        os.chown(path, postgres.pw_uid, postgres.pw_gid)
    parent = root.parent
    while parent != parent.parent and parent.stat().st_mode & 0o001 == 0:
        os.chmod(parent, parent.stat().st_mode | 0o001)  # let postgres traverse pytest's folders
        parent = parent.parent
    return Cluster(root, repo)


def _started(cluster: Cluster) -> Iterator[Cluster]:
    root = cluster.root
    _write_pgbackrest_config(cluster)
    cluster.config.chmod(0o644)
    cluster.as_postgres("initdb", "-D", str(cluster.data), "-A", "trust", "-U", "postgres")
    with open(cluster.data / "postgresql.conf", "a") as conf:
        conf.write(
            f"\nport = {cluster.port}\nlisten_addresses = ''\n"
            f"unix_socket_directories = '{root}'\n"
            "wal_level = replica\narchive_mode = on\n"
            f"archive_command = 'pgbackrest --config={cluster.config} --stanza=simplepro "
            "archive-push %p'\nmax_wal_senders = 3\n"
        )
    cluster.pg_ctl("start")
    try:
        yield cluster
    finally:
        cluster.as_postgres(
            "pg_ctl", "-D", str(cluster.data), "-m", "immediate", "stop", check=False
        )
        shutil.rmtree(root, ignore_errors=True)


def test_restore_to_a_moment_between_two_writes(cluster: Cluster) -> None:
    cluster.pgbackrest("stanza-create")  # on every configured repository
    cluster.sql("CREATE TABLE markers (label text, at timestamptz DEFAULT now())")
    cluster.sql("INSERT INTO markers (label) VALUES ('t1-a'), ('t1-b')")
    cluster.pgbackrest(f"--repo={cluster.repo}", "--type=full", "backup")
    time.sleep(1)
    target = cluster.sql("SELECT now()")
    time.sleep(1)
    cluster.sql("INSERT INTO markers (label) VALUES ('t2')")  # only in the WAL
    cluster.sql("SELECT pg_switch_wal()")
    cluster.pgbackrest("check")  # waits until the WAL segment is archived (in every repository)
    assert (
        cluster.sql("SELECT string_agg(label, ',' ORDER BY label) FROM markers") == "t1-a,t1-b,t2"
    )

    cluster.pg_ctl("stop")
    cluster.pgbackrest(f"--repo={cluster.repo}", "--delta", "--type=time", f"--target={target}",
                       "--target-action=promote", "restore")  # fmt: skip
    cluster.pg_ctl("start")
    for _ in range(50):
        if cluster.sql("SELECT pg_is_in_recovery()") == "f":
            break
        time.sleep(0.2)
    assert cluster.sql("SELECT string_agg(label, ',' ORDER BY label) FROM markers") == "t1-a,t1-b"
    info = cluster.as_postgres(
        "pgbackrest", f"--config={cluster.config}", f"--repo={cluster.repo}", "info"
    ).stdout
    assert "full backup" in info and "aes-256-cbc" in info
    if cluster.s3_endpoint:
        listing = s3_client(cluster.s3_endpoint).list_objects_v2(Bucket="simplepro-pitr")
        keys = [o["Key"] for o in listing.get("Contents", [])]
        assert any(k.startswith("simplepro/archive/simplepro/") for k in keys), "WAL in S3"
        assert any(k.startswith("simplepro/backup/simplepro/") for k in keys), "backup in S3"
