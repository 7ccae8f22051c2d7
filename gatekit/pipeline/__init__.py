"""The stages of a gate run, in order; ``gatekit.gate.run_gate`` calls them.

- ``prepare``: validate inputs, find the baseline, lock the output folder, read ``--resume`` state.
- ``judge``: replay the cases through the agent and judge each one as it finishes.
- ``checks``: metrics, governance summary, drift, every check.
- ``build_verdict``: the typed ``Verdict`` (``model``).
- ``publish``: verdict.json, report.html, MLflow, promotion, JUnit, GitHub Actions.
"""
