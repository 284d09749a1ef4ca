# Builds the xchannel binary (the `dist` profile: release without debug info) and runs it on a
# slim Debian image. The build runs in stages so that Docker caches the dependencies:
# `planner` reduces the workspace to a recipe (manifests and lockfile only), `build` compiles
# the dependencies from that recipe in a layer of its own, then the service's own crates.
# An edit to the code reuses the dependency layer; only a change to a Cargo.toml or
# Cargo.lock compiles the dependencies again.
FROM rust:1.95-bookworm AS chef
RUN cargo install cargo-chef --locked --version 0.1.78
WORKDIR /src

FROM chef AS planner
COPY . .
RUN cargo chef prepare --recipe-path recipe.json

FROM chef AS build
COPY --from=planner /src/recipe.json recipe.json
RUN cargo chef cook --profile dist --locked -p xchannel --recipe-path recipe.json
COPY . .
RUN cargo build --profile dist --locked -p xchannel && cp target/dist/xchannel /usr/local/bin/xchannel

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl && rm -rf /var/lib/apt/lists/*
COPY --from=build /usr/local/bin/xchannel /usr/local/bin/xchannel
RUN useradd --system --home /var/lib/xchannel --create-home xchannel
USER xchannel
WORKDIR /var/lib/xchannel
ENV XCHANNEL_BIND=0.0.0.0:8080 XCHANNEL_LOG_FORMAT=json
EXPOSE 8080
ENTRYPOINT ["xchannel"]
CMD ["serve"]
