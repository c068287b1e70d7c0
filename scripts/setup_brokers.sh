#!/usr/bin/env bash
# Make sure an MQTT broker (Mosquitto) and Redis answer where battlemap expects them.
#
# BATTLEMAP_MQTT_URL (default mqtt://127.0.0.1:1883) names the broker the device ingester
# subscribes to; REDIS_URL / BATTLEMAP_REDIS_URL (default redis://127.0.0.1:6379) names Redis.
# A URL that points elsewhere is only checked. A local address that does not answer gets the
# Debian package installed (apt waits up to 10 minutes for the dpkg lock) and its daemon started.
# Anywhere else (no apt, no root) we stop and say what to install.
set -euo pipefail

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else return 1; fi; }
can_apt() { command -v apt-get >/dev/null && { [ "$(id -u)" = 0 ] || command -v sudo >/dev/null; }; }
answers() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }
apt_updated=
apt_install() {
  [ -n "$apt_updated" ] || { as_root apt-get -o DPkg::Lock::Timeout=600 update -qq; apt_updated=1; }
  DEBIAN_FRONTEND=noninteractive as_root apt-get -o DPkg::Lock::Timeout=600 install -y -qq "$@" >/dev/null
}
# host and port of URL $1 (scheme://[user@]host[:port]...), default port $2
hostport() {
  local hp; hp=$(printf '%s' "$1" | sed -E 's#^[a-z0-9+]+://([^@/]*@)?([^/?]*).*#\2#')
  local h=${hp%%:*}; [ -n "$h" ] || h=127.0.0.1
  local p=$2; case "$hp" in *:*) p=${hp##*:} ;; esac
  printf '%s %s' "$h" "$p"
}
is_local() { case "$1" in 127.0.0.1|localhost|::1) return 0 ;; *) return 1 ;; esac; }

# ensure NAME URL DEFAULT_PORT PACKAGE BINARY START_COMMAND...
ensure() {
  local name=$1 url=$2 default_port=$3 package=$4 binary=$5; shift 5
  local host port; read -r host port <<<"$(hostport "$url" "$default_port")"
  if answers "$host" "$port"; then echo "setup: $name answers at $host:$port"; return 0; fi
  if ! is_local "$host"; then
    echo "setup: $name at $url does not answer; start that server or change the URL" >&2; return 1
  fi
  if ! command -v "$binary" >/dev/null && [ ! -x "/usr/sbin/$binary" ]; then
    if ! can_apt; then
      echo "setup: no $name at $host:$port and no apt/root here: install $package and start it" >&2; return 1
    fi
    echo "setup: installing $package from the OS packages"
    apt_install "$package"
  fi
  echo "setup: starting $name on $host:$port"
  "$@" "$host" "$port"
  for _ in $(seq 30); do answers "$host" "$port" && break; sleep 0.5; done
  answers "$host" "$port" || { echo "setup: $name did not start on $host:$port" >&2; return 1; }
  echo "setup: $name answers at $host:$port"
}

start_mosquitto() {
  local conf=/tmp/battlemap-mosquitto-$2.conf
  # persistence on: a persistent session's queued QoS 1 messages survive a broker restart
  mkdir -p "/tmp/battlemap-mosquitto-$2"
  printf 'listener %s %s\nallow_anonymous true\npersistence true\npersistence_location /tmp/battlemap-mosquitto-%s/\nmax_queued_messages 1000000\n' \
    "$2" "$1" "$2" >"$conf"
  local bin; bin=$(command -v mosquitto || echo /usr/sbin/mosquitto)
  "$bin" -c "$conf" -d
}
start_redis() {
  redis-server --bind "$1" --port "$2" --daemonize yes --save '' >/dev/null
}

ensure Mosquitto "${BATTLEMAP_MQTT_URL:-mqtt://127.0.0.1:1883}" 1883 mosquitto mosquitto start_mosquitto
ensure Redis "${REDIS_URL:-${BATTLEMAP_REDIS_URL:-redis://127.0.0.1:6379}}" 6379 redis-server redis-server start_redis
