"""MLflow "models from code" entry of the logged ``classifier`` (tracking.mlflow_model): MLflow
copies this file into the model and runs it at load time, so no Python object is pickled."""

import mlflow

from parametricSN.tracking.mlflow_model import ScatteringClassifier

mlflow.models.set_model(ScatteringClassifier())
