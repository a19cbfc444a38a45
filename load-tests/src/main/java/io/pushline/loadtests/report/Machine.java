package io.pushline.loadtests.report;

import java.util.Objects;

/**
 * The machine and JVM a run measured, so that figures from different machines are not compared as equals.
 *
 * @param cores available processors
 * @param jvmVersion {@code java.version}, e.g. {@code 17.0.15}
 * @param jvmVendor {@code java.vendor}
 * @param os name, version and architecture, e.g. {@code Linux 6.1.0 amd64}
 * @param maxHeapMb the heap limit ({@code -Xmx}) in MiB
 */
public record Machine(int cores, String jvmVersion, String jvmVendor, String os, long maxHeapMb) {

    /** Rejects null text. */
    public Machine {
        Objects.requireNonNull(jvmVersion, "Machine.jvmVersion");
        Objects.requireNonNull(jvmVendor, "Machine.jvmVendor");
        Objects.requireNonNull(os, "Machine.os");
    }

    /** This JVM and the machine it runs on. */
    public static Machine current() {
        return new Machine(
                Runtime.getRuntime().availableProcessors(),
                System.getProperty("java.version", "unknown"),
                System.getProperty("java.vendor", "unknown"),
                System.getProperty("os.name", "unknown") + " " + System.getProperty("os.version", "") + " "
                        + System.getProperty("os.arch", ""),
                Runtime.getRuntime().maxMemory() / (1024 * 1024));
    }
}
