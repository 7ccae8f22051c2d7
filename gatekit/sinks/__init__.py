"""Output sinks: MLflow (the only module that imports mlflow) and GitHub Actions."""
