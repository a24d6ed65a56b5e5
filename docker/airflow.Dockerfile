# Airflow image of docker-compose.yaml: the official image plus exactly what the DAGs and the plugin import
# (requirements-airflow.txt). dags/, plugins/ and include/ are mounted by docker-compose.yaml, not copied.
FROM apache/airflow:3.3.2-python3.11

COPY requirements.txt requirements-airflow.txt /opt/requirements/
# Pinning apache-airflow (first line of requirements-airflow.txt) keeps pip from moving the image's Airflow.
RUN pip install --no-cache-dir -r /opt/requirements/requirements-airflow.txt
