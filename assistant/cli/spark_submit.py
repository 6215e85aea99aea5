"""Entry point for ``spark-submit``: run a ``penny`` command on a Spark cluster's driver.

    SUBMIT=$(python -c 'import assistant.cli.spark_submit as m; print(m.__file__)')
    spark-submit --master yarn "$SUBMIT" allocate --engine spark --window 2026-10

spark-submit starts the JVM and decides the master; Penny's session then takes it as is
(``warehouse.spark_master`` is ignored under spark-submit). Executors run only Spark SQL,
so only the driver needs Penny installed.
"""

from __future__ import annotations

import sys


def main() -> int:
    from assistant.cli import main as penny

    return penny(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
