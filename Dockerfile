# syntax=docker/dockerfile:1
# synack: a static binary on distroless, run as a non-root user.
#   docker build -t synack .
#   docker run --rm -p 8080:8080 synack

FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# The same build as CI (.ci/build): CGO_ENABLED=0 go build ./cmd/server.
RUN sh .ci/build /synack

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /synack /synack
USER nonroot:nonroot
EXPOSE 8080
# distroless has no shell and no curl: the binary checks itself.
HEALTHCHECK --interval=30s --timeout=5s --start-period=5s --retries=3 CMD ["/synack", "-healthcheck"]
ENTRYPOINT ["/synack"]
CMD ["-addr", ":8080"]
