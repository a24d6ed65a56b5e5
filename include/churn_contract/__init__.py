"""What the Airflow side and the notebook side of the churn pipeline must agree on, defined once.

`churn_contract.options`: the model name, the check names, the check thresholds (default, bounds, description) and
the choices of the test mode and the AutoML primary metric. The promotion DAG's params, the notebooks' widgets and
the notebook settings are generated from it. `churn_contract.results`: the notebooks' exit values, one typed model
each, written by the notebook code (`churn`) and read by the DAGs (`churn_pipeline`). `churn_contract.event`: the
test notebook's `event_message` input (the registry webhook's shape). `churn_contract.unity_catalog`: the Unity
Catalog flow's registry modes, default model name, tags and aliases.

Light on purpose: the standard library and pydantic only (DAG files import it at parse time; Airflow ships
pydantic, and so does every Databricks runtime).
"""
