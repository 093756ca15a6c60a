#!/usr/bin/env bash
# Installs the tools the end-to-end tests drive, where they are missing:
#   chromium          renders the HTML report headless (tests/test_report.py)
#   rsync, git        gitlab-ci-local copies the checkout with them
#   gitlab-ci-local   runs .gitlab-ci.yml the way a runner would (tests/test_ci.py)
# Tests skip with a reason when a tool is absent, so a machine without root
# still runs the rest. Safe to run again: it installs nothing that is there.
#
# In CI the Dockerfile's `ci` image has them all and this does nothing. On a
# plain image, CI_TOOLS_CACHE (a cached folder) keeps the downloaded .debs and
# gitlab-ci-local (under $CI_TOOLS_CACHE/npm/bin: put it on PATH), so a pipeline
# downloads nothing twice.
set -euo pipefail

GITLAB_CI_LOCAL_VERSION="${GITLAB_CI_LOCAL_VERSION:-4.73.0}"  # newer releases crash on Node 20

CACHE="${CI_TOOLS_CACHE:-}"
if [ -n "$CACHE" ]; then
  mkdir -p "$CACHE/apt/partial" "$CACHE/npm"
  export PATH="$CACHE/npm/bin:$PATH"
fi

need_apt=()
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || need_apt+=(chromium)
command -v rsync >/dev/null 2>&1 || need_apt+=(rsync)
command -v git >/dev/null 2>&1 || need_apt+=(git)
command -v npm >/dev/null 2>&1 || need_apt+=(npm)

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else echo "ci-tools: need root to run: $*" >&2; return 1
  fi
}

if [ "${#need_apt[@]}" -gt 0 ]; then
  if command -v apt-get >/dev/null 2>&1; then
    echo "ci-tools: installing ${need_apt[*]}"
    apt_cache=()
    if [ -n "$CACHE" ]; then apt_cache=(-o "Dir::Cache::Archives=$CACHE/apt"); fi
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      "${apt_cache[@]}" "${need_apt[@]}" >/dev/null
  else
    echo "ci-tools: no apt-get; install ${need_apt[*]} yourself (the tests that need them skip)" >&2
  fi
fi

if ! command -v gitlab-ci-local >/dev/null 2>&1; then
  if command -v npm >/dev/null 2>&1; then
    echo "ci-tools: installing gitlab-ci-local@${GITLAB_CI_LOCAL_VERSION}"
    if [ -n "$CACHE" ]; then
      npm install -g --prefix "$CACHE/npm" --no-audit --no-fund \
        "gitlab-ci-local@${GITLAB_CI_LOCAL_VERSION}" >/dev/null
    else
      as_root npm install -g --no-audit --no-fund "gitlab-ci-local@${GITLAB_CI_LOCAL_VERSION}" >/dev/null
    fi
  else
    echo "ci-tools: no npm; gitlab-ci-local not installed (tests/test_ci.py skips that test)" >&2
  fi
fi

for tool in chromium rsync gitlab-ci-local; do
  if command -v "$tool" >/dev/null 2>&1; then
    echo "ci-tools: $tool: $(command -v "$tool")"
  else
    echo "ci-tools: $tool: missing" >&2
  fi
done
