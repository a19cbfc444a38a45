package io.pushline.localkafka;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/** The last lines a child wrote to the log file since a given offset, for error messages. */
final class LogTail {

    static final int LINES = 20;
    private static final int MAX_BYTES = 64 * 1024;

    private LogTail() {}

    static long size(Path file) {
        try {
            return Files.exists(file) ? Files.size(file) : 0L;
        } catch (IOException e) {
            return 0L;
        }
    }

    static List<String> lastLines(Path file, long fromOffset, int lines) {
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "r")) {
            long end = raf.length();
            long start = Math.max(fromOffset, end - MAX_BYTES);
            if (start >= end) {
                return List.of();
            }
            byte[] bytes = new byte[(int) (end - start)];
            raf.seek(start);
            raf.readFully(bytes);
            List<String> all = Arrays.asList(new String(bytes, StandardCharsets.UTF_8).split("\\R"));
            return all.subList(Math.max(0, all.size() - lines), all.size());
        } catch (IOException e) {
            return List.of("(could not read " + file + ": " + e.getMessage() + ")");
        }
    }

    /** "last lines of FILE:" and the lines, indented; or a note that the child wrote nothing. */
    static String describe(Path file, long fromOffset) {
        List<String> lines = lastLines(file, fromOffset, LINES);
        if (lines.isEmpty() || lines.stream().allMatch(String::isBlank)) {
            return "it wrote nothing to " + file;
        }
        return "last lines of " + file + ":\n    " + String.join("\n    ", lines);
    }
}
