#!/bin/sh
# lessor-fetch.sh — fetch one secret from lessor once and write it as an env file.
#
# For container entrypoints that cannot run `lessor agent --once`: POSIX sh, needs only curl
# and jq. Logs in with AppRole or a JWT file, reads one path, writes KEY=value lines (the
# answer's data keys uppercased, plus LEASE_ID and LEASE_DURATION) atomically with mode 0600,
# and a state file beside it so that a `lessor agent` sidecar adopts the lease instead of
# issuing a second one. Prints the lease id and TTL; never prints a secret.
#
#   lessor-fetch.sh --address http://lessor:8200 \
#     --role-id-file /run/approle/role-id --secret-id-file /run/approle/secret-id \
#     --secret database/creds/app=/run/secrets/db.env
#
# With --secret-id-wrapped the secret-ID file holds a response-wrapping token instead (an
# orchestrator ran `vault write -wrap-ttl=… -f auth/approle/role/app/secret-id`), as with
# `lessor agent --secret-id-wrapped`: its creation path is checked, then it is unwrapped once.
#
# Secrets never appear on a command line (where `ps` would show them): request bodies go
# through stdin and the token through a 0600 header file.
set -eu

PROG=lessor-fetch

die() {
  printf '%s: %s\n' "$PROG" "$*" >&2
  exit 1
}

usage() {
  cat <<'EOF'
usage: lessor-fetch.sh --secret <path>=<file>
         (--role-id-file F --secret-id-file F [--secret-id-wrapped] | --jwt-file F --jwt-role R)
         [--address URL] [--timeout SECONDS]
address defaults to LESSOR_ADDR, then VAULT_ADDR.
EOF
}

ADDRESS=${LESSOR_ADDR:-${VAULT_ADDR:-}}
ROLE_ID_FILE=
SECRET_ID_FILE=
SECRET_ID_WRAPPED=
JWT_FILE=
JWT_ROLE=
SECRET=
TIMEOUT=10

while [ $# -gt 0 ]; do
  case $1 in
    --*=*) flag=${1%%=*}; value=${1#*=}; shift; set -- "$flag" "$value" "$@"; continue ;;
    -h | --help) usage; exit 0 ;;
    --secret-id-wrapped) SECRET_ID_WRAPPED=1; shift; continue ;;
  esac
  [ $# -ge 2 ] || die "$1 needs a value"
  case $1 in
    --address) ADDRESS=$2 ;;
    --role-id-file) ROLE_ID_FILE=$2 ;;
    --secret-id-file) SECRET_ID_FILE=$2 ;;
    --jwt-file) JWT_FILE=$2 ;;
    --jwt-role) JWT_ROLE=$2 ;;
    --secret) SECRET=$2 ;;
    --timeout) TIMEOUT=$2 ;;
    *) usage >&2; die "unknown option: $1" ;;
  esac
  shift 2
done

command -v curl >/dev/null 2>&1 || die "curl is required"
command -v jq >/dev/null 2>&1 || die "jq is required"
[ -n "$ADDRESS" ] || die "no address: pass --address or set LESSOR_ADDR"
ADDRESS=${ADDRESS%/}
case $SECRET in
  ?*=?*) ;;
  *) die "--secret: expected <path>=<file>, got '$SECRET'" ;;
esac
SECRET_PATH=${SECRET%%=*}
SECRET_PATH=${SECRET_PATH#/}
SECRET_PATH=${SECRET_PATH#v1/}
OUT=${SECRET#*=}
case $TIMEOUT in
  '' | *[!0-9]*) die "--timeout: expected whole seconds, got '$TIMEOUT'" ;;
esac

if [ -n "$ROLE_ID_FILE$SECRET_ID_FILE" ]; then
  if [ -z "$ROLE_ID_FILE" ] || [ -z "$SECRET_ID_FILE" ]; then
    die "AppRole login needs both --role-id-file and --secret-id-file"
  fi
  [ -r "$ROLE_ID_FILE" ] || die "cannot read --role-id-file $ROLE_ID_FILE"
  [ -r "$SECRET_ID_FILE" ] || die "cannot read --secret-id-file $SECRET_ID_FILE"
elif [ -n "$JWT_FILE$JWT_ROLE" ]; then
  if [ -z "$JWT_FILE" ] || [ -z "$JWT_ROLE" ]; then
    die "JWT login needs both --jwt-file and --jwt-role"
  fi
  [ -r "$JWT_FILE" ] || die "cannot read --jwt-file $JWT_FILE"
else
  die "no credentials: pass --role-id-file/--secret-id-file or --jwt-file/--jwt-role"
fi
if [ -n "$SECRET_ID_WRAPPED" ] && [ -z "$SECRET_ID_FILE" ]; then
  die "--secret-id-wrapped needs --secret-id-file"
fi

umask 077
WORK=$(mktemp -d) || die "cannot create a temporary directory"
trap 'rm -rf "$WORK"' EXIT
trap 'exit 1' HUP INT TERM

# api METHOD PATH [TOKEN]: request body on stdin (empty for none); answer body in $WORK/body.
# Fails with lessor's own error message (Vault's {"errors": [...]}) or curl's.
api() {
  method=$1
  path=$2
  : >"$WORK/headers"
  if [ $# -ge 3 ]; then
    printf 'X-Vault-Token: %s\n' "$3" >"$WORK/headers"
  fi
  cat >"$WORK/request"
  set -- -sS -X "$method" --max-time "$TIMEOUT" --retry 2 --retry-delay 1 \
    -H 'Accept: application/json' -H "@$WORK/headers" -o "$WORK/body" -w '%{http_code}'
  if [ -s "$WORK/request" ]; then
    set -- "$@" -H 'Content-Type: application/json' --data-binary "@$WORK/request"
  fi
  if ! status=$(curl "$@" "$ADDRESS/v1/$path" 2>"$WORK/curl-err"); then
    die "cannot reach lessor at $ADDRESS: $(sed -n 's/^curl: ([0-9]*) //p' "$WORK/curl-err" | head -n 1)"
  fi
  case $status in
    2??) ;;
    *)
      msg=$(jq -r 'if (.errors | type) == "array" then .errors | map(tostring) | join("; ") else empty end' "$WORK/body" 2>/dev/null || true)
      die "$method $path: HTTP $status${msg:+: $msg}"
      ;;
  esac
  jq -e 'type == "object"' "$WORK/body" >/dev/null 2>&1 || die "$method $path: answer is not a JSON object"
}

# A wrapped secret ID: look the wrapping token up first (that spends nothing) and refuse one that
# a secret-id request did not create; then unwrap it, its one use. The unwrapped answer stays in
# the 0600 work directory, and jq reads the secret ID from there.
SECRET_ID_SOURCE=$SECRET_ID_FILE
if [ -n "$SECRET_ID_WRAPPED" ]; then
  WRAPPING_TOKEN=$(tr -d ' \t\r\n' <"$SECRET_ID_FILE")
  [ -n "$WRAPPING_TOKEN" ] || die "--secret-id-file $SECRET_ID_FILE is empty"
  jq -n --rawfile w "$SECRET_ID_FILE" '{token: ($w | gsub("^\\s+|\\s+$"; ""))}' | api PUT sys/wrapping/lookup
  CREATED=$(jq -r '.data.creation_path // "" | strings' "$WORK/body")
  if ! printf '%s\n' "$CREATED" | grep -Eq '^auth/[^/]+/role/[^/]+/secret-id$'; then
    die "--secret-id-file: the wrapping token was created by \"$CREATED\", not by a secret-id request; refusing to unwrap it"
  fi
  api PUT sys/wrapping/unwrap "$WRAPPING_TOKEN" </dev/null
  jq -e '.data.secret_id | strings | length > 0' "$WORK/body" >/dev/null 2>&1 || die "--secret-id-file: the unwrapped answer holds no secret_id"
  jq -j '.data.secret_id' "$WORK/body" >"$WORK/secret-id"
  SECRET_ID_SOURCE=$WORK/secret-id
fi

# Log in. jq reads the credential files itself, so they never pass through argv.
if [ -n "$ROLE_ID_FILE" ]; then
  jq -n --rawfile r "$ROLE_ID_FILE" --rawfile s "$SECRET_ID_SOURCE" \
    '{role_id: ($r | gsub("^\\s+|\\s+$"; "")), secret_id: ($s | gsub("^\\s+|\\s+$"; ""))}' |
    api PUT auth/approle/login
else
  jq -n --rawfile j "$JWT_FILE" --arg role "$JWT_ROLE" '{role: $role, jwt: ($j | gsub("^\\s+|\\s+$"; ""))}' |
    api PUT auth/jwt/login
fi
TOKEN=$(jq -r '.auth.client_token // empty | strings' "$WORK/body")
[ -n "$TOKEN" ] || die "login answer has no auth.client_token"

# Read the secret.
api GET "$SECRET_PATH" "$TOKEN" </dev/null
jq -e '(.data | type) == "object"' "$WORK/body" >/dev/null || die "GET $SECRET_PATH: answer has no data"
LEASE_ID=$(jq -r '.lease_id // ""' "$WORK/body")
TTL=$(jq -r '.lease_duration // 0' "$WORK/body")

# Same format as `lessor agent --format env`: plain values bare, anything else single-quoted.
OUT_DIR=$(dirname "$OUT")
OUT_BASE=$(basename "$OUT")
TMP="$OUT_DIR/.$OUT_BASE.tmp.$$"
STATE_TMP="$OUT_DIR/.$OUT_BASE.lessor-state.tmp.$$"
write_files() {
  jq -r --arg sq "'" '
    def q: tostring | if test("^[A-Za-z0-9_.,:/@%+=-]*$") then . else $sq + gsub($sq; $sq + "\\" + $sq + $sq) + $sq end;
    def v: if type == "string" then . else tojson end;
    (.data | to_entries[] | "\(.key | ascii_upcase | gsub("[^A-Z0-9_]"; "_"))=\(.value | v | q)"),
    "LEASE_ID=\(.lease_id // "" | q)",
    "LEASE_DURATION=\(.lease_duration // 0)"
  ' "$WORK/body" >"$TMP" &&
    chmod 600 "$TMP" &&
    jq -c --arg path "$SECRET_PATH" \
      '{path: $path, lease_id: .lease_id, lease_duration: .lease_duration, updated_at: (now | todate)}' \
      "$WORK/body" >"$STATE_TMP" &&
    chmod 600 "$STATE_TMP" &&
    mv -f "$TMP" "$OUT" &&
    mv -f "$STATE_TMP" "$OUT_DIR/.$OUT_BASE.lessor-state"
}
if ! write_files 2>"$WORK/write-err"; then
  rm -f "$TMP" "$STATE_TMP"
  # Nobody will use these credentials: give them back rather than leave them to expire.
  if [ -n "$LEASE_ID" ]; then
    jq -n --arg id "$LEASE_ID" '{lease_id: $id}' | (api PUT sys/leases/revoke "$TOKEN" >/dev/null 2>&1 || true)
  fi
  die "cannot write $OUT: $(head -n 1 "$WORK/write-err")"
fi

printf 'lease_id=%s ttl=%s file=%s\n' "$LEASE_ID" "$TTL" "$OUT"
