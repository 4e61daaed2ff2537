#!/usr/bin/env bash
# Builds the repository's Dockerfile as it is and proves the image works, on a machine with no
# container registry and no container engine daemon (`.spec/operations.md` § Container):
#   1. stand-ins for the Dockerfile's base images, made from Debian's packages (mmdebstrap)
#      and this machine's Rust toolchain, imported and tagged with the names the Dockerfile
#      uses (cached: built once per machine);
#   2. `buildah build --isolation=chroot` of the Dockerfile, unchanged;
#   3. checks in `buildah run --isolation=chroot` containers (they share the host's network):
#      non-root user, HEALTHCHECK, no secret in the image, `backtest` runs, `paper` serves the
#      dashboard on loopback (`/healthz`, and the image's own health check command), and the
#      bot in the image keeps its journal in the host's PostgreSQL through DATABASE_URL.
# Also validates docker-compose.yml with docker-compose. Prints the runtime image's size and the time from start to `/healthz` answering.
#
# Environment: BUILD_LOCK=FILE holds that flock while the image's cargo build runs (it uses
# every core); PG_URL (default postgres://postgres@127.0.0.1:5432) is the host's server.
set -euo pipefail
cd "$(dirname "$0")/.."

IMAGE=localhost/binance-trader:check
PG_URL="${PG_URL:-postgres://postgres@127.0.0.1:5432}"
PG_DB=bt_container_check
export STORAGE_DRIVER="${STORAGE_DRIVER:-overlay}"
step() { printf '== container-check: %s\n' "$*"; }
fail() { printf 'container-check FAILED: %s\n' "$*" >&2; exit 1; }

need_tools() {
  local missing=()
  for tool in mmdebstrap buildah podman curl psql docker-compose; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
  done
  ((${#missing[@]} == 0)) && return 0
  step "installing mmdebstrap buildah podman (and curl, psql) from Debian"
  export DEBIAN_FRONTEND=noninteractive
  local pkgs=(mmdebstrap buildah podman uidmap curl postgresql-client docker-compose)
  apt-get -o DPkg::Lock::Timeout=600 install -y -q "${pkgs[@]}" >/dev/null \
    || { apt-get update -q >/dev/null \
         && apt-get -o DPkg::Lock::Timeout=600 install -y -q "${pkgs[@]}" >/dev/null; }
}

# The `FROM` image names of the Dockerfile, in order (builder first).
from_images() { awk 'toupper($1) == "FROM" { print $2 }' Dockerfile; }

# `docker.io/library/` + name, as a registry would resolve a short name.
qualified() { case "$1" in */*) echo "docker.io/$1" ;; *) echo "docker.io/library/$1" ;; esac; }

have_image() { podman image exists "$1" 2>/dev/null; }

# What the official slim images leave out: documentation, manuals, translations, apt's lists.
SLIM=(
  --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright'
  --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/info/*'
  --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-include=/usr/share/locale/locale.alias'
  --dpkgopt='path-exclude=/usr/share/lintian/*' --dpkgopt='path-exclude=/usr/share/linda/*'
  --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/* "$1"/var/log/*'
)

# debian:bookworm-slim: Debian's minimal base, the same packages the official image has.
make_debian() {
  local name="$1" suite="${1##*:}"; suite="${suite%-slim}"
  step "making $name from Debian $suite (mmdebstrap, minbase)"
  local tar; tar="$(mktemp --suffix=.tar)"
  mmdebstrap --quiet --variant=minbase --mode=root "${SLIM[@]}" "$suite" "$tar"
  podman import --quiet --change 'CMD ["bash"]' "$tar" "$(qualified "$name")" >/dev/null
  rm -f "$tar"
}

# rust:<version>-slim-<suite>: Debian minbase + a C linker + this machine's Rust toolchain at
# the official image's paths and environment. The toolchain must be the tag's version. The
# host's CA bundle replaces Debian's, so cargo reaches crates.io the way this machine does
# (through whatever TLS proxy it trusts).
make_rust() {
  local name="$1" tag="${1##*:}"
  local version="${tag%%-*}" suite="${tag##*-}"
  local have; have="$(rustc --version | awk '{print $2}')"
  case "$have" in
    "$version"|"$version".*) ;;
    *) fail "the Dockerfile builds with rust $version, this machine has rustc $have" ;;
  esac
  local sysroot; sysroot="$(rustc --print sysroot)"
  step "making $name from Debian $suite + the local toolchain ($have, $sysroot)"
  local tar; tar="$(mktemp --suffix=.tar)"
  local dest="/usr/local/rustup/toolchains/$have-x86_64-unknown-linux-gnu"
  mmdebstrap --quiet --variant=minbase --mode=root "${SLIM[@]}" \
    --include=ca-certificates,gcc,libc6-dev \
    --customize-hook="mkdir -p \"\$1$dest\" \"\$1/usr/local/cargo/bin\"" \
    --customize-hook="tar -C '$sysroot' --exclude=./share/doc -cf - . | tar -C \"\$1$dest\" -xf -" \
    --customize-hook="for b in cargo rustc rustdoc; do ln -s $dest/bin/\$b \"\$1/usr/local/cargo/bin/\$b\"; done" \
    --customize-hook="cp /etc/ssl/certs/ca-certificates.crt \"\$1/etc/ssl/certs/ca-certificates.crt\"" \
    "$suite" "$tar"
  podman import --quiet \
    --change 'ENV RUSTUP_HOME=/usr/local/rustup' \
    --change 'ENV CARGO_HOME=/usr/local/cargo' \
    --change 'ENV PATH=/usr/local/cargo/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change "ENV RUST_VERSION=$have" \
    --change 'CMD ["bash"]' \
    "$tar" "$(qualified "$name")" >/dev/null
  rm -f "$tar"
}

base_images() {
  local name
  while read -r name; do
    if have_image "$(qualified "$name")"; then
      step "base image $name: cached"
    elif [[ "$name" == rust:* ]]; then
      make_rust "$name"
    elif [[ "$name" == debian:* ]]; then
      make_debian "$name"
    else
      fail "no stand-in known for base image $name"
    fi
  done < <(from_images)
}

build_image() {
  step "buildah build --isolation=chroot of the Dockerfile (cargo build --release inside)"
  local lock=()
  [[ -n "${BUILD_LOCK:-}" ]] && lock=(flock "$BUILD_LOCK")
  local started=$SECONDS
  # --format docker keeps HEALTHCHECK (OCI image configs have no field for it).
  "${lock[@]}" buildah build --quiet --isolation=chroot --pull=never --layers \
    --format docker --tag "$IMAGE" . >/dev/null
  step "built in $((SECONDS - started)) s"
}

# A free loopback port.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Working containers of this run are named bt-check-<pid>-N and removed at exit; background
# `buildah run`s (each its own process group) are stopped by their pids.
PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  buildah containers --format '{{.ContainerName}}' 2>/dev/null | grep "^bt-check-$$-" \
    | xargs -r buildah rm >/dev/null 2>&1 || true
  [[ -n "${WORK:-}" ]] && rm -rf "$WORK"
}
trap cleanup EXIT

SEQ=0
# in_image [buildah run options] -- command…: a new container of the image, run as the image's
# user, on the host's network (chroot isolation shares it), so loopback is the host's.
in_image() {
  local opts=()
  while [[ "$1" != -- ]]; do opts+=("$1"); shift; done
  shift
  SEQ=$((SEQ + 1))
  local c="bt-check-$$-$SEQ-$RANDOM"
  buildah from --quiet --pull=never --name "$c" "$IMAGE" >/dev/null
  buildah run --isolation=chroot "${RUN_OPTS[@]}" "${opts[@]}" "$c" -- "$@"
}

# in_image_bg LOG [options] -- command…: in_image in the background, in its own process group
# (job control on), so that cleanup stops buildah and the program it runs together.
in_image_bg() {
  local log="$1"; shift
  set -m
  in_image "$@" >"$log" 2>&1 &
  PIDS+=("$!")
  set +m
}

# Waits until URL answers `ok`; prints the milliseconds it took from $1 (date +%s%N).
wait_healthz() {
  local since="$1" url="$2" log="$3"
  for _ in $(seq 1 600); do
    if [[ "$(curl -fsS --max-time 1 "$url" 2>/dev/null)" == ok ]]; then
      echo $(( ($(date +%s%N) - since) / 1000000 ))
      return 0
    fi
    sleep 0.1
  done
  cat "$log" >&2
  fail "$url did not answer within 60 s"
}

check_image_config() {
  step "image config: non-root user, HEALTHCHECK, no secret"
  local user health env
  user="$(buildah inspect --type image --format '{{.Docker.Config.User}}' "$IMAGE")"
  health="$(buildah inspect --type image --format '{{.Docker.Config.Healthcheck}}' "$IMAGE")"
  env="$(buildah inspect --type image --format '{{.Docker.Config.Env}}' "$IMAGE")"
  [[ "$user" == 10001:10001 ]] || fail "image user is '$user', expected 10001:10001"
  [[ "$health" == *healthcheck* && "$health" == */healthz* ]] || fail "no HEALTHCHECK on /healthz: $health"
  if grep -Eq 'BINANCE_API|SECRET|PASSWORD' <<<"$env"; then fail "the image's environment holds a secret: $env"; fi
  local uid; uid="$(in_image -- id -u)"
  [[ "$uid" == 10001 ]] || fail "processes run as uid $uid"
  in_image -- sh -c '! find / -xdev \( -name .env -o -name "*.pem" -o -name "binance*.toml" \) 2>/dev/null | grep -q .' \
    || fail "a secret-looking file (.env, *.pem, binance*.toml) is in the image"
}

check_backtest() {
  step "backtest inside the image"
  local out; out="$(in_image -- binance-trader backtest 2>&1)" || { echo "$out" >&2; fail "backtest failed"; }
  grep -q 'Backtest FILUSDT' <<<"$out" || { echo "$out" >&2; fail "backtest printed no report"; }
}

check_paper() {
  step "paper inside the image: dashboard on loopback"
  local port; port="$(free_port)"
  local since; since="$(date +%s%N)"
  in_image_bg "$WORK/paper.log" -- binance-trader paper --dashboard "127.0.0.1:$port"
  HEALTHZ_MS="$(wait_healthz "$since" "http://127.0.0.1:$port/healthz" "$WORK/paper.log")"
  in_image -- binance-trader healthcheck --url "http://127.0.0.1:$port/healthz" \
    || fail "the image's health check command failed against a healthy dashboard"
  curl -fsS "http://127.0.0.1:$port/api/state" | grep -q '"mode":"paper"' \
    || fail "the paper dashboard's /api/state does not answer"
  if grep -q $'\e\[' "$WORK/paper.log"; then fail "colour codes in a log that is not a terminal"; fi
}

check_postgres() {
  step "the bot in the image on the host's PostgreSQL (DATABASE_URL) and a local exchange-sim"
  psql -q "$PG_URL/postgres" -c "DROP DATABASE IF EXISTS $PG_DB" -c "CREATE DATABASE $PG_DB" \
    >/dev/null || fail "cannot reach PostgreSQL at $PG_URL"
  local sim bot; sim="$(free_port)"; bot="$(free_port)"
  in_image_bg "$WORK/sim.log" -- binance-trader exchange-sim --listen "127.0.0.1:$sim" --quote 10000
  for _ in $(seq 1 300); do
    curl -fsS "http://127.0.0.1:$sim/api/v3/ping" >/dev/null 2>&1 && break
    sleep 0.1
  done
  printf 'strategy = "config/backtest.toml"\ncheck_interval_seconds = 1\n[exchange]\nbase_url = "http://127.0.0.1:%s"\n' \
    "$sim" >"$WORK/bot.toml"
  chmod 644 "$WORK/bot.toml"
  local env=(--env "DATABASE_URL=$PG_URL/$PG_DB" --env LOG_FORMAT=json
             --env BINANCE_API_KEY="$SIM_KEY" --env BINANCE_API_SECRET=simsecret
             --volume "$WORK/bot.toml:/etc/binance-trader/bot.toml:ro")
  in_image_bg "$WORK/bot.log" "${env[@]}" -- \
    binance-trader run --config /etc/binance-trader/bot.toml --dashboard "127.0.0.1:$bot"
  wait_healthz "$(date +%s%N)" "http://127.0.0.1:$bot/healthz" "$WORK/bot.log" >/dev/null
  local orders=0
  for _ in $(seq 1 300); do
    orders="$(psql -tAq "$PG_URL/$PG_DB" -c 'SELECT count(*) FROM orders' 2>/dev/null || echo 0)"
    ((orders > 0)) && break
    sleep 0.2
  done
  ((orders > 0)) || { cat "$WORK/bot.log" >&2; fail "no order journalled in PostgreSQL"; }
  head -1 "$WORK/bot.log" | python3 -c 'import json,sys; json.loads(sys.stdin.readline())' \
    || fail "--log-format json (LOG_FORMAT=json) did not log JSON lines"
  local status
  status="$(in_image "${env[@]}" -- \
    binance-trader status --config /etc/binance-trader/bot.toml --json 2>"$WORK/status.log")" \
    || { cat "$WORK/status.log" >&2; fail "status failed in the image"; }
  python3 -c 'import json,sys; v=json.load(sys.stdin); assert v["database"]=="postgres" and v["open_orders"], v' \
    <<<"$status" || { printf '%s\n' "$status" >&2; cat "$WORK/status.log" >&2;
                      fail "status in the image did not read the bot's orders from PostgreSQL"; }
  local receipt; receipt="$(in_image "${env[@]}" -- \
    binance-trader close-all --config /etc/binance-trader/bot.toml)" || fail "close-all failed: $receipt"
  grep -q 'closed 1 basket' <<<"$receipt" || fail "close-all's receipt: $receipt"
  step "journalled $orders order(s) in PostgreSQL; close-all through the running bot: $receipt"
}

# docker-compose.yml against the compose schema (docker-compose's own validator, offline),
# with .env.example's variables and a placeholder for the password it leaves empty (the keys
# are compose secrets: files in secrets/, which config does not read).
check_compose() {
  step "docker-compose.yml: compose schema (docker-compose config)"
  POSTGRES_PASSWORD=placeholder \
    docker-compose --env-file .env.example -f docker-compose.yml config -q \
    || fail "docker-compose.yml does not validate"
}

need_tools
check_compose
base_images
[[ "${1:-}" == "--bases-only" ]] && exit 0
build_image
SIM_KEY="simkey$(printf '0%.0s' $(seq 1 58))"
WORK="$(mktemp -d)"
chmod 755 "$WORK"
RUN_OPTS=()
# Some sandboxes refuse raising rlimits: pass ones that fit under any default.
in_image -- true 2>/dev/null \
  || RUN_OPTS=(--ulimit nofile=1024:1024 --ulimit nproc=1024:1024)
check_image_config
check_backtest
check_paper
check_postgres
SIZE="$(podman image inspect --format '{{.Size}}' "$IMAGE")"
printf 'container-check: runtime image %s: %s MB; start to /healthz answering: %s ms\n' \
  "$IMAGE" "$((SIZE / 1000000))" "$HEALTHZ_MS"
echo "container-check: passed"
