#!/usr/bin/env bash
# Make sure a PostgreSQL server with PostGIS answers at the configured address.
#
# With DATABASE_URL (or BATTLEMAP_DATABASE_URL) set, that server is used as it is: we only
# check it answers. Otherwise the default is 127.0.0.1:5432 (user postgres). If nothing
# answers there and this is Debian/Ubuntu with root, PostgreSQL and PostGIS are installed
# from the OS packages and the cluster is started; if PostGIS is missing on a running
# local server, its package is installed. Anywhere else we stop and say what to install.
set -euo pipefail

url="${DATABASE_URL:-${BATTLEMAP_DATABASE_URL:-}}"
host=127.0.0.1
port=5432
if [ -n "$url" ]; then
  hostport=$(printf '%s' "$url" | sed -E 's#^[a-z0-9+]+://([^@/]*@)?([^/?]*).*#\2#')
  host=${hostport%%:*}; [ -n "$host" ] || host=127.0.0.1
  case "$hostport" in *:*) port=${hostport##*:} ;; esac
fi

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else return 1; fi; }
can_apt() { command -v apt-get >/dev/null && { [ "$(id -u)" = 0 ] || command -v sudo >/dev/null; }; }
answers() { pg_isready -q -h "$host" -p "$port" 2>/dev/null || (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; }
apt_updated=
apt_install() {
  [ -n "$apt_updated" ] || { as_root apt-get -o DPkg::Lock::Timeout=600 update -qq; apt_updated=1; }
  DEBIAN_FRONTEND=noninteractive as_root apt-get -o DPkg::Lock::Timeout=600 install -y -qq "$@" >/dev/null
}
local_version() { ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1; }
start_local() {
  local v; v=$(local_version)
  [ -n "$v" ] || return 1
  as_root pg_ctlcluster --skip-systemctl-redirect "$v" main start 2>/dev/null || as_root pg_ctlcluster "$v" main start
}

if ! answers; then
  if [ -n "$url" ]; then
    echo "setup: DATABASE_URL points at $host:$port, which does not answer; start that server" >&2
    exit 1
  fi
  if [ -z "$(local_version)" ]; then
    if ! can_apt; then
      echo "setup: no PostgreSQL at $host:$port and no apt/root here: install PostgreSQL 13+ with PostGIS 3" \
           "(e.g. conda env create -f environment.yml), start it, or set DATABASE_URL" >&2
      exit 1
    fi
    echo "setup: installing PostgreSQL and PostGIS from the OS packages"
    apt_install postgresql postgresql-contrib
  fi
  echo "setup: starting PostgreSQL $(local_version)"
  start_local
  for _ in $(seq 30); do answers && break; sleep 1; done
  answers || { echo "setup: PostgreSQL did not start on $host:$port" >&2; exit 1; }
fi

# PostGIS on a local server: the package matches the server's major version.
if [ -z "$url" ] && [ -n "$(local_version)" ]; then
  v=$(local_version)
  if [ ! -e "/usr/share/postgresql/$v/extension/postgis.control" ]; then
    if can_apt; then
      echo "setup: installing postgresql-$v-postgis-3"
      apt_install "postgresql-$v-postgis-3"
    else
      echo "setup: PostGIS is not installed for PostgreSQL $v: install postgresql-$v-postgis-3" >&2
      exit 1
    fi
  fi
fi
echo "setup: PostgreSQL answers at $host:$port"
