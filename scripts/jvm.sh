# Sourced by the run and benchmark scripts: how CarePath's JVM is started.
#
# carepath_java_command JAR [JVM OPTIONS...] sets the array CAREPATH_JAVA to the command that
# runs JAR the fast way (docs/performance.md, "Start-up"):
#  - the jar extracted with Spring Boot's tools mode into target/launch/, so that classes load
#    from plain jars instead of jars nested in the fat jar (a third of start-up went there);
#  - an application class-data-sharing archive, made once per build by a training run that stops
#    after the Spring context is up (-Dspring.context.exit=onRefresh). The training run migrates
#    and reads the database that SPRING_DATASOURCE_* name, as the server itself would.
# The JVM options themselves are in scripts/jvm.options (CAREPATH_JVM_OPTIONS below names them),
# and glibc keeps at most two malloc arenas (MALLOC_ARENA_MAX): with one per thread, native
# memory grew by tens of MB for nothing (docs/performance.md, "Start-up and memory").
CAREPATH_JVM_OPTIONS=@scripts/jvm.options
export MALLOC_ARENA_MAX=${MALLOC_ARENA_MAX:-2}
carepath_java_command() {
  local jar=$1 dir=target/launch name
  shift
  name=$(basename "$jar")
  if [ ! -f "$dir/$name" ] || [ "$jar" -nt "$dir/$name" ]; then
    rm -rf "$dir"
    java -Djarmode=tools -jar "$jar" extract --destination "$dir" >/dev/null
  fi
  if [ ! -f "$dir/carepath.jsa" ]; then
    echo "Preparing the class-data-sharing archive (once per build, about half a minute)..." >&2
    if ! SERVER_PORT=0 java "$@" -XX:ArchiveClassesAtExit="$dir/carepath.jsa" -Dspring.context.exit=onRefresh \
         -jar "$dir/$name" >"$dir/training.log" 2>&1; then
      echo "No class-data-sharing archive (see $dir/training.log): starting without it." >&2
      rm -f "$dir/carepath.jsa"
    fi
  fi
  CAREPATH_JAVA=(java "$@")
  if [ -f "$dir/carepath.jsa" ]; then
    CAREPATH_JAVA+=(-XX:SharedArchiveFile="$dir/carepath.jsa" -Xlog:cds=off -Xlog:cds+dynamic=off)
  fi
  CAREPATH_JAVA+=(-jar "$dir/$name")
}
