# binance-trader in a container: the binary, its bundled candles, exchange rules and configs.
# Build:  docker build -t binance-trader .
# Paper:  docker run --rm binance-trader                  (dashboard on the container's loopback)
# Server: docker compose up -d   (PostgreSQL + the bot + a TLS proxy: docker-compose.yml, README)
# Secrets (BINANCE_API_KEY/SECRET, DASHBOARD_PASSWORD_HASH) come from the environment or a
# mounted key file at run time; the image holds none (.dockerignore keeps .env out).
# Checked on every CI run by scripts/container-check.sh (buildah, no Docker daemon needed).
FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src src
COPY benches benches
COPY tests tests
COPY templates templates
COPY migrations migrations
COPY assets assets
COPY locales locales
# Cache mounts keep downloaded crates and compiled dependencies between builds. This crate's
# own fingerprints are dropped: COPY may not keep file times, and a stale binary must not win.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    rm -rf target/release/.fingerprint/binance-trader-* \
    && cargo build --release --locked --bin binance-trader \
    && cp target/release/binance-trader /usr/local/bin/binance-trader

FROM debian:bookworm-slim
# No packages added: TLS roots are compiled in (rustls + webpki-roots).
RUN useradd --create-home --uid 10001 --user-group trader
WORKDIR /app
COPY --from=build /usr/local/bin/binance-trader /usr/local/bin/binance-trader
COPY config config
COPY data/klines data/klines
COPY data/exchange_info.json data/exchange_info.json
RUN mkdir -p data/cache reports && chown -R trader:trader /app
USER 10001:10001
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["binance-trader", "healthcheck", "--url", "http://127.0.0.1:8080/healthz"]
ENTRYPOINT ["binance-trader"]
CMD ["paper"]
