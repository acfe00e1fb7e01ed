#!/usr/bin/env bash
# Generates every secret compose.prod.yml (and compose.monitoring.yml) reads, one file each,
# mode 0600, into the folder given (default: ./secrets beside this script). Never overwrites a
# file that exists: rotating a secret is a deliberate act (docs/operations/secrets.md).
# The database and Redis URLs are written with the same passwords their servers get.
set -euo pipefail
umask 077
dir=${1:-"$(dirname "$0")/secrets"}
mkdir -p "$dir"

random() { openssl rand -base64 48 | tr -d '\n/+=' | cut -c1-48; }

write() {  # write NAME VALUE, unless NAME exists
  local file="$dir/$1"
  if [ -e "$file" ]; then
    echo "kept      $file" >&2
  else
    printf '%s' "$2" > "$file"
    echo "generated $file" >&2
  fi
}
read_secret() { cat "$dir/$1"; }

write postgres_password "$(random)"
write redis_password "$(random)"
write simplepro_secret_key "$(random)"
write simplepro_jwt_keys "[{\"kid\": \"$(date -u +%Y-%m)\", \"secret\": \"$(random)\"}]"
write simplepro_metrics_token "$(random)"
write simplepro_smtp_password ""
write simplepro_database_url "postgresql://simplepro:$(read_secret postgres_password)@db:5432/simplepro"
write simplepro_redis_url "redis://:$(read_secret redis_password)@redis:6379/0"
# The document seal: an EC P-256 key, then its self-signed certificate for ten years, in one
# PEM. Replace it with one from the company's own certificate authority if it has one.
seal() {
  local key cert
  key=$(openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 2>/dev/null)
  cert=$(printf '%s\n' "$key" | openssl req -new -x509 -key /dev/stdin -days 3650 -sha256 \
    -subj "/CN=SimplePro document seal/O=${SIMPLEPRO_COMPANY:-Moving company}" \
    -addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
    -addext "keyUsage=critical,digitalSignature,nonRepudiation,keyCertSign" 2>/dev/null)
  printf '%s\n%s\n' "$key" "$cert"
}
if [ ! -e "$dir/simplepro_document_seal" ]; then write simplepro_document_seal "$(seal)"; fi
write minio_root_user "simplepro"
write minio_root_password "$(random)"
write grafana_admin_password "$(random)"
write alertmanager_smtp_password ""
write backup_s3_access_key_id ""
write backup_s3_secret_access_key ""
echo "Put the SMTP passwords (if any) in $dir/simplepro_smtp_password and $dir/alertmanager_smtp_password," >&2
echo "and the backup bucket's own key in $dir/backup_s3_access_key_id and $dir/backup_s3_secret_access_key." >&2
