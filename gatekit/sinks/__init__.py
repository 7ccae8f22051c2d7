"""Output sinks: MLflow (what is published to a tracking server) and GitHub Actions.

mlflow is imported only by the modules that talk to it (this sink, the MLflow model agent, the MLflow traces
source and the MLflow span tracer), each inside functions, so `gatekit --help` stays light.
"""
