# syntax=docker/dockerfile:1
# Multi-stage build of reminder-backend: dependencies compile in their own cached layer, the
# runtime image is Debian slim with the one binary, run as a non-root user.

FROM rust:1.95-bookworm AS build
WORKDIR /src
# 1. Dependencies only: the manifests with stand-in sources, so this layer is reused until
#    Cargo.toml or Cargo.lock change.
COPY Cargo.toml Cargo.lock ./
COPY .cargo ./.cargo
RUN mkdir -p src benches \
    && echo 'fn main() {}' > src/main.rs \
    && touch src/lib.rs \
    && for bench in engine console api; do echo 'fn main() {}' > benches/$bench.rs; done \
    && cargo build --release --locked \
    && rm -rf src benches
# 2. The application.
COPY src ./src
COPY benches ./benches
RUN touch src/main.rs src/lib.rs \
    && cargo build --release --locked --bin reminder-backend

FROM debian:bookworm-slim AS runtime
# ca-certificates for TLS to providers' roots is not needed (webpki roots are compiled in) but
# kept for operators' tools; curl serves the health check.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --create-home --home-dir /app app
WORKDIR /app
COPY --from=build /src/target/release/reminder-backend /usr/local/bin/reminder-backend
COPY env/.env.example /app/env/.env.example
USER app
ENV ENV=production \
    HOST=0.0.0.0 \
    PORT=8000 \
    LOG_FORMAT=json
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --retries=3 \
    CMD curl -fsS http://127.0.0.1:8000/health || exit 1
ENTRYPOINT ["reminder-backend"]
# `serve` (API and scheduler), `serve --no-scheduler` (API nodes), `worker`, `migrate`,
# `check-config`, `rotate-keys`.
CMD ["serve"]
