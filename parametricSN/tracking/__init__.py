"""Tracking a training run: opening a shared MLflow store (store), the run lifecycle and UI
addresses (mlflow_run, built on store), in-memory history, time split and filter trajectory
(recorder), where a run came from — code, user, environment, data fingerprints (provenance), and
what it stores besides metrics (artifacts; the figures themselves are parametricSN.figures)."""
