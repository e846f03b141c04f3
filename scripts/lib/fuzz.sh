# shellcheck shell=bash
# libFuzzer helpers for scripts/fuzz and scripts/test. Source it after common.sh; do not run it.
#
#   fuzz_targets                      the target names (csv query json token)
#   fuzz_build LOGFILE                configure and build build-fuzz/ with clang-14 (BDHVS_FUZZ=ON)
#   fuzz_run TARGET SECONDS LOGFILE   fuzz one target for SECONDS; 0 when nothing was found,
#                                     else 1 with the reproducer's path printed
#
# Each target starts from its committed seeds (tests/fuzz/corpus/TARGET, never written to) and
# from what earlier runs found (var/fuzz/TARGET/corpus); a crash, leak, timeout or out-of-memory
# input is saved under var/fuzz/TARGET/ and named on stderr.

FUZZ_BUILD_DIR="$BDHVS_ROOT/build-fuzz"
FUZZ_CC="${BDHVS_FUZZ_CC:-clang-14}"

fuzz_targets() { printf '%s\n' csv query json token; }

# Input size cap per target (bytes).
fuzz_max_len() {
  case "$1" in
    csv | json) echo 16384 ;;
    token) echo 8192 ;;
    *) echo 4096 ;;
  esac
}

fuzz_build() {
  local logf=$1
  command -v "$FUZZ_CC" >/dev/null 2>&1 || {
    echo "$FUZZ_CC not found (install clang-14 and libclang-rt-14-dev)" >"$logf"
    return 1
  }
  {
    CC="$FUZZ_CC" cmake -S "$BDHVS_ROOT" -B "$FUZZ_BUILD_DIR" -DCMAKE_BUILD_TYPE=Debug \
      -DBDHVS_FUZZ=ON -DBDHVS_TESTS=OFF &&
      cmake --build "$FUZZ_BUILD_DIR" -j2 --target fuzz
  } >"$logf" 2>&1
}

# The reproducers libFuzzer saved in DIR, sorted.
fuzz_artifacts() {
  find "$1" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' \
    -o -name 'oom-*' \) | sort
}

fuzz_run() {
  local target=$1 secs=$2 logf=$3
  local bin="$FUZZ_BUILD_DIR/tests/fuzz/fuzz_$target"
  local seeds="$BDHVS_ROOT/tests/fuzz/corpus/$target" dict="$BDHVS_ROOT/tests/fuzz/$target.dict"
  local out="$BDHVS_ROOT/var/fuzz/$target"
  local -a opts
  # libFuzzer reads -max_total_time=0 as "no limit".
  [[ "$secs" =~ ^[1-9][0-9]*$ ]] || {
    printf 'fuzz seconds must be a positive whole number, not %s\n' "$secs" >&2
    return 1
  }
  [[ -x "$bin" ]] || {
    printf 'no fuzz target %s (build build-fuzz first)\n' "$bin" >&2
    return 1
  }
  mkdir -p "$out/corpus"
  opts=(-max_total_time="$secs" -timeout=10 -rss_limit_mb=1024 -malloc_limit_mb=512
    -max_len="$(fuzz_max_len "$target")" -print_final_stats=1 -artifact_prefix="$out/")
  [[ -f "$dict" ]] && opts+=(-dict="$dict")
  # Reproducers of earlier runs stay; only this run's count.
  local before
  before=$(fuzz_artifacts "$out")
  local rc=0
  ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:quarantine_size_mb=64" UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
    timeout -k 10 $((secs + 120)) "$bin" "${opts[@]}" "$out/corpus" "$seeds" >"$logf" 2>&1 || rc=$?
  local found
  # libFuzzer names the file it wrote; the same input found again keeps its old name.
  found=$(sed -n 's/^Test unit written to //p' "$logf" | head -n 1)
  [[ -n "$found" ]] ||
    found=$(comm -13 <(printf '%s\n' "$before") <(fuzz_artifacts "$out") | sed '/^$/d' | head -n 1)
  if ((rc != 0)) || [[ -n "$found" ]]; then
    grep -E -A 30 'ERROR: |FUZZ INVARIANT|runtime error:|SUMMARY:' "$logf" | head -n 60 >&2 || true
    if [[ -n "$found" ]]; then
      printf 'fuzz_%s: reproducer saved as %s\n  replay: %s %s\n' "$target" "${found#"$BDHVS_ROOT"/}" \
        "${bin#"$BDHVS_ROOT"/}" "${found#"$BDHVS_ROOT"/}" >&2
    else
      printf 'fuzz_%s exited with status %d (see %s)\n' "$target" "$rc" "$logf" >&2
    fi
    return 1
  fi
  return 0
}
