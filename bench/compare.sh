#!/usr/bin/env bash
# compare.sh measures Parley side by side with its peers (docs/performance.md), on this
# machine and in one run, and prints one table of the results:
#
#   send, history                  Parley vs Dendrite v0.13.8 (Matrix, SQLite)
#   fanout, idle, connect,
#   coldstart                      Parley vs Centrifugo v6.9.1
#
# Usage:
#
#   bench/compare.sh                   quick mode: small sizes, a few minutes
#   bench/compare.sh --full            the issue's sizes, two rounds each
#   SCENARIOS="fanout idle" bench/compare.sh
#   PEERS_BIN=/tmp/peers/bin bench/compare.sh   reuse built peers
#
# Flags: --quick, --full, --scenarios "LIST", --rounds N, --keep (leave the
# work folder: databases, logs, results). Every setting is also an
# environment variable; see "Settings" below.
#
# How it measures: for each scenario it runs Parley, then the peer, then
# Parley and the peer again for each further round, each against a freshly
# started server with a fresh database (history reuses the room it seeded
# in the first round). The server is pinned to CPU 1 and the load tool
# (parley-bench) to CPU 0, so that neither measures the other. Other work
# on the machine would still skew the figures: the CPU that other
# processes used during each run is measured, and the table names the runs
# that shared the machine. All servers listen on 127.0.0.1 only. Peers are built from the Go module
# proxy into the work folder (deleted at exit) unless PEERS_BIN has them;
# neither their code nor their binaries ever go into this repository.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)

# Bash reads a script as it runs it: an edit to this file in the middle of a
# run (a git checkout, say) would break the run. It therefore runs from a
# copy of itself.
case " $* " in *" -h "* | *" --help "*)
	sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
	exit 0 ;;
esac
if [ -z "${COMPARE_COPY:-}" ]; then
	copy=$(mktemp "${TMPDIR:-/tmp}/compare.XXXXXX.sh")
	cp "$0" "$copy"
	COMPARE_COPY=$copy COMPARE_REPO=$REPO exec bash "$copy" "$@"
fi
rm -f "$COMPARE_COPY"
REPO=$COMPARE_REPO

# ---------------------------------------------------------------- Settings

MODE=${MODE:-quick}
SCENARIOS=${SCENARIOS:-"send fanout idle history connect coldstart"}
ROUNDS=${ROUNDS:-}
KEEP=${KEEP:-0}
while [ $# -gt 0 ]; do
	case $1 in
	--quick) MODE=quick ;;
	--full) MODE=full ;;
	--scenarios) SCENARIOS=$2; shift ;;
	--rounds) ROUNDS=$2; shift ;;
	--keep) KEEP=1 ;;
	*) echo "compare.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
	esac
	shift
done

# The sizes of each mode. Full mode uses the issue's sizes; quick mode
# checks that everything works and gives a first idea, in a few minutes.
# Each can be overridden from the environment.
if [ "$MODE" = full ]; then
	: "${ROUNDS:=2}"
	: "${STEP:=10s}"                                  # length of a measured step
	: "${SEND_USERS:=100}"
	: "${PARLEY_SEND_RATES:=1000,2000,3000,4000,5000,6000,7000,8000,10000,12000}"
	: "${DENDRITE_SEND_RATES:=10,20,30,40,50,60,80,100,150}"
	: "${FANOUT_RECEIVERS:=1000}"
	: "${FANOUT_RATES:=20,50}"
	: "${IDLE_CONNS:=10000}"
	: "${PARLEY_HISTORY_MESSAGES:=1000000}"
	: "${DENDRITE_HISTORY_MESSAGES:=10000}"
	: "${COLDSTART_RUNS:=10}"
elif [ "$MODE" = quick ]; then
	: "${ROUNDS:=1}"
	: "${STEP:=3s}"
	: "${SEND_USERS:=20}"
	: "${PARLEY_SEND_RATES:=1000,5000,10000}"
	: "${DENDRITE_SEND_RATES:=10,25,50,100}"
	: "${FANOUT_RECEIVERS:=200}"
	: "${FANOUT_RATES:=20,50}"
	: "${IDLE_CONNS:=2000}"
	: "${PARLEY_HISTORY_MESSAGES:=50000}"
	: "${DENDRITE_HISTORY_MESSAGES:=500}"
	: "${COLDSTART_RUNS:=3}"
else
	echo "compare.sh: MODE=$MODE: want quick or full" >&2
	exit 2
fi
# History is read at each of these rates (reads a second), the same for
# both servers: at the lower one Dendrite keeps up, so the ratio compares
# the work of a read; at the higher one it queues.
: "${HISTORY_RATES:=50 200}"
: "${CONNECT_CONCURRENCY:=50}"
# Dendrite never answers a send within Parley's 20 ms goal, so its
# sustained rate is the highest step it kept up with: no errors and a p99
# within DENDRITE_SEND_SLO. A server that keeps up has a steady p99; one
# that falls behind has a queue, and a p99 that grows with the step.
: "${DENDRITE_SEND_SLO:=500ms}"
: "${DENDRITE_SEND_STOP:=2s}"
: "${PORT_BASE:=28000}"            # Centrifugo +0, Dendrite +8, Parley +80
CENTRIFUGO_VERSION=v6.9.1
DENDRITE_VERSION=v0.13.8

CF_PORT=$PORT_BASE
# Centrifugo's connections authenticate with tokens signed with this key,
# as Parley's authenticate with theirs.
CF_SECRET=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
DENDRITE_PORT=$((PORT_BASE + 8))
PARLEY_PORT=$((PORT_BASE + 80))

# ------------------------------------------------------------ Housekeeping

WORK=$(mktemp -d "${TMPDIR:-/tmp}/parley-compare.XXXXXX")
RESULTS=$WORK/results
mkdir -p "$WORK/bin" "$RESULTS" "$WORK/logs"
PIDS=()     # servers and tool runs still going, for cleanup
STARTED=$(date +%s)

log() { printf '%s compare: %s\n' "$(date +%T)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# cleanup stops everything this script started, and removes the work
# folder unless --keep (the results and the table are printed first).
cleanup() {
	local pid
	for pid in "${PIDS[@]}"; do
		stop_pid "$pid"
	done
	if [ "$KEEP" = 1 ]; then
		log "work folder kept: $WORK"
	else
		rm -rf "$WORK"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# stop_pid stops one process: SIGTERM, then SIGKILL after 15 s.
stop_pid() {
	local pid=$1 i
	kill -TERM "$pid" 2>/dev/null || return 0
	for ((i = 0; i < 150; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	forget_pid "$pid"
}

# forget_pid drops a process that has ended from PIDS.
forget_pid() {
	local keep=() p
	for p in "${PIDS[@]}"; do
		[ "$p" = "$1" ] || keep+=("$p")
	done
	PIDS=("${keep[@]+"${keep[@]}"}")
}

# With two CPUs or more, the server gets CPU 1 and the tool CPU 0.
if [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then
	SERVER_CPU=(taskset -c 1)
	TOOL_CPU=(taskset -c 0)
else
	log "one CPU (or no taskset): server and tool share it; figures are rougher"
	SERVER_CPU=()
	TOOL_CPU=()
fi

wanted() { [[ " $SCENARIOS " == *" $1 "* ]]; }
for s in $SCENARIOS; do
	case $s in send | fanout | idle | history | connect | coldstart) ;;
	*) die "unknown scenario $s (want send fanout idle history connect coldstart)" ;;
	esac
done
for port in "$CF_PORT" "$DENDRITE_PORT" "$PARLEY_PORT"; do
	if curl -s -o /dev/null "http://127.0.0.1:$port/"; then
		die "port $port is in use; set PORT_BASE to another number"
	fi
done

# ------------------------------------------------------------------ Builds

log "building parley and parley-bench"
(cd "$REPO" && go build -o "$WORK/bin/parley" ./cmd/parley &&
	go build -o "$WORK/bin/parley-bench" ./cmd/parley-bench)
PARLEY=$WORK/bin/parley
BENCH=$WORK/bin/parley-bench

# The peers come from the Go module proxy, built outside this module (from
# the work folder), into PEERS_BIN if given or the work folder otherwise.
PEERS=${PEERS_BIN:-$WORK/peers}
mkdir -p "$PEERS"
PEERS=$(cd "$PEERS" && pwd)
case $PEERS/ in "$REPO"/*) die "PEERS_BIN must be outside the repository" ;; esac

need_centrifugo=0 need_dendrite=0
for s in fanout idle connect coldstart; do wanted $s && need_centrifugo=1; done
for s in send history; do wanted $s && need_dendrite=1; done

if [ $need_centrifugo = 1 ] && [ ! -x "$PEERS/centrifugo" ]; then
	log "installing Centrifugo $CENTRIFUGO_VERSION into $PEERS (about 3 minutes)"
	(cd "$WORK" && GOBIN=$PEERS GOFLAGS= go install \
		"github.com/centrifugal/centrifugo/v6@$CENTRIFUGO_VERSION")
fi
if [ $need_dendrite = 1 ] && [ ! -x "$PEERS/dendrite" ]; then
	# Dendrite's SQLite driver is cgo: it needs a C compiler. create-account
	# is not used here (the target registers its users over the API), but
	# is at hand for making accounts by hand.
	log "installing Dendrite $DENDRITE_VERSION into $PEERS (a few minutes)"
	(cd "$WORK" && GOBIN=$PEERS GOFLAGS= CGO_ENABLED=1 go install \
		"github.com/matrix-org/dendrite/cmd/dendrite@$DENDRITE_VERSION" \
		"github.com/matrix-org/dendrite/cmd/generate-keys@$DENDRITE_VERSION" \
		"github.com/matrix-org/dendrite/cmd/generate-config@$DENDRITE_VERSION" \
		"github.com/matrix-org/dendrite/cmd/create-account@$DENDRITE_VERSION")
fi

# peer_version prints the module version a peer binary was built from.
peer_version() {
	go version -m "$1" 2>/dev/null | awk '$1 == "mod" { print $3; exit }'
}
for p in centrifugo:$CENTRIFUGO_VERSION dendrite:$DENDRITE_VERSION; do
	bin=$PEERS/${p%%:*}
	if [ -x "$bin" ] && [ "$(peer_version "$bin")" != "${p#*:}" ]; then
		log "warning: $bin is $(peer_version "$bin"), not ${p#*:}"
	fi
done

# ----------------------------------------------------------------- Servers

SERVER_PID=
SERVER_URL=

# wait_ready polls url until it answers 200, for up to 60 s, and fails if
# the server exits first.
wait_ready() {
	local url=$1 name=$2 logfile=$3 i
	for ((i = 0; i < 600; i++)); do
		curl -fs -o /dev/null "$url" && return 0
		if ! kill -0 "$SERVER_PID" 2>/dev/null; then
			tail -n 20 "$logfile" >&2
			die "$name exited before it was ready (log: $logfile)"
		fi
		sleep 0.1
	done
	die "$name not ready after 60 s (log: $logfile)"
}

# start_server NAME READY_PATH PORT COMMAND... starts a server pinned to
# the server CPU, and waits until READY_PATH answers 200.
start_server() {
	local name=$1 ready=$2 port=$3
	shift 3
	local logfile=$WORK/logs/$name-$(date +%H%M%S).log
	"${SERVER_CPU[@]}" "$@" >"$logfile" 2>&1 &
	SERVER_PID=$!
	PIDS+=("$SERVER_PID")
	SERVER_URL=http://127.0.0.1:$port
	wait_ready "$SERVER_URL$ready" "$name" "$logfile"
	wait_idle "$name"
	log "$name ready at $SERVER_URL (pid $SERVER_PID)"
}

# cpu_ticks prints the CPU time the server has used so far, in clock ticks
# (utime + stime of /proc/PID/stat).
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$SERVER_PID/stat"; }

# wait_idle NAME [SECONDS] waits until the server has used at most 2 ticks
# (2 % of a CPU at 100 Hz) in each of two half seconds in a row, for up to
# SECONDS (300). A server may still be working after it answers: Dendrite
# goes on processing what its room server stored (sync, notification
# counts) minutes after the sends were answered, and a measurement then
# would charge it for its own backlog.
wait_idle() {
	local name=$1 limit=${2:-300} last now quiet=0 i
	last=$(cpu_ticks)
	for ((i = 0; i < limit * 2; i++)); do
		sleep 0.5
		kill -0 "$SERVER_PID" 2>/dev/null || die "$name exited (see $WORK/logs)"
		now=$(cpu_ticks)
		if [ $((now - last)) -le 2 ]; then
			quiet=$((quiet + 1))
			[ $quiet -ge 2 ] && return 0
		else
			quiet=0
		fi
		last=$now
	done
	log "warning: $name still busy after $limit s; measuring anyway"
}

# stop_server stops the server start_server started.
stop_server() {
	[ -n "$SERVER_PID" ] && stop_pid "$SERVER_PID"
	SERVER_PID=
}

# start_parley DB starts Parley on the SQLite file DB. The request log is
# kept to warnings, as a log line per request would cost it more than the
# work being measured.
start_parley() {
	start_server parley /readyz "$PARLEY_PORT" "$PARLEY" serve \
		--addr "127.0.0.1:$PARLEY_PORT" --db "$1" --log-level warn
}

# centrifugo_config writes Centrifugo's configuration: connection tokens
# signed with CF_SECRET (HS256, as Parley's), an insecure HTTP API (no key,
# for the fan-out's publisher), channels without a
# namespace open to subscribe and publish, a health endpoint for readiness,
# on 127.0.0.1 only, and no usage statistics sent home.
centrifugo_config() {
	cat >"$WORK/centrifugo.json" <<EOF
{
  "http_server": {"address": "127.0.0.1", "port": $CF_PORT},
  "client": {"token": {"hmac_secret_key": "$CF_SECRET"}},
  "http_api": {"insecure": true},
  "channel": {"without_namespace": {
    "allow_subscribe_for_client": true, "allow_subscribe_for_anonymous": true,
    "allow_publish_for_client": true, "allow_publish_for_anonymous": true
  }},
  "health": {"enabled": true},
  "usage_stats": {"disabled": true},
  "log": {"level": "warn"}
}
EOF
	"$PEERS/centrifugo" checkconfig -c "$WORK/centrifugo.json" >/dev/null
}
CENTRIFUGO_CMD=()
if [ $need_centrifugo = 1 ]; then
	centrifugo_config
	CENTRIFUGO_CMD=("$PEERS/centrifugo" -c "$WORK/centrifugo.json")
fi

start_centrifugo() { start_server centrifugo /health "$CF_PORT" "${CENTRIFUGO_CMD[@]}"; }

# dendrite_config writes a Dendrite configuration and signing key into the
# folder $1: its own generated defaults (SQLite files in that folder,
# server name localhost), with federation off, rate limiting off and open
# registration on, so that the load tool can register its users. The
# generated file is edited, not written from scratch, so that it always
# matches the installed version; each edit must match exactly once.
dendrite_config() {
	local dir=$1
	mkdir -p "$dir"
	"$PEERS/generate-config" -dir "$dir" >"$dir/dendrite.yaml"
	"$PEERS/generate-keys" -private-key "$dir/matrix_key.pem" >/dev/null
	python3 - "$dir" <<'EOF'
import sys
d = sys.argv[1]
path = d + "/dendrite.yaml"
s = open(path).read()
for old, new in [
    ("  private_key: matrix_key.pem\n", f"  private_key: {d}/matrix_key.pem\n"),
    ("  disable_federation: false\n", "  disable_federation: true\n"),
    ("  registration_disabled: true\n", "  registration_disabled: false\n"),
    ("  rate_limiting:\n    enabled: true\n", "  rate_limiting:\n    enabled: false\n"),
    ("  level: info\n", "  level: warn\n"),
]:
    if s.count(old) != 1:
        sys.exit(f"dendrite.yaml: expected {old.strip()!r} once")
    s = s.replace(old, new)
open(path, "w").write(s)
EOF
}

# start_dendrite DIR starts Dendrite on the configuration in DIR.
start_dendrite() {
	start_server dendrite /_matrix/client/versions "$DENDRITE_PORT" \
		"$PEERS/dendrite" -config "$1/dendrite.yaml" \
		-http-bind-address "127.0.0.1:$DENDRITE_PORT" -really-enable-open-registration
}

# ------------------------------------------------------------------- Runs

FAILED=()

# tool OUT LOG ARGS... runs parley-bench ARGS pinned to the tool CPU, its
# stdout added to OUT and its stderr to LOG. It runs in the background, so
# that an interrupt reaches the cleanup at once, which stops it.
tool() {
	local out=$1 logfile=$2 pid rc=0
	shift 2
	"${TOOL_CPU[@]}" "$BENCH" "$@" >>"$out" 2>>"$logfile" &
	pid=$!
	PIDS+=("$pid")
	wait "$pid" || rc=$?
	forget_pid "$pid"
	return $rc
}

# bench NAME ARGS... runs one measurement with --json, and adds its result
# lines to results/NAME.jsonl. A failed run is noted, and the comparison
# goes on without it. The CPU that other processes used meanwhile goes to
# results/NAME.others.
bench() {
	local name=$1 t0 rc=0 extra=()
	shift
	log "run $name: parley-bench $(printf "%q " "$@")"
	if [[ " $* " == *" --target centrifugo "* ]]; then
		extra=(--opt "hmac_secret=$CF_SECRET")
	fi
	cpu_snapshot >"$WORK/cpu-before"
	t0=$(date +%s.%N)
	tool "$RESULTS/$name.jsonl" "$WORK/logs/$name.log" "$@" "${extra[@]}" --json || rc=$?
	cpu_snapshot >"$WORK/cpu-after"
	others_cpu "$t0" >>"$RESULTS/$name.others"
	if [ $rc -ne 0 ]; then
		FAILED+=("$name")
		log "run $name failed; its log:"
		tail -n 15 "$WORK/logs/$name.log" >&2
	fi
}

# cpu_snapshot prints "PID TICKS" for every process: the CPU time it has
# used so far (utime + stime of /proc/PID/stat, read after the command
# name, which may hold spaces).
cpu_snapshot() {
	python3 -c '
import os
for pid in filter(str.isdigit, os.listdir("/proc")):
    try:
        stat = open(f"/proc/{pid}/stat").read()
    except OSError:
        continue
    fields = stat[stat.rindex(")") + 2:].split()
    print(pid, int(fields[11]) + int(fields[12]))'
}

# others_cpu T0 prints how many CPUs, on average since T0, processes other
# than the server used: the growth from cpu-before to cpu-after of every
# process but the server. The tool, which started after the first snapshot
# and ended before the second, is in neither. Processes that came and went
# in between are missed, so this is a lower bound.
others_cpu() {
	python3 - "$WORK/cpu-before" "$WORK/cpu-after" "$1" "$(date +%s.%N)" \
		"${SERVER_PID:-0}" "$(getconf CLK_TCK)" <<'EOF'
import sys
before_path, after_path, t0, t1, server, hz = sys.argv[1:]
read = lambda p: dict(l.split() for l in open(p))
before, after = read(before_path), read(after_path)
ticks = sum(int(t) - int(before.get(pid, 0)) for pid, t in after.items() if pid != server)
print(f"{ticks / int(hz) / max(float(t1) - float(t0), 0.001):.3f}")
EOF
}

# Each run_* function runs one scenario against one target, for one round,
# on a fresh server.

run_send() {
	local target=$1 round=$2
	if [ "$target" = parley ]; then
		start_parley "$WORK/send-$round.db"
		bench "send.parley.$round" send --target parley --url "$SERVER_URL" \
			--users "$SEND_USERS" --rates "$PARLEY_SEND_RATES" --duration "$STEP"
	else
		dendrite_config "$WORK/dendrite-send-$round"
		start_dendrite "$WORK/dendrite-send-$round"
		bench "send.dendrite.$round" send --target dendrite --url "$SERVER_URL" \
			--users "$SEND_USERS" --rates "$DENDRITE_SEND_RATES" --duration "$STEP" \
			--slo "$DENDRITE_SEND_SLO" --stop-p99 "$DENDRITE_SEND_STOP"
	fi
	stop_server
}

run_fanout() {
	local target=$1 round=$2
	start_"$target" "$WORK/fanout-$round.db"
	bench "fanout.$target.$round" fanout --target "$target" --url "$SERVER_URL" \
		--receivers "$FANOUT_RECEIVERS" --rates "$FANOUT_RATES" --duration "$STEP"
	stop_server
}

run_idle() {
	local target=$1 round=$2
	start_"$target" "$WORK/idle-$round.db"
	bench "idle.$target.$round" idle --target "$target" --url "$SERVER_URL" \
		--conns "$IDLE_CONNS" --pid "$SERVER_PID"
	stop_server
}

run_connect() {
	local target=$1 round=$2
	start_"$target" "$WORK/connect-$round.db"
	bench "connect.$target.$round" connect --target "$target" --url "$SERVER_URL" \
		--concurrency "$CONNECT_CONCURRENCY" --duration "$STEP"
	stop_server
}

# run_coldstart times starts to the first ready answer. Parley's database
# exists already (made by one start beforehand), so that each start opens
# it as a restart would, and does not time its creation.
run_coldstart() {
	local target=$1 round=$2 cmd ready
	if [ "$target" = parley ]; then
		local db=$WORK/coldstart-$round.db
		start_parley "$db"
		stop_server
		cmd="exec ${SERVER_CPU[*]} $PARLEY serve --addr 127.0.0.1:$PARLEY_PORT --db $db --log-level warn"
		ready=http://127.0.0.1:$PARLEY_PORT/readyz
	else
		cmd="exec ${SERVER_CPU[*]} ${CENTRIFUGO_CMD[*]}"
		ready=http://127.0.0.1:$CF_PORT/health
	fi
	bench "coldstart.$target.$round" coldstart --target "$target" \
		--cmd "$cmd" --ready "$ready" --runs "$COLDSTART_RUNS"
}

# Parley's history channel is seeded by importing a synthetic Slack export
# (posting a million messages over HTTP would take the run's whole time),
# once; each round starts a fresh server on that database. One imported
# user gets a password through a reset code, as an admin would hand out.
HISTORY_DB=$WORK/history.db
HISTORY_EMAIL=bench-seed-0@example.com
HISTORY_PASSWORD=bench-history-password
HISTORY_WORKSPACE=bench-seed
HISTORY_CHANNEL=history

seed_parley_history() {
	[ -f "$HISTORY_DB" ] && return 0
	log "writing a Slack export of $PARLEY_HISTORY_MESSAGES messages"
	"$BENCH" seed-export --out "$WORK/seed" --messages "$PARLEY_HISTORY_MESSAGES" \
		--channel "$HISTORY_CHANNEL" 2>>"$WORK/logs/seed.log"
	log "importing it into Parley"
	"$PARLEY" import slack "$WORK/seed" --db "$HISTORY_DB" \
		--workspace "$HISTORY_WORKSPACE" >"$WORK/logs/import.log" 2>&1 ||
		{ tail -n 20 "$WORK/logs/import.log" >&2; die "import failed"; }
	rm -rf "$WORK/seed"
}

# set_parley_password sets the history user's password through a reset
# code, on the running server.
set_parley_password() {
	local code
	code=$("$PARLEY" user reset-password "$HISTORY_EMAIL" --db "$HISTORY_DB" | tail -n 1)
	curl -fsS -o /dev/null -X POST "$SERVER_URL/auth/reset" \
		-H 'Content-Type: application/json' \
		-d "{\"email\":\"$HISTORY_EMAIL\",\"code\":\"$code\",\"password\":\"$HISTORY_PASSWORD\"}" ||
		die "POST /auth/reset for $HISTORY_EMAIL failed"
}

# Dendrite's room is seeded by the target itself, over the API, once,
# before the first round (a history run at one read a second, not kept):
# each round then starts Dendrite afresh on that folder, and the target
# finds the room full already. Dendrite stores about 50 messages a second
# here, so its room is far smaller than Parley's; the table says how big.
seed_dendrite_history() {
	local dir=$1
	[ -d "$dir" ] && return 0
	dendrite_config "$dir"
	start_dendrite "$dir"
	log "seeding Dendrite's room with $DENDRITE_HISTORY_MESSAGES messages"
	tool /dev/null "$WORK/logs/seed-dendrite.log" history --target dendrite --url "$SERVER_URL" \
		--messages "$DENDRITE_HISTORY_MESSAGES" --rate 1 --duration 1s ||
		{ tail -n 20 "$WORK/logs/seed-dendrite.log" >&2; die "seeding Dendrite failed"; }
	log "waiting for Dendrite to finish processing the room"
	wait_idle dendrite 1800
	stop_server
}

run_history() {
	local target=$1 round=$2
	if [ "$target" = parley ]; then
		seed_parley_history
		start_parley "$HISTORY_DB"
		set_parley_password
		for rate in $HISTORY_RATES; do
			bench "history.parley.$round" history --target parley --url "$SERVER_URL" \
				--messages "$PARLEY_HISTORY_MESSAGES" --rate "$rate" --duration "$STEP" \
				--opt "email=$HISTORY_EMAIL" --opt "password=$HISTORY_PASSWORD" \
				--opt "workspace=$HISTORY_WORKSPACE" --opt "channel=$HISTORY_CHANNEL"
		done
	else
		local dir=$WORK/dendrite-history
		seed_dendrite_history "$dir"
		start_dendrite "$dir"
		for rate in $HISTORY_RATES; do
			bench "history.dendrite.$round" history --target dendrite --url "$SERVER_URL" \
				--messages "$DENDRITE_HISTORY_MESSAGES" --rate "$rate" --duration "$STEP"
		done
	fi
	stop_server
}

# peer_of names the peer a scenario is compared with.
peer_of() {
	case $1 in send | history) echo dendrite ;; *) echo centrifugo ;; esac
}

# A benchmark wants a quiet machine: say so at once if it is not.
cpu_snapshot >"$WORK/cpu-before"
t0=$(date +%s.%N)
sleep 2
cpu_snapshot >"$WORK/cpu-after"
busy=$(others_cpu "$t0")
if awk -v b="$busy" 'BEGIN { exit !(b >= 0.1) }'; then
	log "warning: other processes are using $busy CPU; the figures will be skewed"
fi

# Parley and its peer take turns, round after round, so that a drift of
# the machine (heat, another tenant) falls on both.
for scenario in send fanout idle history connect coldstart; do
	wanted "$scenario" || continue
	for ((round = 1; round <= ROUNDS; round++)); do
		for target in parley "$(peer_of "$scenario")"; do
			log "== $scenario, $target, round $round of $ROUNDS"
			run_"$scenario" "$target" "$round"
			# A little rest, for sockets in TIME_WAIT and the page cache.
			sleep 1
		done
	done
done

# ------------------------------------------------------------------ Table

# The table is printed by bench/table.py, from the results folder and the
# settings this run writes beside them.
ELAPSED=$(($(date +%s) - STARTED))
export MODE ROUNDS FANOUT_RECEIVERS FANOUT_RATES DENDRITE_SEND_SLO ELAPSED
export MACHINE_NPROC=$(nproc)
export MACHINE_CPU=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
export MACHINE_KERNEL=$(uname -r)
export MACHINE_GO=$(go version | awk '{ print $3 }')
export PARLEY_COMMIT=$(cd "$REPO" && git rev-parse --short HEAD 2>/dev/null || echo unknown)$(
	cd "$REPO" && git diff --quiet HEAD 2>/dev/null || echo "+changes")
export CENTRIFUGO_BUILT=$( [ -x "$PEERS/centrifugo" ] && peer_version "$PEERS/centrifugo" || echo -)
export DENDRITE_BUILT=$( [ -x "$PEERS/dendrite" ] && peer_version "$PEERS/dendrite" || echo -)
export FAILED_RUNS="${FAILED[*]+"${FAILED[*]}"}"
for v in MODE ROUNDS FANOUT_RECEIVERS FANOUT_RATES DENDRITE_SEND_SLO ELAPSED MACHINE_NPROC \
	MACHINE_CPU MACHINE_KERNEL MACHINE_GO PARLEY_COMMIT CENTRIFUGO_BUILT DENDRITE_BUILT FAILED_RUNS; do
	printf '%s=%s\n' "$v" "${!v}"
done >"$RESULTS/run.env"

python3 "$REPO/bench/table.py" "$RESULTS" | tee "$RESULTS/table.md"
if [ "$KEEP" = 1 ]; then
	log "results: $RESULTS"
fi
[ ${#FAILED[@]} -eq 0 ] || exit 1
