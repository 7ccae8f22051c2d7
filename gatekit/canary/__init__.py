"""After the gate: canary stages judged from production traffic, ``gatekit watch`` and ``gatekit rollback``.

``rules`` reads thresholds/rollout.yaml; ``engine`` opens the production rows on DuckDB or Spark;
``sql`` holds the window / rank queries written once for both; ``stats`` the Wilson, Newcombe,
Mann-Whitney and Hodges-Lehmann maths; ``core.analyse`` judges a stage; ``command.run_canary``
judges and publishes (canary.json, canary.html, MLflow, GitHub); ``watch`` follows a growing log.
Nothing heavy is imported here.
"""
