# syntax=docker/dockerfile:1
# A small image of the standalone mock.
#
#   docker build -t vaultmock .
#   docker run --rm -p 127.0.0.1:8200:8200 -e VAULTMOCK_ROOT_TOKEN=s3cret vaultmock
#
# Inside the container the mock listens on 0.0.0.0:8200, so its admin API asks for
# the root token (X-Vault-Token). Every option comes from a VAULTMOCK_* variable
# (change the port with VAULTMOCK_PORT, which the health check reads too, rather
# than --port); to keep the state across restarts, mount a volume on /data and set
# VAULTMOCK_STATE_FILE=/data/state.json.

ARG PYTHON_VERSION=3.11

# -- build: the wheel, from the source tree ------------------------------------------
FROM python:${PYTHON_VERSION}-slim AS build
WORKDIR /src
COPY . .
RUN pip wheel --no-cache-dir --disable-pip-version-check --no-deps \
        --wheel-dir /wheels .

# -- runtime: the wheel and its dependencies, run as a non-root user -----------------
FROM python:${PYTHON_VERSION}-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    VAULTMOCK_HOST=0.0.0.0 \
    VAULTMOCK_PORT=8200
RUN groupadd --system --gid 10001 vaultmock \
    && useradd --system --uid 10001 --gid vaultmock --home-dir /data --create-home \
        --shell /usr/sbin/nologin vaultmock
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --disable-pip-version-check --root-user-action=ignore \
        /wheels/*.whl \
    && rm -rf /wheels
USER vaultmock
WORKDIR /data
EXPOSE 8200
# The slim image has no curl: the check uses the standard library.
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/_vaultmock/health' % os.environ.get('VAULTMOCK_PORT', '8200'), timeout=2)"]
ENTRYPOINT ["vaultmock"]
CMD ["serve"]
