package org.diffusion4j.spark;

import org.apache.spark.util.AccumulatorV2;

/**
 * The tasks' {@link PartitionStats} when the job's result is something else (the rows of a Parquet dataset): merged
 * as tasks succeed (a failed attempt's statistics are dropped, as Spark drops a failed task's accumulator updates).
 */
final class StatsAccumulator extends AccumulatorV2<PartitionStats, PartitionStats> {

    private static final long serialVersionUID = 1L;

    private PartitionStats stats = new PartitionStats();

    @Override
    public boolean isZero() {
        return stats.partitions == 0 && stats.images == 0;
    }

    @Override
    public AccumulatorV2<PartitionStats, PartitionStats> copy() {
        StatsAccumulator c = new StatsAccumulator();
        c.stats = new PartitionStats().merge(stats);
        return c;
    }

    @Override
    public void reset() {
        stats = new PartitionStats();
    }

    @Override
    public void add(PartitionStats v) {
        stats.merge(v);
    }

    @Override
    public void merge(AccumulatorV2<PartitionStats, PartitionStats> other) {
        stats.merge(other.value());
    }

    @Override
    public PartitionStats value() {
        return stats;
    }
}
