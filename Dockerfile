# Builds the xchannel binary and runs it on a slim Debian image.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p xchannel && cp target/release/xchannel /usr/local/bin/xchannel

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
