# empirie-bot, the production image (docs/operations/deploy.md).
# Every platform (Telegram, Teams, PostgreSQL) from the hashed lock file; the code belongs to
# root and is read-only for the bot's own user; everything the bot writes is under /data (one
# volume): the SQLite default, the files, the Teams sign-in record and token cache.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1
# PyICU (Polish collation) compiles against Debian's ICU; the compiler stays in this stage
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends g++ pkg-config libicu-dev \
    && rm -rf /var/lib/apt/lists/*
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
COPY requirements.lock ./
RUN pip install --no-cache-dir --require-hashes -r requirements.lock
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY core ./core
COPY handlers ./handlers
COPY jobs ./jobs
COPY models ./models
COPY migrations ./migrations
RUN pip install --no-cache-dir --no-deps . \
    && python -m compileall -q /opt/venv/lib

FROM ${PYTHON_IMAGE}
# DejaVu Sans: the Polish letters of the attendance list (PDF); libicu72: the ICU that PyICU
# was built against (bookworm's). Debian's stable release keeps the packages at one version,
# so they are not pinned here.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-dejavu-core libicu72 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --user-group --home-dir /data --no-create-home empirie \
    && mkdir /data \
    && chown empirie:empirie /data \
    && chmod 0700 /data
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOME=/data \
    EMPIRIE_DATABASE_URL=sqlite:////data/empirie.db \
    EMPIRIE_FILES_DIR=/data/files \
    EMPIRIE_CONSOLE_LOG_FILE=/data/empirie.log \
    EMPIRIE_TEAMS_AUTH_RECORD_FILE=/data/teams/auth-record.json \
    EMPIRIE_TEAMS_ALLOW_UNENCRYPTED_STORAGE=true \
    EMPIRIE_HTTP_HOST=0.0.0.0 \
    EMPIRIE_HTTP_PORT=8080 \
    EMPIRIE_WORKER_HTTP=true \
    EMPIRIE_LOG_FORMAT=json
# A container has no keyring: the Teams token cache is a file on the volume (~ is /data),
# readable by the bot's user only.
USER 10001:10001
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
    CMD ["python", "-m", "bot.probe"]
ENTRYPOINT ["empirie-bot"]
CMD ["serve"]
