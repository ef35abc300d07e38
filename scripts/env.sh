# Sourced by the Makefile's scripts: gives every setting the embedded default
# unless the environment (or a git-ignored .env file) already sets it.
# Documented in .env.example and README.md.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export ROOT
mkdir -p "$ROOT/var"

if [ -f "$ROOT/.env" ]; then
  set -a; . "$ROOT/.env"; set +a
fi

# Development secrets are generated once per machine, never committed.
if [ ! -f "$ROOT/var/dev-secrets.env" ]; then
  umask 077
  {
    echo "DEV_RASA_AUTH_TOKEN=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
    echo "DEV_CRM_AUTH_SECRET=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')"
  } > "$ROOT/var/dev-secrets.env"
fi
# Added later than the others: machines set up before it get it appended.
if ! grep -q '^DEV_INTERACTIONS_TOKEN=' "$ROOT/var/dev-secrets.env"; then
  echo "DEV_INTERACTIONS_TOKEN=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')" >> "$ROOT/var/dev-secrets.env"
fi
. "$ROOT/var/dev-secrets.env"

export RASA_PORT="${RASA_PORT:-5005}"
export ACTION_PORT="${ACTION_PORT:-5055}"
export RASA_URL="${RASA_URL:-http://127.0.0.1:$RASA_PORT}"
export ACTION_SERVER_URL="${ACTION_SERVER_URL:-http://127.0.0.1:$ACTION_PORT/webhook}"
export INTERACTIONS_URL="${INTERACTIONS_URL:-http://127.0.0.1:$ACTION_PORT/interactions}"
export CRM_DATABASE_URL="${CRM_DATABASE_URL:-sqlite:///$ROOT/var/crm.db}"
export RASA_TRACKER_URL="${RASA_TRACKER_URL:-sqlite:///$ROOT/var/tracker.db}"
export RASA_LOCK_STORE="${RASA_LOCK_STORE:-in_memory}"
export REDIS_HOST="${REDIS_HOST:-127.0.0.1}"
export REDIS_PORT="${REDIS_PORT:-6379}"
export REDIS_DB="${REDIS_DB:-1}"
export RASA_AUTH_TOKEN="${RASA_AUTH_TOKEN:-$DEV_RASA_AUTH_TOKEN}"
export CRM_AUTH_SECRET="${CRM_AUTH_SECRET:-$DEV_CRM_AUTH_SECRET}"
export INTERACTIONS_TOKEN="${INTERACTIONS_TOKEN:-$DEV_INTERACTIONS_TOKEN}"
export RASA_MODEL="${RASA_MODEL:-$ROOT/models/shopbot.tar.gz}"
# TensorFlow and Rasa are chatty and phone home otherwise.
export TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-2}"
export RASA_TELEMETRY_ENABLED=false
export SQLALCHEMY_SILENCE_UBER_WARNING=1
