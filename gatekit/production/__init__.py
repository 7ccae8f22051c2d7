"""Production evidence: the production-log row format, its writer, and the engines that read it.

``schema`` defines the row (one per production request, never raw text); ``writer`` appends rows
(used by the runtime guard and the proxy). Reading production data where it lives (files through
DuckDB, Spark tables, MLflow traces) and the statistics pushed down into those engines live beside them.
Nothing here imports pandas, DuckDB or Spark at module import.
"""
