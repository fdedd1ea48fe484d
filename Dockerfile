# syntax=docker/dockerfile:1
# synack: a static binary on distroless, run as a numeric non-root user
# (65532, distroless' "nonroot"), so that Kubernetes' runAsNonRoot accepts it.
#   docker build -t synack \
#     --build-arg VERSION=$(git describe --always) --build-arg REVISION=$(git rev-parse HEAD) \
#     --build-arg CREATED=$(date -u +%Y-%m-%dT%H:%M:%SZ) .
#   docker run --rm -p 8080:8080 synack
#   docker run --rm -p 9000:9000 -e PORT=9000 -e SYNACK_PUBLIC_URL=https://synack.example.org synack
# Set the address with PORT or SYNACK_ADDR, not with -addr after the image
# name: the health check reads the same environment, not the command line.

FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# The same build as CI (.ci/build): CGO_ENABLED=0 go build ./cmd/server.
RUN sh .ci/build /synack

FROM gcr.io/distroless/static-debian12:nonroot
ARG VERSION=dev
ARG REVISION=unknown
ARG CREATED=unknown
LABEL org.opencontainers.image.title="synack" \
      org.opencontainers.image.description="Watch TCP open and close connections, one segment at a time" \
      org.opencontainers.image.licenses="Apache-2.0 AND CC-BY-SA-4.0" \
      org.opencontainers.image.source="https://github.com/synack/synack" \
      org.opencontainers.image.documentation="https://github.com/synack/synack#deploy" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}"
COPY --from=build /synack /synack
COPY --from=build /src/LICENSE /licenses/LICENSE
COPY --from=build /src/lessons/content/LICENSE /licenses/LICENSE.lessons
USER 65532:65532
EXPOSE 8080
# distroless has no shell and no curl: the binary checks itself, at the
# address it would listen on (PORT, SYNACK_ADDR or :8080).
HEALTHCHECK --interval=30s --timeout=5s --start-period=5s --retries=3 CMD ["/synack", "-healthcheck"]
ENTRYPOINT ["/synack"]
