package io.pushline.app;

import java.io.PrintWriter;
import java.util.List;

/** A plain-text table for the command line: columns two spaces apart, each as wide as its widest cell. */
final class TextTable {
    private TextTable() {
    }

    /**
     * Prints {@code rows} (the first is the header), left-aligned up to column {@code rightAlignedFrom} and
     * right-aligned from it on (numbers).
     */
    static void print(PrintWriter out, List<String[]> rows, int rightAlignedFrom) {
        int columns = rows.get(0).length;
        int[] widths = new int[columns];
        for (String[] row : rows) {
            for (int i = 0; i < columns; i++) {
                widths[i] = Math.max(widths[i], row[i].length());
            }
        }
        for (String[] row : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < columns; i++) {
                line.append(String.format(i >= rightAlignedFrom ? "%" + widths[i] + "s  " : "%-" + widths[i] + "s  ", row[i]));
            }
            out.println(line.toString().stripTrailing());
        }
    }
}
