#!/usr/bin/env bash
# Smoke test of a built executable: copied alone into an empty folder and started from there with a
# fresh data folder and no config. Prints one "ok N - ..." / "not ok N - ..." line per check and exits
# non-zero if any check failed. Usage: .ci/smoke.sh [path/to/mediagen] (default dist/mediagen).
set -uo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
source_binary=${1:-$repo/dist/mediagen}
work=$(mktemp -d "${TMPDIR:-/tmp}/mediagen-smoke.XXXXXX")
run_dir=$work/run
data_dir=$work/data
out_dir=$work/out
log=$work/daemon.log
pid=""
count=0
bad=0

cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# check <description> <command...>: runs the command and records ok / not ok.
check() {
  local description=$1
  shift
  count=$((count + 1))
  if "$@"; then
    echo "ok $count - $description"
  else
    echo "not ok $count - $description"
    bad=$((bad + 1))
  fi
}

finish() {
  if [ "$bad" -gt 0 ]; then
    echo "# daemon log:"
    sed 's/^/#   /' "$log" 2>/dev/null
  fi
  echo "# smoke: $((count - bad)) of $count checks passed"
  [ "$bad" -eq 0 ]
  exit $?
}

mkdir -p "$run_dir" "$out_dir"
if ! cp "$source_binary" "$run_dir/mediagen" 2>/dev/null; then
  check "executable exists at $source_binary" false
  finish
fi
chmod 755 "$run_dir/mediagen"
cd "$run_dir" || exit 1

# A minimal environment: no node_modules on PATH, HOME in the temp folder, no proxies.
clean_path=$(printf '%s' "$PATH" | tr ':' '\n' | grep -v node_modules | paste -sd: -)
daemon_env=(env -i "PATH=$clean_path" "HOME=$work" "LANG=C.UTF-8" "TMPDIR=${TMPDIR:-/tmp}")

expected_version=$(sed -n 's/^  "version": "\(.*\)",$/\1/p' "$repo/package.json" | head -1)
version_output=$(timeout 30 "${daemon_env[@]}" ./mediagen --version 2>&1)
check "--version prints \"mediagen $expected_version\" (got \"$version_output\")" [ "$version_output" = "mediagen $expected_version" ]

# --port 0 picks a free port; the "listening on" log line says which.
"${daemon_env[@]}" ./mediagen serve --host 127.0.0.1 --port 0 --data-dir "$data_dir" >"$log" 2>&1 &
pid=$!

url=""
for _ in $(seq 1 300); do
  url=$(sed -n 's/.* listening on \(http:\/\/127\.0\.0\.1:[0-9]*\).*/\1/p' "$log" | head -1)
  [ -n "$url" ] && curl -s -f -o /dev/null --max-time 2 "$url/api/health" && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
health=$(curl -s --max-time 10 "$url/api/health" 2>/dev/null)
check "GET /api/health answers ok (at ${url:-no url in the log})" grep -q '"ok":true' <<<"$health"
if [ -z "$url" ]; then
  finish
fi

check "config.yml was created with mode 0600" [ "$(stat -c %a "$data_dir/config.yml" 2>/dev/null)" = "600" ]

types=$(curl -s --max-time 10 "$url/api/media/types")
check "GET /api/media/types: audio served offline by the local provider" \
  grep -q '"audio":{"configured":true,"model":"flite","provider":"local"' <<<"$types"
check "GET /api/media/types: image not configured" grep -q '"image":{"configured":false}' <<<"$types"

speech=$(curl -s --max-time 60 -X POST "$url/api/media/audio/speech" \
  -H "Content-Type: application/json" \
  -d '{"input": "Hello from the mediagen smoke test.", "voice": "Kore", "output_dir": "'"$out_dir"'"}')
check "POST /api/media/audio/speech succeeds offline" grep -q '"success":true' <<<"$speech"
wav=$(sed -n 's/.*"audio":"\([^"]*\)".*/\1/p' <<<"$speech")
wav_ok() {
  [ -f "$wav" ] || return 1
  case "$wav" in "$out_dir"/assets/generated/tts_*.wav) ;; *) return 1 ;; esac
  # Canonical 44-byte header: RIFF....WAVE, PCM (1), mono (1), 24000 Hz (0x5dc0), 16-bit.
  [ "$(head -c 4 "$wav")" = "RIFF" ] || return 1
  [ "$(od -An -tx1 -j8 -N4 "$wav" | tr -d ' \n')" = "57415645" ] || return 1
  [ "$(od -An -tx1 -j20 -N8 "$wav" | tr -d ' \n')" = "01000100c05d0000" ] || return 1
  [ "$(od -An -tx1 -j34 -N2 "$wav" | tr -d ' \n')" = "1000" ] || return 1
  [ "$(stat -c %s "$wav")" -gt 24000 ]
}
check "the speech is a 24 kHz mono 16-bit WAV under <output_dir>/assets/generated/" wav_ok

kill -TERM "$pid"
stopped=""
for _ in $(seq 1 150); do
  if ! kill -0 "$pid" 2>/dev/null; then
    stopped=yes
    break
  fi
  sleep 0.1
done
code=1
outcome="no exit within 15 s"
if [ -n "$stopped" ]; then
  wait "$pid"
  code=$?
  pid=""
  outcome="exit $code"
fi
check "SIGTERM stops the daemon with exit code 0 (got $outcome)" [ -n "$stopped" -a "$code" -eq 0 ]
check "the log says it stopped" grep -q "INFO stopped" "$log"
check "nothing was written into the folder the executable runs from" [ "$(ls -A "$run_dir")" = "mediagen" ]

finish
