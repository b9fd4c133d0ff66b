# shellcheck shell=bash
# The kernel lines README.md promises (Debian 12's 6.1, its PREEMPT_RT flavour,
# and 6.12), as releases; sourced by tools/bootstrap.sh and tools/e2e-matrix.sh
# so that both pick the same ones. No release number is written here: the 6.1
# release is tools/fetch-kernel's (the newest the apt sources offer), the rt
# one its flavour, the 6.12 one the newest installed or offered.

# The PREEMPT_RT flavour of a 6.1 release: 6.1.0-N-amd64 -> 6.1.0-N-rt-amd64.
kernel_line_rt() {
  echo "${1%-amd64}-rt-amd64"
}

# A Debian 12 6.12 release (6.12.N+deb12-amd64): the newest one whose headers
# are installed, else the newest the apt sources offer; fails, saying why and
# how to fix it, when there is none.
kernel_line_612() {
  local pattern='^linux-headers-6\.12\.[0-9]+\+deb12-amd64$' found
  found=$(dpkg-query -W -f='${Package} ${Status}\n' 'linux-headers-6.12.*+deb12-amd64' 2>/dev/null |
    awk '/install ok installed/ {print $1}' | grep -E "$pattern" | sort -V | tail -n1 || true)
  if [ -z "$found" ]; then
    found=$(apt-cache search --names-only "$pattern" 2>/dev/null | awk '{print $1}' | sort -V | tail -n1 || true)
  fi
  if [ -z "$found" ]; then
    echo "no linux-headers-6.12.*+deb12-amd64 in the configured apt sources (Debian 12 gets 6.12 from" \
      "bookworm-security); add them with:" >&2
    kernel_line_sources_fix >&2
    return 1
  fi
  echo "${found#linux-headers-}"
}

# The command that adds Debian 12's security archive (which carries the newest
# 6.1 and 6.12 kernels and their headers) to the apt sources.
kernel_line_sources_fix() {
  echo "    echo 'deb http://deb.debian.org/debian-security bookworm-security main' |" \
    "sudo tee /etc/apt/sources.list.d/bookworm-security.list && sudo apt-get update"
}
