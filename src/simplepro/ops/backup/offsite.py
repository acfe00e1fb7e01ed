"""The off-site copy: every backup uploaded to an S3 bucket of its own (SIMPLEPRO_BACKUP_S3_*).

A backup is the set of objects under `<prefix><id>/`. Its manifest is uploaded last and deleted
first, so the manifest is the commit marker: an upload that stopped half-way (crash, network,
full bucket) leaves parts without a manifest, which are never listed and which `prune` removes
after a day, with any multipart upload left open as long. Each object is itself atomic (a
multipart upload is invisible until completed), so a listed backup is always whole."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.conf import settings

MANIFEST = "manifest.json"
VERIFIED = "verified.json"
UPLOADED = "uploaded.json"  # in a local backup folder: its off-site copy is complete
CHUNK = 64 * 1024 * 1024  # multipart size: memory stays at a few chunks whatever the size


class OffsiteError(Exception):
    """The S3 bucket could not be read or written; the message names the bucket."""


def configured() -> bool:
    return bool(settings.BACKUP_S3_BUCKET)


def where() -> str:
    return f"s3://{settings.BACKUP_S3_BUCKET}/{settings.BACKUP_S3_PREFIX}"


@contextmanager
def _errors(doing: str) -> Iterator[None]:
    """Every S3 failure as one error type naming the bucket; credentials are never in it."""
    from boto3.exceptions import Boto3Error
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        yield
    except (Boto3Error, BotoCoreError, ClientError) as exc:
        raise OffsiteError(f"{doing} {where()} failed: {exc}") from None


def s3_client() -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=settings.BACKUP_S3_ENDPOINT_URL or None,
        region_name=settings.BACKUP_S3_REGION,
        # Empty means the instance's own role or the usual AWS_* variables.
        aws_access_key_id=settings.BACKUP_S3_ACCESS_KEY_ID or None,
        aws_secret_access_key=settings.BACKUP_S3_SECRET_ACCESS_KEY or None,
        config=Config(
            retries={"max_attempts": 5, "mode": "standard"}, connect_timeout=10, read_timeout=120
        ),
    )


def _transfer() -> Any:
    from boto3.s3.transfer import TransferConfig

    return TransferConfig(multipart_threshold=CHUNK, multipart_chunksize=CHUNK, max_concurrency=4)


def _key(backup_id: str, name: str) -> str:
    return f"{settings.BACKUP_S3_PREFIX}{backup_id}/{name}"


@dataclass
class Stored:
    """One backup's objects in the bucket."""

    id: str
    objects: dict[str, dict[str, Any]] = field(default_factory=dict)  # name → S3 listing entry

    @property
    def complete(self) -> bool:
        return MANIFEST in self.objects

    @property
    def size_bytes(self) -> int:
        return sum(o["Size"] for name, o in self.objects.items() if name != VERIFIED)

    @property
    def last_modified(self) -> datetime:
        newest: datetime = max(o["LastModified"] for o in self.objects.values())
        return newest


def stored(client: Any = None) -> dict[str, Stored]:
    """Everything under the prefix, by backup id, complete or not."""
    client = client or s3_client()
    prefix = settings.BACKUP_S3_PREFIX
    found: dict[str, Stored] = {}
    with _errors("listing"):
        pages = client.get_paginator("list_objects_v2").paginate(
            Bucket=settings.BACKUP_S3_BUCKET, Prefix=prefix
        )
        for page in pages:
            for entry in page.get("Contents", []):
                backup_id, _, name = entry["Key"][len(prefix) :].partition("/")
                if name:
                    found.setdefault(backup_id, Stored(backup_id)).objects[name] = entry
    return found


def read(backup_id: str, name: str, client: Any = None) -> bytes | None:
    client = client or s3_client()
    with _errors(f"reading {backup_id}/{name} from"):
        try:
            response = client.get_object(
                Bucket=settings.BACKUP_S3_BUCKET, Key=_key(backup_id, name)
            )
        except client.exceptions.NoSuchKey:
            return None
        body: bytes = response["Body"].read()
        return body


def write(backup_id: str, name: str, data: bytes) -> None:
    with _errors(f"writing {backup_id}/{name} to"):
        s3_client().put_object(
            Bucket=settings.BACKUP_S3_BUCKET, Key=_key(backup_id, name), Body=data
        )


def push(folder: Path) -> None:
    """Upload one complete local backup: its parts, then its manifest; then mark it uploaded."""
    client = s3_client()
    names = sorted(p.name for p in folder.iterdir() if p.is_file() and p.name != UPLOADED)
    if MANIFEST not in names:
        raise OffsiteError(f"{folder} has no manifest: it is not a complete backup")
    with _errors(f"uploading {folder.name} to"):
        for name in [n for n in names if n != MANIFEST] + [MANIFEST]:
            client.upload_file(
                str(folder / name),
                settings.BACKUP_S3_BUCKET,
                _key(folder.name, name),
                Config=_transfer(),
            )
    record = {"at": datetime.now(UTC).isoformat(), "where": where()}
    (folder / UPLOADED).write_text(json.dumps(record))


def fetch(backup_id: str, into: Path) -> None:
    """Download every object of a complete backup into `into` (which must exist)."""
    client = s3_client()
    found = stored(client).get(backup_id)
    if found is None or not found.complete:
        raise OffsiteError(f"there is no backup {backup_id} in {where()}")
    with _errors(f"downloading {backup_id} from"):
        for name in found.objects:
            client.download_file(
                settings.BACKUP_S3_BUCKET,
                _key(backup_id, name),
                str(into / name),
                Config=_transfer(),
            )


def delete(backup_id: str, client: Any = None) -> None:
    """Remove a backup: the manifest first, so it stops being listed before anything else goes."""
    client = client or s3_client()
    found = stored(client).get(backup_id)
    if found is None:
        return
    names = sorted(found.objects, key=lambda n: n != MANIFEST)
    with _errors(f"deleting {backup_id} from"):
        for name in names:
            client.delete_object(Bucket=settings.BACKUP_S3_BUCKET, Key=_key(backup_id, name))


def leftovers(older_than: datetime, dry_run: bool = False) -> list[str]:
    """Remove what crashed uploads left behind before `older_than`: parts without a manifest,
    and multipart uploads never completed (they cost storage without being visible)."""
    client = s3_client()
    removed = []
    for backup_id, found in stored(client).items():
        if not found.complete and found.last_modified < older_than:
            removed.append(f"{backup_id} (incomplete upload)")
            if not dry_run:
                delete(backup_id, client)
    with _errors("listing multipart uploads in"):
        pages = client.get_paginator("list_multipart_uploads").paginate(
            Bucket=settings.BACKUP_S3_BUCKET, Prefix=settings.BACKUP_S3_PREFIX
        )
        for page in pages:
            for upload in page.get("Uploads", []):
                if upload["Initiated"] < older_than:
                    removed.append(f"{upload['Key']} (unfinished multipart upload)")
                    if not dry_run:
                        client.abort_multipart_upload(
                            Bucket=settings.BACKUP_S3_BUCKET,
                            Key=upload["Key"],
                            UploadId=upload["UploadId"],
                        )
    return removed
