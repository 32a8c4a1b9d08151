# Sourced by the run and test scripts: makes sure a PostgreSQL database is there to use.
#
# With SPRING_DATASOURCE_URL set, that database is used as it is. Otherwise the machine's own
# PostgreSQL cluster is started (installed from Debian's packages if missing), and a role and
# database for CarePath are created in it; SPRING_DATASOURCE_* are exported to point at them.

carepath_as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi
}

carepath_postgres() {
  local database=$1 fresh=${2:-no}
  if [ -n "${SPRING_DATASOURCE_URL:-}" ]; then
    echo "Using the database at $SPRING_DATASOURCE_URL"
    return 0
  fi
  if ! command -v pg_lsclusters >/dev/null 2>&1; then
    echo "Installing PostgreSQL from Debian's packages..."
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  fi
  local cluster
  cluster=$(pg_lsclusters -h | head -n 1)
  if [ -z "$cluster" ]; then
    local version
    version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
    pg_createcluster "$version" main >/dev/null
    cluster=$(pg_lsclusters -h | head -n 1)
  fi
  local version name port status
  read -r version name port status _ <<<"$cluster"
  if [ "$status" != online ]; then
    echo "Starting PostgreSQL $version/$name on port $port..."
    pg_ctlcluster "$version" "$name" start
  fi
  for _ in $(seq 1 30); do
    pg_isready -q -h localhost -p "$port" && break
    sleep 1
  done
  carepath_as_postgres psql -q -p "$port" -v ON_ERROR_STOP=1 <<SQL
SELECT 'CREATE ROLE carepath LOGIN PASSWORD ''carepath'''
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'carepath') \gexec
SQL
  if [ "$fresh" = fresh ]; then
    carepath_as_postgres dropdb -p "$port" --if-exists --force "$database"
  fi
  carepath_as_postgres psql -q -p "$port" -v ON_ERROR_STOP=1 <<SQL
SELECT 'CREATE DATABASE $database OWNER carepath'
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$database') \gexec
SQL
  export SPRING_DATASOURCE_URL="jdbc:postgresql://localhost:$port/$database"
  export SPRING_DATASOURCE_USERNAME=carepath
  export SPRING_DATASOURCE_PASSWORD=carepath
  echo "Using PostgreSQL database $database on localhost:$port"
}
