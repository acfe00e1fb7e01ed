"""Backups: one consistent snapshot of the database and of every stored file, compressed
(zstd), encrypted to age recipients, each part checksummed, described by an authenticated
manifest. `simplepro backup create|list|verify|status` (management/commands/backup.py).

A backup is a folder `<id>/` in SIMPLEPRO_BACKUP_DIR holding `manifest.json`,
`database.zst.age` and `files.tar.zst.age`; it is written as `.<id>.partial/` and renamed
when complete, so a backup that is listed is always whole.
"""
