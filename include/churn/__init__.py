"""Churn ML: bank-churn data, AutoML training, candidate checks and reports for the Databricks notebooks."""
