"""Spark local[2] over the alluxio:// Hadoop FileSystem, as a user runs it with the client jar.

Run by crates/cli/tests/spark.rs with ALLUXIO_URI (alluxio://127.0.0.1:PORT), CLIENT_JAR (the
alluxio-<version>-client.jar) and WORDS_FILE (the local copy of /spark/words.txt, which the test
put into Alluxio with `alluxio fs copyFromLocal`). Writes a DataFrame as Parquet and as CSV,
reads both back, and counts the words of /spark/words.txt; exits non-zero on any difference.
"""

import collections
import os
import sys

from pyspark.sql import SparkSession

URI = os.environ["ALLUXIO_URI"]


def expect(condition, message):
    if not condition:
        sys.exit("FAILED: " + message)


def main():
    spark = (
        SparkSession.builder.master("local[2]")
        .appName("alluxio-spark-e2e")
        .config("spark.jars", os.environ["CLIENT_JAR"])
        .config("spark.hadoop.fs.alluxio.impl", "alluxio.hadoop.FileSystem")
        .config("spark.hadoop.alluxio.user.file.writetype.default", "CACHE_THROUGH")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .getOrCreate()
    )
    try:
        rows = [(i, "name-%d" % i, i * 1.5) for i in range(1000)]
        frame = spark.createDataFrame(rows, ["id", "name", "score"]).repartition(3)

        frame.write.mode("overwrite").parquet(URI + "/spark/parquet")
        back = spark.read.parquet(URI + "/spark/parquet")
        got = sorted(tuple(r) for r in back.collect())
        expect(got == rows, "Parquet read back %d rows, first %s" % (len(got), got[:3]))

        frame.write.mode("overwrite").option("header", True).csv(URI + "/spark/csv")
        back = spark.read.option("header", True).schema(frame.schema).csv(URI + "/spark/csv")
        got = sorted(tuple(r) for r in back.collect())
        expect(got == rows, "CSV read back %d rows, first %s" % (len(got), got[:3]))

        counts = dict(
            spark.sparkContext.textFile(URI + "/spark/words.txt")
            .flatMap(lambda line: line.split())
            .map(lambda word: (word, 1))
            .reduceByKey(lambda a, b: a + b)
            .collect()
        )
        with open(os.environ["WORDS_FILE"]) as words:
            expected = collections.Counter(words.read().split())
        expect(counts == dict(expected), "word counts %s, expected %s" % (counts, dict(expected)))
        print("spark job: parquet, csv and word count OK")
    finally:
        spark.stop()


if __name__ == "__main__":
    main()
