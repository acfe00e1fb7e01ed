"""Satisfying a job's sign-offs the way the office would without a phone: each document signed
on paper and its scan uploaded, the booklet recorded, the rest ticked. For tests whose subject
is what comes after the sign-offs (the e-signature itself is tested in tests/paperwork)."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from simplepro.accounts.policies import BOOKLET_SIGNOFF, SIGNED_DOCUMENT_SIGNOFFS
from simplepro.documents.services import document_upload
from simplepro.jobs.models import Job
from simplepro.jobs.services import job_signoff
from simplepro.paperwork.services import booklet_record, signoff_from_paper

SCAN = b"%PDF-1.7\n% a scan of the paper original, signed by hand\n%%EOF\n"


def sign_off_all(actor: Any, job: Job) -> Job:
    for name in list(job.missing_signoffs):
        if name == BOOKLET_SIGNOFF:
            booklet_record(actor=actor, job=job, method="paper")
        elif name in SIGNED_DOCUMENT_SIGNOFFS:
            scan = document_upload(actor=actor, customer=job.customer, job=job,
                                   kind=SIGNED_DOCUMENT_SIGNOFFS[name],
                                   upload=SimpleUploadedFile(f"{name}.pdf", SCAN))  # fmt: skip
            signoff_from_paper(actor=actor, job=job, name=name, document=scan)
        else:
            job_signoff(actor=actor, job=job, name=name)
        job.refresh_from_db()
    return job


def sign_off_all_api(session: Any, site: str, job_id: str) -> None:
    """The same through the API, for a server in another process."""
    job = session.get(f"{site}/api/jobs/{job_id}", timeout=30).json()
    for name in job["missing_signoffs"]:
        if name == BOOKLET_SIGNOFF:
            answer = session.post(f"{site}/api/paperwork/jobs/{job_id}/booklet",
                                  json={"method": "paper"}, timeout=30)  # fmt: skip
        elif name in SIGNED_DOCUMENT_SIGNOFFS:
            scan = session.post(f"{site}/api/documents", timeout=30, files={
                "file": (f"{name}.pdf", SCAN, "application/pdf")},
                data={"kind": SIGNED_DOCUMENT_SIGNOFFS[name], "job_id": job_id})  # fmt: skip
            assert scan.status_code == 201, scan.text
            answer = session.post(f"{site}/api/paperwork/jobs/{job_id}/paper-signoffs",
                                  json={"name": name, "document_id": scan.json()["id"]},
                                  timeout=30)  # fmt: skip
        else:
            answer = session.post(f"{site}/api/jobs/{job_id}/signoffs", json={"name": name},
                                  timeout=30)  # fmt: skip
        assert answer.status_code == 200, answer.text
