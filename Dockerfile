# Astro project image (`astro dev start`, `astro deploy`). Not built in this repository's CI: no Docker engine there.
# Use an Astro Runtime 3.x image whose Airflow matches the pinned apache-airflow (3.3.x, see pyproject.toml); Astro
# lists which Runtime ships which Airflow in its release notes. Runtime 3.x images live on astrocrpublic.azurecr.io.
ARG ASTRO_RUNTIME=3.1-1
FROM astrocrpublic.azurecr.io/runtime:${ASTRO_RUNTIME}

# requirements.txt (the Databricks provider and databricks-sdk) is installed by the Runtime's ONBUILD steps.
# The DAGs import `churn_pipeline` (include/) and `databricks_registry` (plugins/): put both folders on the path.
ENV PYTHONPATH="/usr/local/airflow/include:/usr/local/airflow/plugins:${PYTHONPATH}" \
    AIRFLOW__OPERATORS__DEFAULT_DEFERRABLE=True \
    CHURN_CLUSTER_PROFILE=single_node
