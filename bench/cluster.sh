#!/usr/bin/env bash
# cluster.sh measures Parley as a cluster on PostgreSQL and NATS, with one,
# two and three nodes, on this machine and in one run, and prints a table:
# the highest send rate with p99 ≤ 20 ms, and the fan-out latency to 1,000
# receivers spread over the nodes, at 20 and 50 messages a second.
#
# Usage:
#
#   bench/cluster.sh                 1, 2 and 3 nodes
#   NODES="1 3" bench/cluster.sh     some of them
#
# Settings, as environment variables: NODES, SEND_RATES (default
# 500,…,5000), SEND_CHANNELS (20: the sends spread over that many channels
# of one workspace, as a workspace's traffic does; one conversation's
# appends take turns on its counter row), FANOUT_RECEIVERS (1000), STEP
# (10s a rate), PG_PORT (55433),
# NATS_PORT (54223), PORT_BASE (28180, the first node's port).
#
# It starts a throwaway PostgreSQL 15 (from Debian, installed if missing)
# with its durable defaults (fsync and synchronous_commit on: an
# acknowledged message is on disk), and a nats-server from Debian, both on
# 127.0.0.1, in a temporary folder removed at exit. Each node count gets a
# fresh database; the load tool's users each talk to one node, over HTTP and
# WebSocket. Everything shares this machine's cores, so more nodes do not
# add CPU here: the figures show what the cluster costs and what it keeps,
# not how it scales on machines of its own.
set -euo pipefail

case ${1:-} in
-h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
?*) echo "cluster.sh: no arguments are taken; settings are environment variables (see --help)" >&2; exit 2 ;;
esac

REPO=$(cd "$(dirname "$0")/.." && pwd)
NODES=${NODES:-"1 2 3"}
SEND_RATES=${SEND_RATES:-500,1000,1500,2000,3000,4000,5000}
SEND_CHANNELS=${SEND_CHANNELS:-20}
FANOUT_RECEIVERS=${FANOUT_RECEIVERS:-1000}
STEP=${STEP:-10s}
PG_PORT=${PG_PORT:-55433}
NATS_PORT=${NATS_PORT:-54223}
PORT_BASE=${PORT_BASE:-28180}
PG_BIN=/usr/lib/postgresql/15/bin
export PATH="$PATH:/usr/sbin"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/parley-cluster.XXXXXX")
chmod 755 "$WORK"
PIDS=()
log() { printf '%s cluster: %s\n' "$(date +%T)" "$*" >&2; }

cleanup() {
	for pid in "${PIDS[@]+"${PIDS[@]}"}"; do kill "$pid" 2>/dev/null || true; done
	wait 2>/dev/null || true
	if [ -d "$WORK/pg" ]; then
		runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$WORK/pg/data" -m fast -w stop >/dev/null 2>&1 || true
	fi
	rm -rf "$WORK"
}
trap cleanup EXIT

# ------------------------------------------------------------ Services

if [ ! -x "$PG_BIN/initdb" ]; then
	apt-get update -qq && apt-get install -y -qq postgresql >/dev/null
fi
if ! command -v nats-server >/dev/null; then
	apt-get update -qq && apt-get install -y -qq nats-server >/dev/null
fi

log "building parley and parley-bench"
(cd "$REPO" && go build -o "$WORK/parley" ./cmd/parley && go build -o "$WORK/parley-bench" ./cmd/parley-bench)

log "starting PostgreSQL on 127.0.0.1:$PG_PORT and NATS on 127.0.0.1:$NATS_PORT"
mkdir "$WORK/pg" && chown postgres "$WORK/pg"
runuser -u postgres -- "$PG_BIN/initdb" -D "$WORK/pg/data" -U parley --auth=trust -E UTF8 --no-locale >/dev/null
runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$WORK/pg/data" -l "$WORK/pg/pg.log" -w start \
	-o "-p $PG_PORT -k $WORK/pg -c listen_addresses=127.0.0.1 -c max_connections=200" >/dev/null
nats-server -a 127.0.0.1 -p "$NATS_PORT" >"$WORK/nats.log" 2>&1 &
PIDS+=($!)
PG="postgres://parley@127.0.0.1:$PG_PORT"

# ------------------------------------------------------------ Runs

RESULTS=$WORK/results
mkdir -p "$RESULTS"
for n in $NODES; do
	db=parley_bench_$n
	psql -q -h 127.0.0.1 -p "$PG_PORT" -U parley -d postgres -c "CREATE DATABASE $db"
	urls=()
	node_pids=()
	for ((i = 0; i < n; i++)); do
		port=$((PORT_BASE + i))
		"$WORK/parley" serve --addr "127.0.0.1:$port" --db "$PG/$db?sslmode=disable" \
			--nats "nats://127.0.0.1:$NATS_PORT" --log-level warn >"$WORK/node-$n-$i.log" 2>&1 &
		node_pids+=($!)
		PIDS+=($!)
		urls+=("http://127.0.0.1:$port")
	done
	for u in "${urls[@]}"; do
		for _ in $(seq 200); do
			curl -fsS "$u/readyz" >/dev/null 2>&1 && break
			sleep 0.05
		done
	done
	url_list=$(IFS=,; echo "${urls[*]}")
	log "$n node(s): $url_list"
	"$WORK/parley-bench" send --url "$url_list" --rates "$SEND_RATES" --duration "$STEP" --json \
		--opt "channels=$SEND_CHANNELS" \
		>"$RESULTS/send.$n.jsonl" 2>>"$WORK/bench.log" || log "send with $n node(s) failed: see the log"
	"$WORK/parley-bench" fanout --url "$url_list" --receivers "$FANOUT_RECEIVERS" --rates 20,50 \
		--duration "$STEP" --json >"$RESULTS/fanout.$n.jsonl" 2>>"$WORK/bench.log" ||
		log "fanout with $n node(s) failed: see the log"
	for pid in "${node_pids[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
done

# ------------------------------------------------------------ Table

SEND_CHANNELS=$SEND_CHANNELS python3 - "$RESULTS" "$FANOUT_RECEIVERS" <<'EOF'
import glob, json, os, sys
folder, receivers = sys.argv[1], sys.argv[2]
def lines(path):
    return [json.loads(l) for l in open(path) if l.startswith("{")] if os.path.exists(path) else []
print(f"| nodes | best send rate (p99 ≤ 20 ms) | its p99, ms | fan-out p99 at 20/s, ms | fan-out p99 at 50/s, ms | deliveries/s at 50/s | lost |")
print("|---|---|---|---|---|---|---|")
for path in sorted(glob.glob(os.path.join(folder, "send.*.jsonl"))):
    n = path.split(".")[-2]
    best = next((r for r in lines(path) if r["label"] == "best"), None)
    fan = {r["label"]: r for r in lines(os.path.join(folder, f"fanout.{n}.jsonl"))}
    def p99(label):
        return f"{fan[label]['p99_ms']:.1f}" if label in fan else "–"
    lost = sum(int((r.get("extra") or {}).get("lost", 0)) for r in fan.values())
    rate = f"{fan['50/s']['rate']:,.0f}" if "50/s" in fan else "–"
    print(f"| {n} | {best['extra']['best_rate']:,.0f}/s | {best['p99_ms']:.1f} | {p99('20/s')} | {p99('50/s')} | {rate} | {lost} |"
          if best else f"| {n} | failed | | {p99('20/s')} | {p99('50/s')} | {rate} | {lost} |")
print(f"\nSends: 100 users over {os.environ.get('SEND_CHANNELS', '20')} channels. Fan-out: {receivers} receivers, one user each, spread over the nodes by email; the sender talks to one node.")
EOF
