#!/bin/sh
# Makes Jobline's namespace ready on a Temporal server that has just started: what
# `npm start` does for the embedded dev server (src/temporal/namespace-setup.ts).
#   1. waits until the server answers,
#   2. creates the namespace if it is missing and sets its retention,
#   3. registers the custom search attributes Jobline writes,
#   4. waits until the frontend accepts a list query over all of them.
# Safe to re-run: every step leaves what already exists alone.
#
# Runs in temporalio/admin-tools (the `temporal` CLI reads TEMPORAL_ADDRESS itself).
#   TEMPORAL_NAMESPACE   namespace to prepare (default: default)
#   NAMESPACE_RETENTION  how long closed workflows are kept, e.g. 168h
#   SEARCH_ATTRIBUTES    space-separated Name=Type pairs, e.g. "JobType=Keyword JobPriority=Int"
set -eu

: "${TEMPORAL_ADDRESS:?TEMPORAL_ADDRESS is required}"
NAMESPACE="${TEMPORAL_NAMESPACE:-default}"
RETENTION="${NAMESPACE_RETENTION:-168h}"
SEARCH_ATTRIBUTES="${SEARCH_ATTRIBUTES:-}"
ATTEMPTS="${SETUP_ATTEMPTS:-90}"

log() {
  echo "[jobline-setup] $*"
}

# Runs a command until it succeeds, 2 s apart, at most $ATTEMPTS times.
retry() {
  attempt=1
  until "$@"; do
    if [ "$attempt" -ge "$ATTEMPTS" ]; then
      log "giving up after ${attempt} attempts: $*" >&2
      return 1
    fi
    attempt=$((attempt + 1))
    sleep 2
  done
}

# A filter that names every attribute, so the frontend rejects it until it knows them all.
probe_query() {
  query=""
  for pair in $SEARCH_ATTRIBUTES; do
    name=${pair%%=*}
    case ${pair#*=} in
      Int | Double) clause="${name} = 0" ;;
      Bool) clause="${name} = true" ;;
      Datetime) clause="${name} = '2000-01-01T00:00:00Z'" ;;
      *) clause="${name} = 'jobline-setup-probe'" ;;
    esac
    query="${query:+${query} AND }${clause}"
  done
  echo "$query"
}

ensure_namespace() {
  if temporal operator namespace describe -n "$NAMESPACE" >/dev/null 2>&1; then
    return 0
  fi
  log "creating namespace ${NAMESPACE}"
  temporal operator namespace create -n "$NAMESPACE" --retention "$RETENTION"
}

log "waiting for the Temporal server at ${TEMPORAL_ADDRESS}"
retry temporal operator cluster health --command-timeout 5s

retry ensure_namespace
log "namespace ${NAMESPACE}: retention ${RETENTION}"
retry temporal operator namespace update -n "$NAMESPACE" --retention "$RETENTION"

# A new namespace reaches the operator API a moment after it was created.
retry temporal operator search-attribute list -n "$NAMESPACE" >/dev/null
for pair in $SEARCH_ATTRIBUTES; do
  name=${pair%%=*}
  type=${pair#*=}
  if [ -z "$name" ] || [ "$name" = "$pair" ] || [ -z "$type" ]; then
    log "SEARCH_ATTRIBUTES: '${pair}' is not Name=Type" >&2
    exit 1
  fi
  log "search attribute ${name} (${type})"
  # Fails (and so does this job) if the attribute exists with another type.
  temporal operator search-attribute create -n "$NAMESPACE" --name "$name" --type "$type"
done

if [ -n "$SEARCH_ATTRIBUTES" ]; then
  query=$(probe_query)
  if ! temporal workflow count -n "$NAMESPACE" --query "$query" >/dev/null 2>&1; then
    log "waiting until the frontend knows the new search attributes"
    retry temporal workflow count -n "$NAMESPACE" --query "$query" >/dev/null
    # The other services refresh their namespace caches on their own timers (about 10 s).
    sleep 10
  fi
fi
log "namespace ${NAMESPACE} is ready"
