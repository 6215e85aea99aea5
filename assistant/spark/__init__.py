"""The Spark engine: the warehouse's tables as a Parquet lake, Penny's SQL run on Spark SQL."""
