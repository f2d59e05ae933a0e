#!/usr/bin/env bash
# A throwaway Redis Cluster for tests: 3 masters + 3 replicas (redis-server --cluster-enabled yes)
# on free loopback ports in a temp dir, created with redis-cli --cluster create --cluster-replicas 1.
# Ready means every node says cluster_state:ok and lists all 6 nodes in its CLUSTER SLOTS (so each
# master's replica is synced and known everywhere); it is awaited by polling, never a fixed sleep.
#
#   tests/integration/redis_cluster.sh <command> [args...]
#       runs the command with REDIS_CLUSTER_NODES set, then stops the cluster; exits with its code.
#   tests/integration/redis_cluster.sh
#       prints REDIS_CLUSTER_NODES=<seed URLs> on stdout and keeps the cluster until stdin closes
#       (Ctrl-D, or the process that reads the line exits) or a signal; tests/integration/
#       redis_cluster.hpp runs it this way.
#
# REDIS_CLUSTER_NODES is the seed nodes as comma-separated redis:// URLs, masters first:
# redis://127.0.0.1:P1,redis://127.0.0.1:P2,...  Everything is stopped and removed on exit, error or
# interrupt. PGFAST_CLUSTER_NODE_TIMEOUT (ms, default 2000) is each node's cluster-node-timeout.
set -euo pipefail

redis_bin=$(command -v redis-server || echo /usr/bin/redis-server)
node_timeout=${PGFAST_CLUSTER_NODE_TIMEOUT:-2000}
dir=$(mktemp -d /tmp/pgfast-redis-cluster.XXXXXX)
pids=()
ports=()

stop_cluster() {
  local rc=$?
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$dir"
  exit "$rc"
}
trap stop_cluster EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

fail() {
  echo "redis_cluster: $*" >&2
  for log in "$dir"/*/redis.log; do
    [ -f "$log" ] && { echo "--- $log" >&2; tail -5 "$log" >&2; }
  done
  exit 1
}

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# A port nothing listens on, nor on its cluster bus port (port + 10000), nor used by this cluster.
free_port() {
  local port
  for _ in $(seq 1 200); do
    port=$(( 20000 + RANDOM % 25000 ))
    [[ " ${ports[*]} " == *" $port "* ]] && continue
    if ! listening "$port" && ! listening $(( port + 10000 )); then
      echo "$port"
      return 0
    fi
  done
  echo "redis_cluster: no free port found" >&2
  return 1
}

# Starts one cluster node on a free port (retrying when another process takes the port first);
# appends its pid and port.
start_node() {
  local port pid
  for _ in 1 2 3 4 5; do
    port=$(free_port)
    mkdir -p "$dir/$port"
    "$redis_bin" --bind 127.0.0.1 --port "$port" --protected-mode yes --save '' --appendonly no \
      --dir "$dir/$port" --logfile "$dir/$port/redis.log" --daemonize no \
      --cluster-enabled yes --cluster-config-file "$dir/$port/nodes.conf" \
      --cluster-node-timeout "$node_timeout" </dev/null >/dev/null 2>&1 &
    pid=$!
    for _ in $(seq 1 200); do
      if redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null | grep -q PONG; then
        pids+=("$pid")
        ports+=("$port")
        return 0
      fi
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.05
    done
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  fail "a cluster node did not start"
}

for _ in 1 2 3 4 5 6; do start_node; done

nodes=()
for port in "${ports[@]}"; do nodes+=("127.0.0.1:$port"); done
# The first three become masters, each of the others a replica of one of them.
redis-cli --cluster create "${nodes[@]}" --cluster-replicas 1 --cluster-yes \
  >"$dir/create.log" 2>&1 || { cat "$dir/create.log" >&2; fail "redis-cli --cluster create failed"; }

# Ready when every node has the whole topology: state ok and 6 node ids in its CLUSTER SLOTS
# (Redis lists a replica there only once it has synced).
ready() {
  local port
  for port in "${ports[@]}"; do
    redis-cli -h 127.0.0.1 -p "$port" cluster info 2>/dev/null | grep -q '^cluster_state:ok' || return 1
    [ "$(redis-cli -h 127.0.0.1 -p "$port" cluster slots 2>/dev/null | grep -cE '^[0-9a-f]{40}$')" = 6 ] ||
      return 1
  done
}
deadline=$(( SECONDS + 60 ))
until ready; do
  [ "$SECONDS" -lt "$deadline" ] || fail "the cluster was not ready after 60 s"
  sleep 0.1
done

seeds=""
for port in "${ports[@]}"; do seeds+="${seeds:+,}redis://127.0.0.1:$port"; done
export REDIS_CLUSTER_NODES=$seeds

if [ $# -eq 0 ]; then
  echo "REDIS_CLUSTER_NODES=$REDIS_CLUSTER_NODES"
  # Until stdin closes (EOF) or a signal.
  while IFS= read -r _; do :; done
  exit 0
fi

echo "redis_cluster: REDIS_CLUSTER_NODES=$REDIS_CLUSTER_NODES" >&2
# Not exec: the trap must run after the command to stop the cluster.
set +e
"$@"
rc=$?
set -e
exit "$rc"
