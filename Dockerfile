# Astro project image (`astro dev start`, `astro deploy`). Not built in this repository's CI (no Docker engine).
#
# Astro Runtime 3.x tags are <Airflow major.minor>-<Astro release>: 3.3-N ships Airflow 3.3, the line the project
# pins (apache-airflow==3.3.2 in pyproject.toml). 3.3-2 is the newest 3.3 release listed in Astronomer's Runtime
# provider reference (https://www.astronomer.io/docs/runtime/runtime-provider-reference); the Runtime release notes
# (https://www.astronomer.io/docs/runtime/runtime-release-notes) say which Airflow patch each release ships. Check
# with `astro dev run version` and move to a newer 3.3-N when it ships a later 3.3.x. The tag stays literal here:
# the Astro CLI reads it from this line to pick its Airflow 3 settings.
FROM astrocrpublic.azurecr.io/runtime:3.3-2

# requirements.txt (the providers and the few libraries the DAGs and the plugin import) and packages.txt are
# installed by the Runtime's ONBUILD steps. The DAGs import `churn_pipeline` (include/) and `databricks_registry`
# (plugins/); Airflow loads DatabricksRegistryPlugin from the plugins folder.
ENV PYTHONPATH=/usr/local/airflow/include:/usr/local/airflow/plugins \
    AIRFLOW__OPERATORS__DEFAULT_DEFERRABLE=True \
    CHURN_CLUSTER_PROFILE=single_node
