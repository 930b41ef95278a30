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
# Each project module on the cached class path (and the module itself) is compared with its own
# jar, or with the class path file when that is newer: Maven leaves an unchanged jar alone, and
# the launcher touches the class path file after each build it runs.
_launch_stale() {
  local root=$1 module=$2 jar cpfile entry mod ref entries
  cpfile="$root/$module/target/runtime.classpath"
  if ! jar=$(_launch_jar "$root" "$module") || [ ! -f "$cpfile" ]; then
    echo "first run"; return
  fi
  # a pom newer than the class path file may have changed the dependencies: the cached class path
  # would then miss a jar even though every module's jar is up to date
  if [ -n "$(find "$root/pom.xml" "$root"/*/pom.xml -newer "$cpfile" -print -quit 2>/dev/null)" ]; then
    echo "dependencies may have changed"; return
  fi
  IFS=: read -r -a entries < "$cpfile" || true
  entries+=("$jar")
  for entry in "${entries[@]}"; do
    [ -z "$entry" ] && continue
    [ -e "$entry" ] || { echo "class path changed"; return; }
    case "$entry" in
      "$root"/*/target/*)
        mod=${entry#"$root"/}; mod=${mod%%/*}
        ref=$entry
        [ "$cpfile" -nt "$ref" ] && ref=$cpfile
        if [ -n "$(find "$root/$mod/src/main" "$root/$mod/pom.xml" -newer "$ref" -print -quit 2>/dev/null)" ]; then
          echo "sources changed"; return
        fi ;;
    esac
  done
  ref=$jar
  [ "$cpfile" -nt "$ref" ] && ref=$cpfile
  [ "$root/pom.xml" -nt "$ref" ] && echo "sources changed"
  return 0
}

ensure_built() {
  local root=$1 module=$2 why log lock status
  why=$(_launch_stale "$root" "$module")
  if [ -n "$why" ]; then
    lock="${TMPDIR:-/tmp}/jvirt-build-$(printf '%s' "$root" | cksum | cut -d' ' -f1).lock"
    exec 9>"$lock"
    if command -v flock >/dev/null && ! flock -w 900 9; then
      echo "$(basename "$0"): another build has held $lock for 15 minutes; giving up" >&2
      exit 1
    fi
    why=$(_launch_stale "$root" "$module")   # another run may have built it meanwhile
    if [ -n "$why" ]; then
      echo "$(basename "$0"): building ($why)..." >&2
      log=$(mktemp)
      status=0
      (cd "$root" && \
        ./mvnw -q -B -ntp -pl "$module" -am package -DskipTests \
        dependency:build-classpath -DincludeScope=runtime -Dmdep.regenerateFile=true -Dmdep.outputFile=target/runtime.classpath \
        >"$log" 2>&1) || status=$?
      if [ "$status" -ne 0 ]; then
        cat "$log" >&2
        rm -f "$log"
        echo "$(basename "$0"): build failed (see above)" >&2
        exit 1
      fi
      rm -f "$log"
      touch "$root/$module/target/runtime.classpath"
    fi
    exec 9>&-
  fi
  LAUNCH_CP="$(_launch_jar "$root" "$module"):$(cat "$root/$module/target/runtime.classpath")"
}

# Like find_jdk25 (scripts/lib/java.sh) but reads the JDKs' `release` files instead of starting
# java, to keep launch scripts fast; falls back to find_jdk25.
find_jdk25_fast() {
  local c v
  for c in ${JAVA_HOME:+"$JAVA_HOME"} /usr/lib/jvm/*; do
    [ -x "$c/bin/javac" ] && [ -f "$c/release" ] || continue
    v=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$c/release")
    if [ -n "$v" ] && [ "$v" -ge 25 ] 2>/dev/null; then
      export JAVA_HOME="$c"
      return 0
    fi
  done
  find_jdk25
}
