#!/usr/bin/env bash
# gradmagic developer entry point. Works on a fresh checkout (no .venv, no node_modules).
#
#   ./dev.sh setup          create/refresh .venv, build the labextension, install editable
#   ./dev.sh test [ARGS]    setup, then the pytest suite (ARGS go to pytest); without
#                           ARGS also the browser tests (GRADMAGIC_UI=0 skips them)
#   ./dev.sh ui [ARGS]      setup, then only the browser tests (ARGS go to playwright test)
#   ./dev.sh demo           setup, then `python -m gradmagic check examples/argmax_loss.py`
#   ./dev.sh lab            setup, then JupyterLab on the tutorials in binder/
#
# Needs: python3.11 (or PYTHON=/path/to/python3.11), node >= 20.19 and network access to PyPI and npm;
# the browser tests also need /usr/bin/chromium (installed with apt-get when missing).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"
ROOT=$PWD
VENV=$ROOT/.venv
PY=$VENV/bin/python
# jlpm and jupyter-builder come from the venv; the pip build hook calls `jlpm`.
export PATH="$VENV/bin:$PATH"

SECONDS=0
log() { printf '==> [%3ss] %s\n' "$SECONDS" "$*" >&2; }
die() { printf 'dev.sh: error: %s\n' "$*" >&2; exit 1; }

find_python() {
    local candidate
    for candidate in "${PYTHON:-}" python3.11 python3; do
        [ -n "$candidate" ] || continue
        command -v "$candidate" >/dev/null 2>&1 || continue
        if "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] < (3, 11))' 2>/dev/null; then
            command -v "$candidate"
            return 0
        fi
    done
    return 1
}

ensure_venv() {
    if [ -x "$PY" ] && "$PY" -c 'import sys; sys.exit(sys.version_info[:2] < (3, 11))' 2>/dev/null; then
        return 0
    fi
    local base
    base=$(find_python) || die "python >= 3.11 not found (set PYTHON=/path/to/python3.11)"
    log "creating .venv with $base ($("$base" --version 2>&1))"
    rm -rf "$VENV"
    "$base" -m venv "$VENV"
}

check_node() {
    command -v node >/dev/null 2>&1 || die "node not found: the labextension build needs Node.js >= 20.19"
    node -e 'const [a, b] = process.versions.node.split(".").map(Number);
             process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)' ||
        die "node $(node --version) is too old: the labextension build (rspack) needs >= 20.19"
}

clean_build_output() {
    # skip-if-exists in pyproject.toml would otherwise ship stale JS, and a stale
    # tsconfig.tsbuildinfo makes tsc skip emitting into an emptied lib/.
    rm -rf gradmagic/_labextension labextension/lib labextension/tsconfig.tsbuildinfo gradmagic/views/static/panel.bundle.mjs
    # A symlink left by a manual `jupyter labextension develop` would make pip
    # write the installed copy into the source tree; pip installs a real copy.
    local link="$VENV/share/jupyter/labextensions/gradmagic"
    if [ -L "$link" ]; then rm -f "$link"; fi
}

check_labextension() {
    local listing
    listing=$("$VENV/bin/jupyter" labextension list 2>&1) || die "jupyter labextension list failed:
$listing"
    # The listing colours `enabled`/`OK` with ANSI escapes: strip them first.
    listing=$(printf '%s\n' "$listing" | sed 's/\x1b\[[0-9;]*m//g')
    if ! printf '%s\n' "$listing" | grep -Eq '^[[:space:]]*gradmagic v[^ ]+ enabled[[:space:]]+OK'; then
        die "gradmagic is not listed as 'enabled OK' by jupyter labextension list:
$listing"
    fi
    log "labextension: $(printf '%s\n' "$listing" | grep -E '^[[:space:]]*gradmagic ' | sed 's/^[[:space:]]*//')"
}

setup() {
    log "setup: python environment"
    ensure_venv
    "$PY" -m pip install --quiet --quiet --upgrade pip
    check_node
    log "setup: cleaning stale build output"
    clean_build_output
    # The hatch jupyter-builder hook runs `jlpm install` + `jlpm build` here; the
    # editable wheel also installs the built labextension (shared-data) into
    # .venv/share/jupyter/labextensions/gradmagic, so no `labextension develop`
    # is needed. Run `jupyter labextension develop --overwrite .` yourself if
    # you want `jlpm watch` rebuilds to show up without reinstalling.
    log "setup: pip install -e '.[test]' (builds the labextension)"
    "$PY" -m pip install --quiet --quiet -e ".[test]"
    [ -f gradmagic/_labextension/package.json ] || die "labextension build produced nothing"
    check_labextension
    log "setup: done"
}

run_tests() {
    export TF_CPP_MIN_LOG_LEVEL=2 PYTHONHASHSEED=0
    log "test: pytest"
    local rc=0
    "$PY" -m pytest -n 2 -q "$@" || rc=$?
    if [ "$rc" -eq 5 ]; then
        printf 'dev.sh: pytest collected no tests: that counts as a failure\n' >&2
    fi

    # --- hook: browser tests --------------------------------------------------
    # Galata (Playwright) specs under tests/ui; not a pytest suite (pyproject.toml
    # keeps pytest out of tests/ui). They run with the full suite (no pytest ARGS)
    # once pytest passed; GRADMAGIC_UI=1 forces them, GRADMAGIC_UI=0 skips them.
    local ui=${GRADMAGIC_UI:-}
    if [ -z "$ui" ]; then
        if [ $# -eq 0 ]; then ui=1; else ui=0; fi
    fi
    if [ "$ui" = 1 ] && [ "$rc" -eq 0 ]; then
        run_browser_tests || rc=$?
    fi
    # --------------------------------------------------------------------------

    log "test: exit code $rc"
    return "$rc"
}

ensure_chromium() {
    [ -x /usr/bin/chromium ] && return 0
    # Playwright cannot download its own browsers here: use Debian's Chromium.
    command -v apt-get >/dev/null 2>&1 || die "/usr/bin/chromium is missing and apt-get is not available to install it"
    local sudo=()
    if [ "$(id -u)" -ne 0 ]; then sudo=(sudo); fi
    log "ui: installing Debian chromium (apt-get)"
    "${sudo[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq chromium >/dev/null
    [ -x /usr/bin/chromium ] || die "apt-get install chromium did not provide /usr/bin/chromium"
}

run_browser_tests() {
    ensure_chromium
    log "ui: $(/usr/bin/chromium --version 2>/dev/null | head -1)"
    export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
    log "ui: jlpm install (tests/ui)"
    (cd tests/ui && jlpm install --immutable >/dev/null) || die "jlpm install in tests/ui failed (yarn.lock out of date?)"
    log "ui: playwright test $*"
    (cd tests/ui && jlpm playwright test "$@")
}

usage() {
    sed -n '2,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

cmd=${1:-}
[ $# -eq 0 ] || shift
case "$cmd" in
    setup)
        setup
        ;;
    test)
        setup
        run_tests "$@"
        ;;
    ui)
        setup
        run_browser_tests "$@"
        ;;
    demo)
        setup
        log "demo: python -m gradmagic check examples/argmax_loss.py"
        exec "$PY" -m gradmagic check examples/argmax_loss.py
        ;;
    lab)
        setup
        dir=binder
        if [ ! -d "$dir" ]; then
            log "lab: binder/ does not exist yet; opening the repository root"
            dir=.
        fi
        extra=()
        if [ "$(id -u)" -eq 0 ]; then extra+=(--allow-root); fi
        exec "$VENV/bin/jupyter" lab "${extra[@]}" "$@" "$dir"
        ;;
    -h | --help | help)
        usage
        ;;
    *)
        usage >&2
        exit 2
        ;;
esac
