package io.jvirt.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/**
 * virsh's table layout: a header row, a line of dashes, then rows. Every line starts with a
 * space; columns are left-aligned and separated by three spaces; the last column is not padded;
 * the dash line is as long as every column's width plus three.
 */
final class Table {
    private final List<String[]> rows = new ArrayList<>();
    private final int columns;

    Table(String... header) {
        columns = header.length;
        rows.add(header.clone());
    }

    /** Adds a row with one cell per column. */
    Table row(String... cells) {
        if (cells.length != columns) {
            throw new IllegalArgumentException("expected " + columns + " cells, got " + cells.length);
        }
        rows.add(cells.clone());
        return this;
    }

    /** Prints the header, the dashes and the rows. */
    void print(PrintWriter out) {
        int[] widths = new int[columns];
        for (String[] row : rows) {
            for (int i = 0; i < columns; i++) {
                widths[i] = Math.max(widths[i], row[i].codePointCount(0, row[i].length()));
            }
        }
        printRow(out, rows.get(0), widths);
        int dashes = 0;
        for (int w : widths) {
            dashes += w + 3;
        }
        out.println("-".repeat(dashes));
        for (int r = 1; r < rows.size(); r++) {
            printRow(out, rows.get(r), widths);
        }
    }

    private static void printRow(PrintWriter out, String[] row, int[] widths) {
        StringBuilder line = new StringBuilder(" ");
        for (int i = 0; i < row.length; i++) {
            line.append(row[i]);
            if (i < row.length - 1) {
                line.append(" ".repeat(widths[i] - row[i].codePointCount(0, row[i].length()))).append("   ");
            }
        }
        out.println(line);
    }
}
