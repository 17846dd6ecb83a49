#!/usr/bin/env bash
# Installs and starts what the integration tests need: RabbitMQ (Debian) and a MongoDB
# wire-protocol server (mongo-java-server from Maven Central). Idempotent: a service that
# already answers is left alone. Skipped entirely when both MONGODB_URI and AMQP_URL are set
# by the caller (e.g. a real MongoDB and RabbitMQ from docker compose).
set -euo pipefail
cd "$(dirname "$0")/.."
STATE=.test-services
mkdir -p "$STATE"
MONGO_PORT="${HERALD_TEST_MONGO_PORT:-27017}"

log() { echo "[test-services] $*"; }

if [[ -n "${HERALD_EXTERNAL_SERVICES:-}" ]]; then log "HERALD_EXTERNAL_SERVICES set: using MONGODB_URI and AMQP_URL as given"; exit 0; fi

as_root() { if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi; }

start_rabbitmq() {
  if rabbitmq-diagnostics -q ping >/dev/null 2>&1; then log "rabbitmq: already running"; return; fi
  if ! command -v rabbitmq-server >/dev/null 2>&1; then
    log "rabbitmq: installing from Debian"
    as_root apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq rabbitmq-server >/dev/null
  fi
  # Debian's package may start it through the init system; otherwise start it ourselves.
  if ! rabbitmq-diagnostics -q ping >/dev/null 2>&1; then
    log "rabbitmq: starting"
    as_root rabbitmq-server -detached >/dev/null 2>&1 || true
  fi
  # A cold start (first boot of the Erlang VM, a new Mnesia) can take well over a minute.
  for _ in $(seq 1 150); do
    if rabbitmq-diagnostics -q ping >/dev/null 2>&1; then log "rabbitmq: ready"; return; fi
    sleep 1
  done
  log "rabbitmq: did not become ready in 150 s"; exit 1
}

# Debian's chromium for the dashboard's browser tests (playwright-core drives /usr/bin/chromium; no browser download).
install_chromium() {
  if [[ -x /usr/bin/chromium ]]; then log "chromium: already installed"; return; fi
  log "chromium: installing from Debian"
  as_root apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq chromium >/dev/null
}

mongo_answers() { (exec 3<>"/dev/tcp/127.0.0.1/$MONGO_PORT") 2>/dev/null; }

start_mongo() {
  if mongo_answers; then log "mongo: something already listens on 127.0.0.1:$MONGO_PORT"; return; fi
  local dir=scripts/mongo-test-server
  if [[ ! -s "$dir/classpath.txt" ]]; then
    log "mongo: resolving de.bwaldvogel:mongo-java-server from Maven Central"
    (cd "$dir" && mvn -q -B dependency:build-classpath -Dmdep.outputFile=classpath.txt >/dev/null)
  fi
  log "mongo: starting mongo-java-server on 127.0.0.1:$MONGO_PORT"
  # G1's default pause goal is 200 ms: the stand-in's young collections (it holds every document in
  # its heap) stalled all its clients for 100-224 ms, longer than Herald's accept p99 target on their
  # own; a mongod has no such pauses. A 20 ms goal kept them mostly at ~20 ms for the same CPU.
  nohup java -Xmx2g -XX:MaxGCPauseMillis=20 -cp "$(cat "$dir/classpath.txt")" "$dir/MongoTestServer.java" "$MONGO_PORT" >"$STATE/mongo.log" 2>&1 &
  echo $! >"$STATE/mongo.pid"
  for _ in $(seq 1 60); do
    if mongo_answers; then log "mongo: ready"; return; fi
    sleep 1
  done
  log "mongo: did not become ready in 60 s"; cat "$STATE/mongo.log"; exit 1
}

# schemathesis (PyPI), pinned, in a venv of its own: the property-based run of /openapi.json.
SCHEMATHESIS_VERSION=4.32.5
install_schemathesis() {
  local venv="$STATE/venv"
  if [[ -x "$venv/bin/st" ]] && "$venv/bin/st" --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION"; then
    log "schemathesis: $SCHEMATHESIS_VERSION already installed"; return
  fi
  if ! python3 -m venv --help >/dev/null 2>&1 || ! python3 -c 'import ensurepip' >/dev/null 2>&1; then
    log "schemathesis: installing python3-venv from Debian"
    as_root apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq python3-venv >/dev/null
  fi
  log "schemathesis: installing $SCHEMATHESIS_VERSION into $venv"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
}

start_rabbitmq &
RABBIT=$!
install_chromium &
CHROMIUM=$!
install_schemathesis &
SCHEMATHESIS=$!
start_mongo
wait "$RABBIT"
wait "$CHROMIUM" || { log "chromium: install failed"; exit 1; }
# The API document's property-based run (test/integration/openapi.schemathesis.test.ts) is part of npm test.
wait "$SCHEMATHESIS" || { log "schemathesis: install failed (pip install schemathesis==$SCHEMATHESIS_VERSION into $STATE/venv)"; exit 1; }
