"""Tracking a training run: the MLflow run lifecycle (mlflow_run), in-memory history and filter
trajectory (recorder), and the figures it stores (figures)."""
