# Sourced by the project's scripts: finds a JDK 25 and exports JAVA_HOME.
find_jdk25() {
  local candidates=()
  [ -n "${JAVA_HOME:-}" ] && candidates+=("$JAVA_HOME")
  for d in /usr/lib/jvm/*; do candidates+=("$d"); done
  local c v
  for c in "${candidates[@]}"; do
    [ -x "$c/bin/javac" ] || continue
    v=$("$c/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
    if [ -n "$v" ] && [ "$v" -ge 25 ] 2>/dev/null; then
      export JAVA_HOME="$c"
      return 0
    fi
  done
  echo "error: jvirt needs a JDK 25 or newer; none found in JAVA_HOME or /usr/lib/jvm." >&2
  echo "       Install one (e.g. Temurin 25, or Debian's openjdk-25-jdk) and set JAVA_HOME." >&2
  return 1
}
