#!/usr/bin/env bash
# A throwaway PostgreSQL server for the test suite, listening on 127.0.0.1 only.
#
#   .ci/postgres.sh start DIR   start a fresh server whose files live in DIR;
#                               prints the SQLAlchemy URL of its test database
#                               on stdout (everything else goes to stderr)
#   .ci/postgres.sh stop DIR    stop that server and delete DIR
#
# Settings (environment):
#   TICKETDESK_PG_PORT   first port to try (default 54329; the next free one
#                        is taken when it is busy)
#   TICKETDESK_PG_OWNER  process id the server belongs to (default: the caller);
#                        a server left behind by an owner that has gone away is
#                        stopped and removed at the next start
#   PG_BINDIR            PostgreSQL programs (default: newest
#                        /usr/lib/postgresql/*/bin)
#
# PostgreSQL refuses to run as root, so the server runs as the `postgres` user.
set -euo pipefail

MARKER=.ticketdesk-test-postgres    # marks a directory made by this script
DB_USER=ticketdesk
DB_NAME=ticketdesk_test
FIRST_PORT="${TICKETDESK_PG_PORT:-54329}"
RUN_AS=postgres

log() { printf '[postgres] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

find_bindir() {
  if [[ -n "${PG_BINDIR:-}" ]]; then
    printf '%s\n' "$PG_BINDIR"
    return
  fi
  # Client-only packages also create /usr/lib/postgresql/N/bin: look for initdb.
  local found=() d
  for d in /usr/lib/postgresql/*/bin; do
    [[ -x "$d/initdb" && -x "$d/pg_ctl" ]] && found+=("$d")
  done
  (( ${#found[@]} )) || die "no PostgreSQL server found under /usr/lib/postgresql (apt-get install postgresql)"
  printf '%s\n' "${found[@]}" | sort -V | tail -n 1
}

# Run a command as the server's user, from / (it may not be allowed into the
# current directory).
as_pg() { (cd / && runuser -u "$RUN_AS" -- "$@"); }

# True when something accepts TCP connections on 127.0.0.1:$1.
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Stop the server in DIR (if running) and delete DIR, if this script made it.
stop_dir() {
  local dir="$1"
  [[ -f "$dir/$MARKER" ]] || { log "$dir was not made by this script; leaving it alone"; return 0; }
  if [[ -f "$dir/data/postmaster.pid" ]]; then
    log "stopping the server in $dir"
    as_pg "$BINDIR/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop >&2 \
      || as_pg "$BINDIR/pg_ctl" -D "$dir/data" -m immediate -w -t 30 stop >&2 \
      || log "could not stop the server in $dir"
  fi
  rm -rf -- "$dir"
}

# Servers from earlier runs whose owner has gone (a run that was killed before
# it could clean up): stop them so they do not hold ports or memory.
reap_leftovers() {
  local parent marker dir owner
  local parents=(/tmp)
  [[ -n "${TMPDIR:-}" && "${TMPDIR%/}" != /tmp ]] && parents+=("${TMPDIR%/}")
  for parent in "${parents[@]}"; do
    for marker in "$parent"/*/"$MARKER"; do
      [[ -f "$marker" ]] || continue
      dir="${marker%/"$MARKER"}"
      owner="$(cat "$dir/owner" 2>/dev/null || true)"
      if [[ -n "$owner" ]] && kill -0 "$owner" 2>/dev/null; then
        continue    # its run is still going
      fi
      log "found a leftover server in $dir (owner ${owner:-unknown} has gone)"
      stop_dir "$dir"
    done
  done
}

start() {
  local dir="$1" port password
  [[ -d "$dir" ]] || mkdir -p -- "$dir"
  dir="$(cd "$dir" && pwd)"
  [[ -z "$(ls -A "$dir")" ]] || die "$dir must be empty"

  reap_leftovers

  port="$FIRST_PORT"
  while port_busy "$port"; do
    log "port $port is busy"
    port=$((port + 1))
    (( port < FIRST_PORT + 50 )) || die "no free port from $FIRST_PORT on"
  done

  # The directory may belong to root; the server's own user needs to own it.
  touch "$dir/$MARKER"
  echo "${TICKETDESK_PG_OWNER:-$PPID}" > "$dir/owner"
  mkdir -m 700 "$dir/data" "$dir/socket"
  chown -R "$RUN_AS:" "$dir"
  chmod 700 "$dir"
  as_pg test -w "$dir/data" || die "user $RUN_AS cannot reach $dir (is a parent directory private?)"

  password="$(od -An -tx1 -N12 /dev/urandom | tr -d ' \n')"

  log "PostgreSQL $("$BINDIR/postgres" --version | awk '{print $3}') from $BINDIR"
  log "initialising a new cluster in $dir/data"
  as_pg "$BINDIR/initdb" -D "$dir/data" -U postgres -E UTF8 --locale=C.UTF-8 \
    --auth-local=trust --auth-host=scram-sha-256 >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; die "initdb failed"; }

  # Loopback only; durability switched off because the data is thrown away.
  cat >>"$dir/data/postgresql.conf" <<EOF

# Throwaway test server
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir/socket'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 100
EOF

  log "starting the server on 127.0.0.1:$port"
  as_pg "$BINDIR/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >&2 \
    || { tail -n 40 "$dir/server.log" >&2 || true; die "the server did not start"; }

  log "creating role $DB_USER and database $DB_NAME"
  as_pg "$BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -h "$dir/socket" -p "$port" -U postgres -d postgres \
    -c "CREATE ROLE $DB_USER LOGIN CREATEDB PASSWORD '$password'" \
    -c "CREATE DATABASE $DB_NAME OWNER $DB_USER" >&2

  local url="postgresql+psycopg://$DB_USER:$password@127.0.0.1:$port/$DB_NAME"
  echo "$url" > "$dir/url"
  log "ready: postgresql+psycopg://$DB_USER:***@127.0.0.1:$port/$DB_NAME (full URL in $dir/url)"
  printf '%s\n' "$url"
}

[[ $EUID -eq 0 ]] || die "run as root (the server itself runs as user $RUN_AS)"
id "$RUN_AS" >/dev/null 2>&1 || die "no '$RUN_AS' user (apt-get install postgresql)"
BINDIR="$(find_bindir)"

case "${1:-}" in
  start) [[ $# -eq 2 ]] || die "usage: $0 start DIR"; start "$2" ;;
  stop)  [[ $# -eq 2 ]] || die "usage: $0 stop DIR"
         if [[ -d "$2" ]]; then stop_dir "$(cd "$2" && pwd)"; else log "$2 is already gone"; fi ;;
  *)     die "usage: $0 start DIR | stop DIR" ;;
esac
