"""deploy/nginx/simplepro.conf passes `nginx -t` (Debian's nginx) with a throw-away
self-signed certificate, and keeps the limits and headers it promises."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from tests.conftest import requires_program
from tests.s3 import self_signed_certificate

REPO = Path(__file__).resolve().parents[2]
SITE = REPO / "deploy" / "nginx" / "simplepro.conf"


def test_nginx_accepts_the_site(tmp_path: Path) -> None:
    nginx = shutil.which("nginx") or shutil.which("/usr/sbin/nginx")
    nginx = nginx or requires_program("nginx")
    requires_program("openssl")
    key, cert = self_signed_certificate(tmp_path)
    site = SITE.read_text().replace("/etc/ssl/simplepro/fullchain.pem", str(cert))
    site = site.replace(
        "/etc/nginx/simplepro/upstream.conf", str(REPO / "deploy/nginx/upstream.conf")
    )
    site = site.replace("/etc/ssl/simplepro/privkey.pem", str(key))
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "logs").mkdir()
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/logs/error.log;\n"
        "events {}\n"
        f"http {{\n access_log off;\n client_body_temp_path {tmp_path}/body;\n"
        f" proxy_temp_path {tmp_path}/proxy;\n include {tmp_path}/site.conf;\n}}\n"
    )
    done = subprocess.run(
        [nginx, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
        capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr


def test_the_site_keeps_its_promises() -> None:
    site = SITE.read_text()
    assert "ssl_protocols TLSv1.2 TLSv1.3;" in site
    for upstream in (
        REPO / "deploy/nginx/upstream.conf",
        REPO / "deploy/compose/nginx/upstream.conf",
    ):
        pool = upstream.read_text()
        assert "upstream simplepro_app {" in pool
        assert "least_conn;" in pool and "keepalive" in pool
        assert re.search(r"max_fails=\d+ fail_timeout=\d+s", pool)
    assert "Strict-Transport-Security" in site
    assert "client_max_body_size 26m;" in site  # SIMPLEPRO_MAX_UPLOAD's default, and framing
    assert "application/problem+json" in site
    assert "zone=simplepro_login" in site and "zone=simplepro_api" in site
    assert "proxy_set_header X-Request-ID" in site
    assert "proxy_set_header Upgrade $http_upgrade;" in site
    from simplepro import settings

    assert settings.MAX_UPLOAD_BYTES == 25 * 1024 * 1024
