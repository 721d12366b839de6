# SpendScore's four images from one recipe: one target per image, the member to install as build arguments.
# Build from the repository root (docker-compose.yml passes the same target and arguments):
#   docker build --target auth      --build-arg PACKAGE=spendscore-auth      --build-arg MEMBER=services/auth      -t spendscore-auth .
#   docker build --target customers --build-arg PACKAGE=spendscore-customers --build-arg MEMBER=services/customers -t spendscore-customers .
#   docker build --target inference --build-arg PACKAGE=spendscore-inference --build-arg MEMBER=services/inference -t spendscore-inference .
#   docker build --target ui        --build-arg PACKAGE=spendscore-ui        --build-arg MEMBER=ui                 -t spendscore-ui .
# Base images as build arguments, so that a mirror or a local stand-in can replace the official ones.
# RDS_CA_BUNDLE_URL (ECS images, see infra/README.md): the RDS certificate authorities, put into auth and
# customers as /app/certs/rds-ca-bundle.pem, which PGSSLROOTCERT names for PGSSLMODE=verify-full.
ARG PYTHON_IMAGE=python:3.11.14-slim-bookworm
ARG UV_IMAGE=ghcr.io/astral-sh/uv:0.13.9

FROM ${UV_IMAGE} AS uv

# --- build: the member's dependencies, then its sources (and the shared library's) ------------------------
FROM ${PYTHON_IMAGE} AS build
ARG PACKAGE
ARG MEMBER
COPY --from=uv /uv /usr/local/bin/uv
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PYTHON_PREFERENCE=only-system
WORKDIR /app
# Dependency layer: the lock and every member's pyproject.toml (uv needs the whole workspace to read the
# lock), but only this member's third-party dependencies are installed; rebuilt only when they change.
COPY pyproject.toml uv.lock ./
COPY services/common/pyproject.toml services/common/
COPY services/auth/pyproject.toml services/auth/
COPY services/customers/pyproject.toml services/customers/
COPY services/inference/pyproject.toml services/inference/
COPY ui/pyproject.toml ui/
RUN --mount=type=cache,target=/root/.cache/uv \
    test -n "${PACKAGE}" && test -f "${MEMBER}/pyproject.toml" \
    && uv sync --frozen --no-install-workspace --no-dev --package ${PACKAGE}
# Sources (alembic.ini and alembic/, the inference data set; tests are kept out by .dockerignore), and the
# shared library every member uses (the UI its settings files, JSON logs and bounded HTTP protocol).
COPY services/common/ services/common/
COPY ${MEMBER}/ ${MEMBER}/
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --package ${PACKAGE} \
    && python -m compileall -q services/common/src ${MEMBER}

# The same training code as `make train` and the tests, run once at build time (inference only).
FROM build AS model
RUN /app/.venv/bin/python -m inference_service.training \
    --output /app/model/spendscore-model.joblib --no-card

# RDS's certificate authorities when RDS_CA_BUNDLE_URL is given (checked to be PEM certificates), else none.
FROM ${PYTHON_IMAGE} AS rds-ca
ARG RDS_CA_BUNDLE_URL=""
RUN mkdir -p /app/certs \
    && if [ -n "${RDS_CA_BUNDLE_URL}" ]; then \
        python -c "import ssl, sys, urllib.request; urllib.request.urlretrieve(sys.argv[1], sys.argv[2]); ssl.create_default_context(cafile=sys.argv[2])" \
            "${RDS_CA_BUNDLE_URL}" /app/certs/rds-ca-bundle.pem; \
    fi

# --- runtime: the installed member under a non-root user ---------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime
RUN groupadd --system --gid 10001 spendscore \
    && useradd --system --uid 10001 --gid spendscore --home-dir /app --no-create-home spendscore
WORKDIR /app
COPY --from=build /app /app
RUN mkdir -p /app/data && chown spendscore:spendscore /app/data
# HOME=/tmp: a read-only root filesystem leaves /tmp (a tmpfs) as the only place a library may write.
ENV PATH="/app/.venv/bin:${PATH}" \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HOME=/tmp \
    HOST=0.0.0.0 \
    DATA_DIR=/app/data
USER 10001

# --- the four images ----------------------------------------------------------------------------------
# Serve: the default command. Migrate (one shot): `python -m auth_service.migrate`.
FROM runtime AS auth
COPY --from=rds-ca /app/certs /app/certs
ENV AUTH_PORT=8001
EXPOSE 8001
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('AUTH_PORT', '8001'), timeout=4)"]
CMD ["python", "-m", "auth_service"]

# Serve: the default command. Migrate (one shot): `python -m customers_service.migrate`.
FROM runtime AS customers
COPY --from=rds-ca /app/certs /app/certs
ENV CUSTOMERS_PORT=8002
EXPOSE 8002
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('CUSTOMERS_PORT', '8002'), timeout=4)"]
CMD ["python", "-m", "customers_service"]

# The model trained at build time: nothing is downloaded at run time.
FROM runtime AS inference
COPY --from=model /app/model/spendscore-model.joblib /app/model/spendscore-model.joblib
ENV INFERENCE_PORT=8003 \
    INFERENCE_MODEL_PATH=/app/model/spendscore-model.joblib
EXPOSE 8003
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('INFERENCE_PORT', '8003'), timeout=4)"]
CMD ["python", "-m", "inference_service"]

# Streamlit options as STREAMLIT_* variables: it reads .streamlit/ from the working directory (/app), not
# ui/. The port is UI_PORT (the command passes it on), as with `make run`; spendscore_ui.serve is
# `streamlit run` with the services' bounds on slow clients (HEAD_TIMEOUT_SECONDS, MAX_CONNECTIONS). No
# welcome banner: every line the UI writes is JSON (spendscore_ui.json_logs).
FROM runtime AS ui
ENV UI_PORT=8501 \
    STREAMLIT_SERVER_ADDRESS=0.0.0.0 \
    STREAMLIT_SERVER_HEADLESS=true \
    STREAMLIT_BROWSER_GATHER_USAGE_STATS=false \
    STREAMLIT_CLIENT_TOOLBAR_MODE=minimal \
    STREAMLIT_CLIENT_SHOW_ERROR_DETAILS=none \
    STREAMLIT_SERVER_MAX_UPLOAD_SIZE=5 \
    STREAMLIT_LOGGER_HIDE_WELCOME_MESSAGE=true
EXPOSE 8501
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/_stcore/health' % os.environ.get('UI_PORT', '8501'), timeout=4)"]
CMD ["sh", "-c", "exec python -m spendscore_ui.serve ui/streamlit_app.py --server.port \"${UI_PORT}\""]
