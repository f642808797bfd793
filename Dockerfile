# SaferMK bot: slim Python image, non-root user, the database on a volume.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    MPLBACKEND=Agg \
    SAFERMK_MODEL_CACHE=/data/models \
    SAFERMK_HEALTH_PORT=8080

WORKDIR /app
# The pinned, hash-checked dependencies first, in their own layer: it is rebuilt only when
# requirements.lock changes, and pip refuses any file whose hash is not in the lock.
COPY requirements.lock ./
RUN pip install --require-hashes -r requirements.lock
# Then the bot itself, without resolving anything again (--no-deps).
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY storage ./storage
RUN pip install --no-deps .

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

# The bot's HTTP server (/healthz, /readyz, /metrics; the webhook in webhook mode). It runs
# when the config sets http.port: keep SAFERMK_HEALTH_PORT equal to that port.
EXPOSE 8080
# /healthz answers while the process lives. The slim image has no curl: Python's urllib does
# the request, and any failure (refused, timeout, a non-2xx status) exits 1, i.e. unhealthy.
# The start period covers loading the content and training the model on a cold cache.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('SAFERMK_HEALTH_PORT', '8080') + '/healthz', timeout=3)" || exit 1

# The bot stops cleanly on SIGTERM (polling stopped, the database closed, broadcasts resume
# at the next start); give it about 15 s (docker stop -t 15, compose's stop_grace_period).
STOPSIGNAL SIGTERM

# Pass the token at run time:
#   docker run -e TELEGRAM_BOT_TOKEN=... -v safermk-data:/data safermk-bot
# or see compose.yaml. The bot validates the content at start and refuses to run on bad content.
CMD ["safermk-bot", "run", "--config", "/app/config.yaml"]
