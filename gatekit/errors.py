"""The one exception family for errors a user can fix, and how they map to exit codes.

::

    GatekitError                 exit 2 unless stated
    ├── ConfigError              gatekit.yaml, thresholds, flags
    ├── DatasetError             golden datasets and production logs
    ├── PolicyError              policy files
    ├── AgentError               agent spec cannot be resolved / started
    └── SinkError                exit 3: MLflow (or another sink) unreachable or failing

A message names the file and the line or field, what was wrong and what to do.
Failures inside one case are not exceptions of this family: they are recorded on
the case's result and never abort a run.
"""

from __future__ import annotations

EXIT_PASS = 0
EXIT_FAIL = 1
EXIT_USAGE = 2
EXIT_INFRA = 3
EXIT_INCONCLUSIVE = 4


class GatekitError(Exception):
    """Root of every error a user can act on; the CLI prints it in one line."""

    exit_code = EXIT_USAGE


class ConfigError(GatekitError):
    """Bad configuration: gatekit.yaml, thresholds file, pricing table or flags."""


class DatasetError(GatekitError):
    """A golden dataset or production log that cannot be read or validated."""


class PolicyError(GatekitError):
    """A policy file that cannot be read or validated."""


class AgentError(GatekitError):
    """An agent spec that cannot be resolved or an agent that cannot be started."""


class SinkError(GatekitError):
    """An output sink (MLflow tracking server) that is unreachable or failing."""

    exit_code = EXIT_INFRA
