# Inlet: one image for the API (gunicorn), the Celery worker, beat and Flower.
# docker-compose.yml picks the process per service; the default is the API.
#
# Stage 1 fetches the wheels of requirements.txt, each checked against the sha256
# pinned there (--require-hashes); stage 2 installs them from the wheel directory only
# (no index, no compilers), checking the same hashes, and runs as a non-root user.
# Every dependency in requirements.txt ships binary wheels for CPython 3.12 on
# x86_64 and arm64 (--only-binary keeps it so), so the builder needs no compiler and
# the wheels it keeps are the very files PyPI serves.

FROM python:3.12.12-slim-bookworm AS builder

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

WORKDIR /build
COPY requirements.txt ./
RUN pip wheel --no-cache-dir --require-hashes --only-binary=:all: --wheel-dir /wheels \
        --requirement requirements.txt \
    && cp requirements.txt /wheels/requirements.txt


FROM python:3.12.12-slim-bookworm AS runtime

LABEL org.opencontainers.image.title="inlet" \
      org.opencontainers.image.description="Self-hosted image intake: API, Celery worker, beat and Flower"

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app \
    PORT=8000 \
    ENVIRONMENT=production

# A fixed numeric id, so that orchestrators can check runAsNonRoot.
RUN groupadd --system --gid 10001 inlet \
    && useradd --system --uid 10001 --gid inlet --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin inlet

# Install from the builder's wheels only; the bind mount keeps them out of the layers.
RUN --mount=type=bind,from=builder,source=/wheels,target=/wheels \
    pip install --no-cache-dir --no-index --find-links=/wheels --require-hashes \
        --requirement /wheels/requirements.txt

WORKDIR /app
# The product packages only, owned by root and read-only for the app user.
COPY api/ ./api/
COPY tasks/ ./tasks/
COPY search/ ./search/
COPY inlet/ ./inlet/
COPY uploader/ ./uploader/
# Bytecode is compiled once at build time (the app user cannot write /app);
# /app/var (beat's celerybeat-schedule) and /app/spool (upload spool files) are the
# writable directories; compose mounts volumes on them.
RUN python -m compileall -q /app \
    && install --directory --owner=inlet --group=inlet --mode=0750 /app/var /app/spool

USER 10001:10001

EXPOSE 8000

# slim has no curl; the API's liveness endpoint, on $PORT (8000 by default).
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os,urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '8000'), timeout=3)"]

# Production (also the settings' default): without SECRET_KEY or SECRET_KEY_FILE the API,
# the worker and beat refuse to start, saying how to set it.
# devstack.commands.PROCESS_COMMANDS["api"]
CMD ["gunicorn", "--config", "python:api.gunicorn_conf", "api.wsgi:app"]
