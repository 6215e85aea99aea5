# syntax=docker/dockerfile:1
# Penny as a service: `penny serve` (HTTP API, chat page, /metrics, scheduler).
# Two stages: wheels are built with the compilers of the build stage; the final stage
# installs only the wheels into a venv on a slim base, runs as a non-root user, and has no
# compiler, package manager cache or source tree.

FROM python:3.11-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY pyproject.toml README.md ./
COPY assistant ./assistant
COPY tools ./tools
COPY prompts ./prompts
COPY evals ./evals
RUN python -m venv /opt/penny \
 && /opt/penny/bin/pip install --no-cache-dir --upgrade pip \
 && /opt/penny/bin/pip wheel --no-cache-dir --wheel-dir /wheels . \
 && /opt/penny/bin/pip install --no-cache-dir --no-index --find-links /wheels penny-finops

FROM python:3.11-slim AS runtime
LABEL org.opencontainers.image.title="penny" \
      org.opencontainers.image.description="Penny: a FinOps assistant for Kubernetes" \
      org.opencontainers.image.licenses="Apache-2.0"
RUN groupadd --system --gid 10001 penny \
 && useradd --system --uid 10001 --gid penny --home-dir /var/lib/penny --no-create-home penny \
 && mkdir -p /var/lib/penny \
 && chown penny:penny /var/lib/penny
COPY --from=build /opt/penny /opt/penny
ENV PATH=/opt/penny/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PENNY_HOME=/var/lib/penny \
    PENNY_SERVER__HOST=0.0.0.0 \
    PENNY_SERVER__PORT=8000 \
    HOME=/var/lib/penny
USER 10001:10001
WORKDIR /var/lib/penny
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)" || exit 1
ENTRYPOINT ["penny"]
CMD ["serve"]
