"""Tracking a training run: the MLflow run lifecycle and UI addresses (mlflow_run), in-memory
history, time split and filter trajectory (recorder), where a run came from — code, user,
environment, data fingerprints (provenance), and the figures it stores (figures)."""
