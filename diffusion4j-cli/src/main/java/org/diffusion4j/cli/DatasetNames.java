package org.diffusion4j.cli;

import java.util.Iterator;
import org.diffusion4j.data.Datasets;

/** Completion candidates and help text for data set names. */
final class DatasetNames implements Iterable<String> {
    @Override
    public Iterator<String> iterator() {
        return Datasets.names().iterator();
    }
}
