# Sourced by the project's scripts: installs the Debian packages jvirt's build and tests use.
# Each line of scripts/packages.txt is "COMMAND-OR-PATH PACKAGE": the package is needed when the
# command (or path) is missing.
ensure_packages() {
  local list="$1" missing=() cmd pkg
  while read -r cmd pkg; do
    case "$cmd" in ''|'#'*) continue ;; esac
    if [ "${cmd#/}" != "$cmd" ]; then
      [ -e "$cmd" ] || missing+=("$pkg")
    else
      command -v "$cmd" >/dev/null 2>&1 || missing+=("$pkg")
    fi
  done < "$list"
  [ ${#missing[@]} -eq 0 ] && return 0
  # shellcheck disable=SC2207
  missing=($(printf '%s\n' "${missing[@]}" | sort -u))
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || {
      echo "error: could not install ${missing[*]} with apt-get" >&2; return 1; }
  else
    echo "error: missing system packages: ${missing[*]}" >&2
    echo "       install them (Debian: apt-get install ${missing[*]}) and run again." >&2
    return 1
  fi
}
