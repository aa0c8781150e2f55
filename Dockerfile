# understory-sync: multi-stage build on the official Swift image, slim runtime with libpq5 only.
#   docker build -t understory-sync .
FROM swift:6.3-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends libpq-dev pkg-config && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Package.resolved pins the dependency versions when present (the glob matches it or nothing).
COPY Package.swift Package.resolve[d] ./
COPY Sources ./Sources
COPY Tests ./Tests
RUN swift build -c release --product understory-sync --static-swift-stdlib \
 && swift build -c release --product understory-sim --static-swift-stdlib \
 && mkdir /out \
 && cp "$(swift build -c release --show-bin-path)/understory-sync" "$(swift build -c release --show-bin-path)/understory-sim" /out/ \
 && cp -R "$(swift build -c release --show-bin-path)/understory-sync_SyncEngine.resources" /out/

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends libpq5 ca-certificates tzdata \
 && rm -rf /var/lib/apt/lists/* && useradd --system --uid 10001 understory
COPY --from=build /out/ /usr/local/bin/
USER understory
ENTRYPOINT ["/usr/local/bin/understory-sync"]
CMD ["--help"]
