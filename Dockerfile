# binance-trader in a container: one static-ish binary plus its bundled data and configs.
# Build:  docker build -t binance-trader .
# Paper:  docker run --rm -p 127.0.0.1:8080:8080 -e DASHBOARD_PASSWORD_HASH='<hash>' \
#           binance-trader paper --dashboard 0.0.0.0:8080
#         (inside a container the dashboard must bind 0.0.0.0, which needs a password:
#          `binance-trader hash-password` prints the hash)
# (No Docker engine runs on the development machine: this file is not exercised by CI.)
FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src src
COPY benches benches
COPY tests tests
COPY templates templates
COPY migrations migrations
COPY assets assets
RUN cargo build --release --locked --bin binance-trader

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* && useradd --create-home --uid 10001 trader
WORKDIR /app
COPY --from=build /src/target/release/binance-trader /usr/local/bin/binance-trader
COPY config config
COPY data/klines data/klines
COPY data/exchange_info.json data/exchange_info.json
RUN mkdir -p data/cache && chown -R trader:trader /app
USER trader
ENTRYPOINT ["binance-trader"]
CMD ["paper"]
