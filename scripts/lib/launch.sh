# Sourced by bin/jvirsh and scripts/bench: builds a module (and what it needs) when its jar is
# missing or older than any main source or pom, then caches the runtime class path in a file so
# later runs start java directly, without Maven.
#
#   ensure_built ROOT MODULE   -> sets LAUNCH_CP (the module's jar + its runtime class path)

_launch_jar() {
  local f
  for f in "$1/$2"/target/jvirt-"$2"-*.jar; do
    case "$f" in *-sources.jar|*-tests.jar|*-javadoc.jar) continue ;; esac
    [ -f "$f" ] && { printf '%s\n' "$f"; return 0; }
  done
  return 1
}

# Prints why a rebuild is needed ("first run", "sources changed"), or nothing when up to date.
_launch_stale() {
  local root=$1 module=$2 jar cpfile entry dirs=()
  cpfile="$root/$module/target/runtime.classpath"
  if ! jar=$(_launch_jar "$root" "$module") || [ ! -f "$cpfile" ]; then
    echo "first run"; return
  fi
  IFS=: read -r -a entries < "$cpfile" || true
  for entry in "${entries[@]}"; do
    [ -n "$entry" ] && [ ! -e "$entry" ] && { echo "class path changed"; return; }
  done
  for d in "$root"/*/; do
    [ -f "$d/pom.xml" ] && [ -d "$d/src/main" ] && dirs+=("$d/src/main" "$d/pom.xml")
  done
  if [ -n "$(find "$root/pom.xml" "${dirs[@]}" -newer "$jar" -print -quit 2>/dev/null)" ]; then
    echo "sources changed"
  fi
}

ensure_built() {
  local root=$1 module=$2 why log lock status
  why=$(_launch_stale "$root" "$module")
  if [ -n "$why" ]; then
    lock="${TMPDIR:-/tmp}/jvirt-build-$(printf '%s' "$root" | cksum | cut -d' ' -f1).lock"
    exec 9>"$lock"
    command -v flock >/dev/null && flock -w 900 9
    why=$(_launch_stale "$root" "$module")   # another run may have built it meanwhile
    if [ -n "$why" ]; then
      echo "$(basename "$0"): building ($why)..." >&2
      log=$(mktemp)
      status=0
      (cd "$root" && \
        ./mvnw -q -B -ntp -pl "$module" -am package -DskipTests \
        dependency:build-classpath -DincludeScope=runtime -Dmdep.outputFile=target/runtime.classpath \
        >"$log" 2>&1) || status=$?
      if [ "$status" -ne 0 ]; then
        cat "$log" >&2
        rm -f "$log"
        echo "$(basename "$0"): build failed (see above)" >&2
        exit 1
      fi
      rm -f "$log"
    fi
    exec 9>&-
  fi
  LAUNCH_CP="$(_launch_jar "$root" "$module"):$(cat "$root/$module/target/runtime.classpath")"
}
