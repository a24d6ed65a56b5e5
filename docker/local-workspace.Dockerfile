# The Databricks-compatible local workspace (local_workspace/) with what the notebooks need to train.
FROM python:3.11-slim-bookworm

# LightGBM (the AutoML learner) links the OpenMP runtime, which the slim image does not have.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libgomp1 \
    && rm -rf /var/lib/apt/lists/*

COPY requirements.lock requirements-workspace.txt /opt/requirements/
RUN pip install --no-cache-dir -r /opt/requirements/requirements-workspace.txt -c /opt/requirements/requirements.lock

# Workspace notebook paths (/include/notebooks/...) resolve below /workspace; the notebooks import `churn` from
# /workspace/include; the server is the top-level `local_workspace` package. docker-compose mounts ./include over
# the copy so notebook edits apply without a rebuild.
WORKDIR /workspace
COPY include /workspace/include
COPY local_workspace /workspace/local_workspace
ENV PYTHONPATH=/workspace/include:/workspace \
    PYTHONUNBUFFERED=1

# State (MLflow and workspace databases, artifacts, run logs, the warehouse) lives in /data: a named volume.
RUN useradd --create-home --uid 50000 workspace && mkdir /data && chown workspace /data
USER workspace
EXPOSE 8799
CMD ["sh", "-c", "python -m churn.seed --data-dir /data && exec python -m local_workspace serve --host 0.0.0.0 --port 8799 --data-dir /data --workspace-dir /workspace"]
