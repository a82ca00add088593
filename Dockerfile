# apiq-gate as a Docker action: the package and its templates on a slim Python, nothing else.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Pinned runtime dependencies first: this layer is reused until the lock changes.
COPY requirements.lock ./
RUN pip install --no-deps --requirement requirements.lock

# Only what runs. The package is imported from /app (the entrypoint's folder) rather than
# installed, so templates/ stays where apiq_gate.render looks for it: next to the package.
COPY apiq_gate/ ./apiq_gate/
COPY templates/ ./templates/
COPY entrypoint.py ./

# No USER: GitHub runs Docker actions as root so that they can write to the mounted workspace
# and the runner's command files (GITHUB_OUTPUT, GITHUB_STEP_SUMMARY).
ENTRYPOINT ["python", "/app/entrypoint.py"]
