# syntax=docker/dockerfile:1
# CarePath server image: the extracted Spring Boot jar with a class-data-sharing archive, on a
# JRE, non-root (started as scripts/run starts it: scripts/jvm.sh, scripts/jvm.options).
#   docker build -t carepath/carepath:0.1.0 .
# The same image serves the FHIR API and, with CAREPATH_MIGRATE_ONLY=true, runs the Flyway
# migrations and exits (the Helm chart's hook Job).

# --- build: compile and package the Spring Boot jar ---
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /build
# .dockerignore lets through only pom.xml, src/, db/ (migrations), fhir-profiles/ (content) and
# scripts/jvm.options.
COPY . ./
RUN --mount=type=cache,target=/root/.m2 \
    mvn -B -DskipTests package \
 && cp target/carepath-*.jar carepath.jar
# Extract the jar as scripts/jvm.sh does (plain jars load faster than jars nested in the fat jar),
# split into layers that change at different rates. An empty layer still gets its directory.
RUN java -Djarmode=tools -jar carepath.jar extract --layers --destination extracted \
 && mkdir -p extracted/dependencies extracted/spring-boot-loader \
             extracted/snapshot-dependencies extracted/application

# --- runtime ---
FROM eclipse-temurin:17-jre
LABEL org.opencontainers.image.title="CarePath" \
      org.opencontainers.image.description="FHIR R4 server for surgical care pathways"
RUN groupadd --system --gid 10001 carepath \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
            --shell /usr/sbin/nologin carepath
WORKDIR /app
# Least to most frequently changed, so that a code change rebuilds only the last layers.
# Files stay owned by root: the server cannot modify its own code.
COPY --from=build /build/extracted/dependencies/ ./
COPY --from=build /build/extracted/spring-boot-loader/ ./
COPY --from=build /build/extracted/snapshot-dependencies/ ./
COPY --from=build /build/extracted/application/ ./
# The JVM options of scripts/run and bench/run (the one place they are set).
COPY --from=build /build/scripts/jvm.options ./jvm.options
# The application class-data-sharing archive, trained here as scripts/jvm.sh trains it: the context
# is built and the JVM exits (-Dspring.context.exit=onRefresh). No database is reachable at build
# time, and none is needed: server pods do not run Flyway (the chart's migration Job does), and the
# connection pool connects on first use, after the context is built. Made by this image's own JVM,
# against the jars at these paths, as the archive requires. Should it ever not match, the JVM starts
# without it (only slower).
RUN SPRING_FLYWAY_ENABLED=false SPRING_DATASOURCE_URL=jdbc:postgresql://127.0.0.1:1/none \
    CAREPATH_SECURITY_ENABLED=false SERVER_PORT=0 MALLOC_ARENA_MAX=2 \
    java @jvm.options -XX:ArchiveClassesAtExit=carepath.jsa -Dspring.context.exit=onRefresh \
         -jar carepath.jar >/tmp/training.log 2>&1 \
 || { tail -n 40 /tmp/training.log; exit 1; }; rm -f /tmp/training.log
USER 10001:10001
# Exit (and be restarted) rather than limp on after OOM. JAVA_OPTS (the chart's javaOptions) comes
# after jvm.options, so its flags win; MALLOC_ARENA_MAX as scripts/jvm.sh sets it.
ENV JAVA_TOOL_OPTIONS="-XX:+ExitOnOutOfMemoryError" \
    JAVA_OPTS="" \
    MALLOC_ARENA_MAX=2 \
    SERVER_PORT=8080
EXPOSE 8080
ENTRYPOINT ["/bin/sh", "-c", "exec java @/app/jvm.options -XX:SharedArchiveFile=/app/carepath.jsa -Xlog:cds=off -Xlog:cds+dynamic=off $JAVA_OPTS -jar /app/carepath.jar \"$@\"", "carepath"]
