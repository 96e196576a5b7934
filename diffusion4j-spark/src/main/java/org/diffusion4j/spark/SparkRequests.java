package org.diffusion4j.spark;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;

/**
 * A table of requests given as a Spark DataFrame: columns {@code index} (an integer type), {@code prompt} (string) or
 * {@code class} (string or integer), and optionally {@code seed} (an integer type), as in a requests file
 * ({@link RequestTable}). The rows are collected to the driver — a request is a few bytes, its image the work — and
 * checked there, each mistake naming the row and the column.
 *
 * <pre>{@code
 * Dataset<Row> requests = spark.read().json("requests.jsonl");          // or any DataFrame with these columns
 * SparkSampling.Result r = SparkSampling.run(spark, settings.withOutDir("/shared/out"), requests, 0);
 * }</pre>
 */
public final class SparkRequests {

    private SparkRequests() {}

    /**
     * The rows of {@code table}, checked against {@code model}, sorted by index.
     *
     * @throws IllegalArgumentException naming the column (a missing index, an unknown column, a wrong type) or the row
     */
    public static List<Request> collect(Dataset<Row> table, RequestTable.Model model) {
        List<String> columns = new ArrayList<>();
        for (StructField f : table.schema().fields()) {
            String name = f.name();
            if (!RequestTable.COLUMNS.contains(name)) {
                throw new IllegalArgumentException("the DataFrame of requests: unknown column '" + name + "' (columns: index, "
                        + "prompt or class, seed); select the request columns first, e.g. df.select(\"index\", \"prompt\")");
            }
            DataType t = f.dataType();
            boolean integral = t == DataTypes.IntegerType || t == DataTypes.LongType || t == DataTypes.ShortType || t == DataTypes.ByteType;
            boolean ok = switch (name) {
                case "index", "seed" -> integral;
                case "prompt" -> t == DataTypes.StringType;
                default -> integral || t == DataTypes.StringType;
            };
            if (!ok) {
                throw new IllegalArgumentException("the DataFrame of requests: column '" + name + "' is " + t.simpleString() + "; it must be "
                        + (name.equals("prompt") ? "a string" : name.equals("class") ? "a string (a name) or an integer (an id)"
                                : "an integer type (cast it: col(\"" + name + "\").cast(\"long\"))"));
            }
            columns.add(name);
        }
        if (!columns.contains("index")) {
            throw new IllegalArgumentException("the DataFrame of requests has no column 'index' (columns " + columns
                    + "); every request needs an index, an integer >= 0 (its image is " + SparkSampling.PREFIX + "<index>.png)");
        }
        RequestTable b = RequestTable.builder(model, "the DataFrame of requests");
        List<Row> rows = table.collectAsList();
        for (int i = 0; i < rows.size(); i++) {
            Row row = rows.get(i);
            Map<String, Object> cells = new LinkedHashMap<>();
            for (int c = 0; c < columns.size(); c++) {
                cells.put(columns.get(c), row.isNullAt(c) ? null : row.get(c));
            }
            Object index = cells.get("index");
            b.add("the DataFrame of requests, row " + (i + 1) + (index == null ? "" : " (index " + index + ")"), cells);
        }
        return b.finish();
    }
}
