"""Applying a trained model to image files: ``evaluate`` (a labelled folder) and ``predict``
(any files or folders); both load the model by MLflow run id or saved-model folder."""
