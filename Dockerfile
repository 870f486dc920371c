# syntax=docker/dockerfile:1.7
# reviewlab's images: one builder, one shared runtime base, one target per face (docs/deployment.md).
#
#   docker build --target api       -t reviewlab-api .        # reviewlab serve              :8000
#   docker build --target worker    -t reviewlab-worker .     # reviewlab worker --queue celery
#   docker build --target dagster   -t reviewlab-dagster .    # dagster-webserver            :3000 (+ the daemon)
#   docker build --target dashboard -t reviewlab-dashboard .  # streamlit run app/main.py    :8501
#   docker build --target mlflow    -t reviewlab-mlflow .     # mlflow server                :5000
#
# Every target shares the builder's virtualenv and the runtime layers, so five images cost one venv on disk.
# The `hf` extra (PyTorch, local HuggingFace models) is never installed here: images review with static
# analysis, Ollama and the user-provided cloud providers.

ARG PYTHON_VERSION=3.11

# --- builder: the package and its extras in /opt/venv -------------------------------------------------------
FROM python:${PYTHON_VERSION}-slim-bookworm AS builder

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

WORKDIR /src
# Dependencies change less often than the code: resolve them against constraints.txt first.
COPY pyproject.toml constraints.txt README.md ./
COPY reviewlab ./reviewlab
COPY api ./api
# The extras of `make install` (Makefile) plus OpenTelemetry (`otel`: tracing when OTEL_EXPORTER_OTLP_ENDPOINT is
# set), Dagster's Kubernetes run launcher (`k8s`) and the Kafka client (`kafka`: the event bus when
# KAFKA_BOOTSTRAP_SERVERS is set); never `hf`.
ARG EXTRAS=postgres,api,dagster,warehouse,mlflow,app,otel,k8s,kafka
RUN --mount=type=cache,target=/root/.cache/pip \
    pip install --constraint constraints.txt ".[${EXTRAS}]"

# --- runtime: what every face shares ------------------------------------------------------------------------
FROM python:${PYTHON_VERSION}-slim-bookworm AS runtime

ARG VERSION=0.1.0
ARG REVISION=unknown
ARG CREATED=unknown
LABEL org.opencontainers.image.title="reviewlab" \
      org.opencontainers.image.description="Self-hosted AI code review lab: static analysis on tree-sitter, local-first AI review, evaluated model lifecycle." \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.documentation="docs/deployment.md" \
      org.opencontainers.image.base.name="python:${PYTHON_VERSION}-slim-bookworm"

# git: repository analyses and scans clone with it. curl: the HEALTHCHECKs. tini: PID 1 that forwards signals
# (a worker's warm shutdown on SIGTERM) and reaps the children of git and Celery's prefork pool.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl git tini \
    && rm -rf /var/lib/apt/lists/*

# A fixed numeric non-root user (Kubernetes' runAsNonRoot checks the number, not the name).
RUN groupadd --system --gid 10001 reviewlab \
    && useradd --system --uid 10001 --gid reviewlab --home-dir /var/lib/reviewlab --shell /usr/sbin/nologin reviewlab \
    && install -d -o reviewlab -g reviewlab -m 0750 /var/lib/reviewlab /var/lib/reviewlab/dagster /var/lib/reviewlab/mlflow

# Dagster processes need the instance that pipelines/instance.py writes from the settings (and its
# DAGSTER_POSTGRES_URL): this wrapper prepares it, exports its environment and runs the command.
RUN printf '%s\n' '#!/bin/sh' 'set -e' 'eval "$(python -m pipelines.instance --shell)"' 'exec "$@"' \
        > /usr/local/bin/with-dagster-instance \
    && chmod 0755 /usr/local/bin/with-dagster-instance

COPY --from=builder /opt/venv /opt/venv

# The faces that are not part of the installed package run from /app (owned by root: read-only to the user).
WORKDIR /app
COPY workspace.yaml ./
COPY .streamlit ./.streamlit
COPY app ./app
COPY assets ./assets
COPY pipelines ./pipelines
COPY experiments ./experiments
COPY examples ./examples

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HF_HUB_OFFLINE=1 \
    DAGSTER_DISABLE_TELEMETRY=1 \
    STREAMLIT_BROWSER_GATHER_USAGE_STATS=false \
    REVIEWLAB_HOME=/var/lib/reviewlab \
    REVIEWLAB_EXPERIMENTS_DIR=/app/experiments

USER 10001:10001
ENTRYPOINT ["tini", "--"]

# --- api: the REST API --------------------------------------------------------------------------------------
FROM runtime AS api
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["curl", "-fsS", "-o", "/dev/null", "http://127.0.0.1:8000/health/live"]
# --proxy-headers trusts X-Forwarded-* only from FORWARDED_ALLOW_IPS (uvicorn's default: 127.0.0.1).
CMD ["reviewlab", "serve", "--host", "0.0.0.0", "--port", "8000", "--proxy-headers"]

# --- worker: Celery analysis workers on REDIS_URL (no port) -------------------------------------------------
FROM runtime AS worker
# Alive when this container's Celery node answers a ping over the broker.
HEALTHCHECK --interval=30s --timeout=15s --start-period=30s --retries=3 \
    CMD ["sh", "-c", "celery --broker \"$REDIS_URL\" inspect ping --destination \"celery@$(hostname)\" --timeout 10 >/dev/null"]
CMD ["reviewlab", "worker", "--queue", "celery"]

# --- dagster: the webserver; the daemon is this image with another command ----------------------------------
#   daemon:  with-dagster-instance dagster-daemon run -w workspace.yaml
#   its health: with-dagster-instance dagster-daemon liveness-check
FROM runtime AS dagster
ENV DAGSTER_HOME=/var/lib/reviewlab/dagster
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["curl", "-fsS", "-o", "/dev/null", "http://127.0.0.1:3000/server_info"]
CMD ["with-dagster-instance", "dagster-webserver", "-w", "workspace.yaml", "-h", "0.0.0.0", "-p", "3000"]

# --- dashboard: Streamlit, a client of the API (REVIEWLAB_API_URL) ------------------------------------------
FROM runtime AS dashboard
# .streamlit/config.toml (copied above) turns usage statistics off; these make it a headless server.
ENV STREAMLIT_SERVER_HEADLESS=true \
    STREAMLIT_SERVER_ADDRESS=0.0.0.0 \
    STREAMLIT_SERVER_PORT=8501
EXPOSE 8501
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["curl", "-fsS", "-o", "/dev/null", "http://127.0.0.1:8501/_stcore/health"]
CMD ["streamlit", "run", "app/main.py"]

# --- mlflow: tracking server and model registry -------------------------------------------------------------
# MLFLOW_BACKEND_STORE_URI (read by `mlflow server` itself) names the store; the default is a SQLite file in the
# data directory. Artifacts are served through the server (--serve-artifacts) from MLFLOW_ARTIFACTS_DESTINATION.
FROM runtime AS mlflow
ENV MLFLOW_BACKEND_STORE_URI=sqlite:////var/lib/reviewlab/mlflow/mlflow.db \
    MLFLOW_ARTIFACTS_DESTINATION=/var/lib/reviewlab/mlflow/artifacts \
    MLFLOW_WORKERS=2 \
    MLFLOW_SERVER_ENABLE_JOB_EXECUTION=false
EXPOSE 5000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["curl", "-fsS", "-o", "/dev/null", "http://127.0.0.1:5000/health"]
CMD ["sh", "-c", "exec mlflow server --host 0.0.0.0 --port 5000 --workers \"$MLFLOW_WORKERS\" --serve-artifacts --artifacts-destination \"$MLFLOW_ARTIFACTS_DESTINATION\""]
