# syntax=docker/dockerfile:1
# CarePath server image: Spring Boot layered jar on a JRE, non-root.
#   docker build -t carepath/carepath:0.1.0 .
# The same image serves the FHIR API and, with CAREPATH_MIGRATE_ONLY=true, runs the Flyway
# migrations and exits (the Helm chart's hook Job).

# --- build: compile and package the Spring Boot jar ---
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /build
# .dockerignore lets through only pom.xml, src/, db/ (migrations) and fhir-profiles/ (content).
COPY . ./
RUN --mount=type=cache,target=/root/.m2 \
    mvn -B -DskipTests package \
 && cp target/carepath-*.jar app.jar
# Split the jar into layers that change at different rates; --launcher keeps Boot's loader so
# the image starts with JarLauncher. An empty layer still gets its directory, for COPY below.
RUN java -Djarmode=tools -jar app.jar extract --layers --launcher --destination extracted \
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
# Least to most frequently changed, so that a code change rebuilds only the last layer.
# Files stay owned by root: the server cannot modify its own code.
COPY --from=build /build/extracted/dependencies/ ./
COPY --from=build /build/extracted/spring-boot-loader/ ./
COPY --from=build /build/extracted/snapshot-dependencies/ ./
COPY --from=build /build/extracted/application/ ./
USER 10001:10001
# Heap from the container's memory limit; exit (and be restarted) rather than limp on after OOM.
ENV JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=75 -XX:+ExitOnOutOfMemoryError" \
    SERVER_PORT=8080
EXPOSE 8080
ENTRYPOINT ["java", "org.springframework.boot.loader.launch.JarLauncher"]
