# syntax=docker/dockerfile:1.7
#
# One image for all five scanpay services. The service is chosen at run time:
#   docker run IMAGE                                  -> serves $SCANPAY_SERVICE (build arg SERVICE, default gateway)
#   docker run IMAGE scanpay serve wallet             -> serves wallet
#   docker run IMAGE scanpay migrate --service wallet -> applies wallet's migrations
# Kubernetes always sets the command explicitly (deploy/k8s/base/*/deployment.yaml).
#
# Release builds pin the base by digest as well as by tag:
#   docker buildx imagetools inspect python:3.11.14-slim-bookworm   # read the index digest
#   docker build --build-arg PYTHON_IMAGE=python:3.11.14-slim-bookworm@sha256:<digest> .
ARG PYTHON_IMAGE=python:3.11.14-slim-bookworm

# ---- build: resolve and install the package and its dependencies into a self-contained venv ----------
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
RUN python -m venv /opt/scanpay
# Dependencies only binary wheels: no compiler is needed here, and none can sneak into the image.
COPY pyproject.toml README.md ./
COPY services ./services
RUN /opt/scanpay/bin/pip wheel --no-deps --wheel-dir /wheels . \
 && /opt/scanpay/bin/pip install --only-binary=:all: /wheels/*.whl \
 && /opt/scanpay/bin/pip uninstall --yes pip

# ---- runtime: the venv, a non-root user, nothing to build with ----------------------------------------
FROM ${PYTHON_IMAGE} AS runtime
ARG SERVICE=gateway
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="scanpay" \
      org.opencontainers.image.description="QR-code payments: gateway, merchant, wallet, promotions, settlement" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="Apache-2.0"
# The base image's own installers are not needed at run time.
RUN python -m pip uninstall --yes --disable-pip-version-check pip setuptools wheel \
 && groupadd --system --gid 10001 scanpay \
 && useradd --system --uid 10001 --gid scanpay --no-create-home --home-dir /tmp --shell /usr/sbin/nologin scanpay
COPY --from=build /opt/scanpay /opt/scanpay
# Read-only root filesystem friendly: pip compiled the bytecode at install; HOME and temp files live in /tmp.
ENV PATH=/opt/scanpay/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOME=/tmp \
    TMPDIR=/tmp \
    SCANPAY_SERVICE=${SERVICE} \
    SCANPAY_GRPC_HOST=0.0.0.0
WORKDIR /tmp
USER 10001:10001
# gateway REST, gRPC 50050-50054 (gateway partner, merchant, wallet, promotions, settlement), metrics 9100-9104
EXPOSE 8080 50050-50054 9100-9104
STOPSIGNAL SIGTERM
# exec: the service is PID 1 and gets SIGTERM itself, so it drains (SCANPAY_DRAIN_SECONDS) before exiting.
CMD ["/bin/sh", "-c", "exec scanpay serve \"$SCANPAY_SERVICE\""]
