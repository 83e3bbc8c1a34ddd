# empirie-bot: migrations run before start; configure with environment variables (see README).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
RUN apt-get update && apt-get install -y --no-install-recommends fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md alembic.ini requirements.lock ./
RUN pip install --require-hashes -r requirements.lock
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
