#!/usr/bin/env bash
# Installs the tools the end-to-end tests drive, where they are missing:
#   chromium          renders the HTML report headless (tests/test_report.py)
#   rsync, git        gitlab-ci-local copies the checkout with them
#   gitlab-ci-local   runs .gitlab-ci.yml the way a runner would (tests/test_ci.py)
# Tests skip with a reason when a tool is absent, so a machine without root
# still runs the rest. Safe to run again: it installs nothing that is there.
set -euo pipefail

GITLAB_CI_LOCAL_VERSION="${GITLAB_CI_LOCAL_VERSION:-4.73.0}"  # newer releases crash on Node 20

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
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      "${need_apt[@]}" >/dev/null
  else
    echo "ci-tools: no apt-get; install ${need_apt[*]} yourself (the tests that need them skip)" >&2
  fi
fi

if ! command -v gitlab-ci-local >/dev/null 2>&1; then
  if command -v npm >/dev/null 2>&1; then
    echo "ci-tools: installing gitlab-ci-local@${GITLAB_CI_LOCAL_VERSION}"
    as_root npm install -g --no-audit --no-fund "gitlab-ci-local@${GITLAB_CI_LOCAL_VERSION}" >/dev/null
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
