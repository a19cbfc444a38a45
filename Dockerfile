# The pushline image: one image, every role (choose with PUSHLINE_ROLE or `run --role`).
FROM eclipse-temurin:17-jdk AS build
WORKDIR /src
COPY . .
RUN ./mvnw -B -q -DskipTests package -pl app -am

FROM eclipse-temurin:17-jre
RUN useradd --system --uid 10001 pushline && mkdir -p /var/lib/pushline && chown pushline /var/lib/pushline
COPY --from=build /src/app/target/pushline.jar /opt/pushline/pushline.jar
COPY --from=build /src/app/target/lib /opt/pushline/lib
USER pushline
ENV PUSHLINE_STATE_DIR=/var/lib/pushline/state
# /metrics, /health/live, /health/ready (PUSHLINE_HTTP_ADDRESS, e.g. 0.0.0.0:9400 in compose)
EXPOSE 9400
ENTRYPOINT ["java", "-XX:MaxRAMPercentage=75", "-jar", "/opt/pushline/pushline.jar"]
CMD ["run"]
