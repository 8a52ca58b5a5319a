#!/usr/bin/env bash
# A throwaway Dovecot IMAP server for the tests, listening on 127.0.0.1 only.
#
#   .ci/dovecot.sh start DIR   start a fresh server whose files (configuration,
#                              certificates, the mailbox) live in DIR; prints
#                              its settings on stdout as KEY=VALUE lines:
#                                IMAP_HOST, IMAP_STARTTLS_PORT (plain IMAP with
#                                STARTTLS), IMAP_SSL_PORT (TLS from the start),
#                                IMAP_USER, IMAP_PASSWORD, IMAP_CA_FILE
#                              (everything else goes to stderr)
#   .ci/dovecot.sh stop DIR    stop that server and delete DIR
#
# Settings (environment):
#   DOVECOT       the server program (default /usr/sbin/dovecot, Debian's
#                 dovecot-imapd package)
#   TICKETDESK_DOVECOT_PORT   first port to try (default: a random one from
#                 20000 on); two consecutive free ports are taken
#   TICKETDESK_DOVECOT_OWNER  process id the server belongs to (default: the
#                 caller); a server left behind by an owner that has gone away
#                 (a test run that was killed) is stopped and removed at the
#                 next start
#   TICKETDESK_DOVECOT_CAPABILITY   the IMAP capabilities to announce instead
#                 of Dovecot's own (e.g. a list without MOVE, to test clients
#                 against servers that lack it)
#
# The server runs unprivileged: as the calling user, or, when called by root,
# as the `dovecot` user the package creates. Its only account is
# `desk@example.test` (password file in DIR), with a Maildir in DIR. The
# certificate is signed by a certificate authority made for this server alone
# (DIR/ca.pem, for the client) and names 127.0.0.1 and localhost.
set -euo pipefail

MARKER=.ticketdesk-test-dovecot    # marks a directory made by this script
DOVECOT="${DOVECOT:-/usr/sbin/dovecot}"
MAIL_USER=desk@example.test

log() { printf '[dovecot] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# True when something accepts TCP connections on 127.0.0.1:$1.
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

stop_dir() {
  local dir="$1" pid children child
  [[ -f "$dir/$MARKER" ]] || { log "$dir was not made by this script; leaving it alone"; return 0; }
  if [[ -f "$dir/run/master.pid" ]]; then
    pid="$(cat "$dir/run/master.pid" 2>/dev/null || true)"
    if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
      # The master's children (login, imap, auth, log ...): after SIGTERM the master
      # waits seconds for idle login processes; the data is thrown away, so after a
      # short grace they are killed.
      children="$(ps -o pid= --ppid "$pid" 2>/dev/null || true)"
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 1 25); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.02
      done
      for child in $pid $children; do
        kill -KILL "$child" 2>/dev/null || true
      done
    fi
  fi
  rm -rf -- "$dir"
}

# Servers from earlier runs whose owner has gone: stop them so they do not hold
# ports or processes.
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

make_certificates() {
  local dir="$1"
  openssl ecparam -name prime256v1 -genkey -noout -out "$dir/ca.key" 2>/dev/null
  openssl req -x509 -new -key "$dir/ca.key" -sha256 -days 2 -subj "/CN=TicketDesk test CA" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" -out "$dir/ca.pem" 2>/dev/null
  openssl ecparam -name prime256v1 -genkey -noout -out "$dir/server.key" 2>/dev/null
  openssl req -new -key "$dir/server.key" -subj "/CN=localhost" -out "$dir/server.csr" 2>/dev/null
  printf '%s\n' "basicConstraints=critical,CA:FALSE" \
    "keyUsage=critical,digitalSignature" "extendedKeyUsage=serverAuth" \
    "subjectAltName=IP:127.0.0.1,DNS:localhost" \
    "authorityKeyIdentifier=keyid" "subjectKeyIdentifier=hash" > "$dir/server.ext"
  openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" \
    -CAcreateserial -days 2 -sha256 -extfile "$dir/server.ext" -out "$dir/server.pem" 2>/dev/null
  rm -f "$dir/server.csr" "$dir/server.ext" "$dir/ca.srl" "$dir/ca.key"
}

write_config() {
  local dir="$1" user="$2" group="$3" uid="$4" gid="$5" imap_port="$6" imaps_port="$7" password="$8"
  printf '%s:{PLAIN}%s::::\n' "$MAIL_USER" "$password" > "$dir/passwd"
  cat > "$dir/dovecot.conf" <<EOF
# Throwaway test server made by .ci/dovecot.sh
protocols = imap
listen = 127.0.0.1
base_dir = $dir/run
state_dir = $dir/state
instance_name = ticketdesk-test-$imap_port
log_path = $dir/dovecot.log
info_log_path = $dir/dovecot.log
default_internal_user = $user
default_internal_group = $group
default_login_user = $user
first_valid_uid = $uid
first_valid_gid = $gid
auth_mechanisms = plain login
# Refused logins answer at once (the default waits 2 s against guessing).
auth_failure_delay = 0
disable_plaintext_auth = yes
ssl = yes
ssl_cert = <$dir/server.pem
ssl_key = <$dir/server.key
ssl_min_protocol = TLSv1.2
mail_location = maildir:$dir/mail/%u
mail_plugins =
imap_capability = ${TICKETDESK_DOVECOT_CAPABILITY:-+MOVE}
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $dir/passwd
}
userdb {
  driver = static
  args = uid=$uid gid=$gid home=$dir/mail/%u
}
service imap-login {
  chroot =
  inet_listener imap {
    address = 127.0.0.1
    port = $imap_port
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = $imaps_port
    ssl = yes
  }
}
service anvil {
  chroot =
  # No auth penalty: refused logins (tests make some on purpose) would otherwise
  # slow down every later login from 127.0.0.1 by up to 15 seconds.
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
service imap {
  process_limit = 64
}
service auth {
  user = \$default_internal_user
}
service stats {
  unix_listener stats-reader {
    user = $user
  }
  unix_listener stats-writer {
    user = $user
  }
}
EOF
}

start() {
  local dir="$1" user group uid gid port password attempt run_as=()
  [[ -x "$DOVECOT" ]] || die "$DOVECOT not found (apt-get install dovecot-imapd)"
  command -v openssl >/dev/null || die "openssl not found (apt-get install openssl)"
  [[ -d "$dir" ]] || mkdir -p -- "$dir"
  dir="$(cd "$dir" && pwd)"
  [[ -z "$(ls -A "$dir")" ]] || die "$dir must be empty"

  reap_leftovers

  touch "$dir/$MARKER"
  echo "${TICKETDESK_DOVECOT_OWNER:-$PPID}" > "$dir/owner"

  if [[ $EUID -eq 0 ]]; then
    user=dovecot
    id "$user" >/dev/null 2>&1 || die "no '$user' user (apt-get install dovecot-imapd)"
    run_as=(runuser -u "$user" --)
  else
    user="$(id -un)"
  fi
  group="$(id -gn "$user")"; uid="$(id -u "$user")"; gid="$(id -g "$user")"

  make_certificates "$dir"
  password="$(od -An -tx1 -N12 /dev/urandom | tr -d ' \n')"
  mkdir -p "$dir/run" "$dir/state" "$dir/mail"
  [[ $EUID -ne 0 ]] || chown -R "$user:$group" "$dir"
  chmod 700 "$dir"

  port="${TICKETDESK_DOVECOT_PORT:-$((20000 + RANDOM % 20000))}"
  for attempt in 1 2 3 4 5 6 7 8 9 10; do
    while port_busy "$port" || port_busy "$((port + 1))"; do
      port=$((port + 2))
    done
    write_config "$dir" "$user" "$group" "$uid" "$gid" "$port" "$((port + 1))" "$password"
    [[ $EUID -ne 0 ]] || chown "$user:$group" "$dir/dovecot.conf" "$dir/passwd"
    if (cd / && "${run_as[@]}" "$DOVECOT" -c "$dir/dovecot.conf") 2>"$dir/start.log"; then
      # The master forks and returns; the listeners are open once the login process answers.
      for _ in $(seq 1 100); do
        if port_busy "$port" && port_busy "$((port + 1))"; then
          log "Dovecot $("$DOVECOT" --version | awk '{print $1}') on 127.0.0.1:$port (STARTTLS) and :$((port + 1)) (TLS)"
          printf 'IMAP_HOST=127.0.0.1\nIMAP_STARTTLS_PORT=%s\nIMAP_SSL_PORT=%s\n' "$port" "$((port + 1))"
          printf 'IMAP_USER=%s\nIMAP_PASSWORD=%s\nIMAP_CA_FILE=%s\n' "$MAIL_USER" "$password" "$dir/ca.pem"
          return 0
        fi
        [[ -f "$dir/run/master.pid" ]] && kill -0 "$(cat "$dir/run/master.pid")" 2>/dev/null || break
        sleep 0.02
      done
    fi
    # Another process took the port between the check and the start: try the next ones.
    log "attempt $attempt on port $port failed: $(tail -n 3 "$dir/start.log" "$dir/dovecot.log" 2>/dev/null | tr '\n' ' ')"
    "$DOVECOT" -c "$dir/dovecot.conf" stop >/dev/null 2>&1 || true
    rm -rf "$dir/run"/* "$dir/dovecot.log"
    port=$((port + 2))
  done
  die "the server did not start"
}

case "${1:-}" in
  start) [[ $# -eq 2 ]] || die "usage: $0 start DIR"; start "$2" ;;
  stop)  [[ $# -eq 2 ]] || die "usage: $0 stop DIR"
         if [[ -d "$2" ]]; then stop_dir "$(cd "$2" && pwd)"; else log "$2 is already gone"; fi ;;
  *)     die "usage: $0 start DIR | stop DIR" ;;
esac
