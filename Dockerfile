# SaferMK bot: slim Python image, non-root user, the database on a volume.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    MPLBACKEND=Agg \
    SAFERMK_MODEL_CACHE=/data/models

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY storage ./storage
RUN pip install .

COPY content ./content
COPY docker/config.yaml ./config.yaml

RUN useradd --create-home --uid 10001 safermk \
    && mkdir -p /data \
    && chown safermk:safermk /data
USER safermk

# The SQLite database and the generated survey secret (survey-secret) live here; mount a
# volume so they survive container restarts, and back them up together. models/ holds the
# understanding layer's trained models (rebuilt from content/examples/ if removed).
VOLUME ["/data"]

# Check the content before starting; pass the token at run time:
#   docker run -e TELEGRAM_BOT_TOKEN=... -v safermk-data:/data safermk-bot
CMD ["safermk-bot", "run", "--config", "/app/config.yaml"]
