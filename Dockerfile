# The Hub as a container: `docker compose up` runs it against PostgreSQL and MinIO (docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Dependencies first, in their own layer, so editing the code does not reinstall them: a stub package
# lets pip resolve pyproject.toml's dependencies before the sources are copied.
COPY pyproject.toml ./
RUN mkdir hub && touch hub/__init__.py \
    && pip install . \
    && pip uninstall -y cbp-hub \
    && rm -rf hub build ./*.egg-info

# The whole checkout: policies/ and schema/ are read at run time from beside hub/ (hub/runtime.py),
# so the package is installed editable from /app rather than copied into site-packages.
COPY . .
RUN pip install --no-deps -e . \
    && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin hub \
    && mkdir -p /var/lib/hub \
    && chown hub:hub /var/lib/hub

# HUB_DATA_DIR holds the token signing key even in production: mount a volume there so tokens
# survive a restart (compose does). The explicit policies path guards against a non-editable install.
ENV HUB_DATA_DIR=/var/lib/hub \
    HUB_POLICIES_DIR=/app/policies

USER hub
EXPOSE 8000
CMD ["hub", "serve", "--host", "0.0.0.0", "--port", "8000"]
