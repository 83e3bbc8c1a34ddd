# empirie-bot: migrations run before start; configure with environment variables (see README).
# bookworm: ICU 72 (libicu72) at run time; PyICU is built against it below
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
RUN apt-get update && apt-get install -y --no-install-recommends fonts-dejavu-core libicu72 \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md alembic.ini requirements.lock ./
# PyICU (Polish collation) compiles against libicu-dev; the compiler leaves with the build
RUN apt-get update && apt-get install -y --no-install-recommends g++ pkg-config libicu-dev \
    && pip install --require-hashes -r requirements.lock \
    && apt-get purge -y --auto-remove g++ pkg-config libicu-dev \
    && rm -rf /var/lib/apt/lists/*
COPY bot ./bot
COPY core ./core
COPY handlers ./handlers
COPY models ./models
COPY jobs ./jobs
COPY migrations ./migrations
RUN pip install --no-deps .

RUN useradd --create-home empirie && mkdir -p /data && chown empirie /data
USER empirie
ENV EMPIRIE_DATABASE_URL=sqlite:////data/empirie.db EMPIRIE_FILES_DIR=/data/files
EXPOSE 8080
CMD ["sh", "-c", "empirie-bot migrate && exec empirie-bot run"]
