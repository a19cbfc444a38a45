package io.pushline.loadtests;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Where this JVM's CPU went over an interval, by thread group: the pipeline's roles, the provider clients, the mock
 * providers, the ingest and the harness all run in the bench JVM under names of their own, so a per-thread reading
 * says which of them a figure's CPU belongs to. The JVM's own share (GC, JIT, and threads that ended during the
 * interval) is the process total less the Java threads still alive at its end.
 *
 * <p>Made at the start of an interval ({@link #start()}), read at its end; not thread-safe.
 */
final class ThreadCpu {
    static final String JVM = "JVM (GC, JIT, ended threads)";

    private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    private final Map<Long, Long> before;
    private final long processBefore;

    private ThreadCpu() {
        before = snapshot(threads);
        processBefore = CpuClock.ownNanos();
    }

    static ThreadCpu start() {
        return new ThreadCpu();
    }

    /** CPU nanoseconds since the start, by thread name (threads alive now). */
    Map<String, Long> nanosByThread() {
        Map<String, Long> byThread = new HashMap<>();
        for (Map.Entry<Long, Long> e : snapshot(threads).entrySet()) {
            long used = e.getValue() - before.getOrDefault(e.getKey(), 0L);
            ThreadInfo info = threads.getThreadInfo(e.getKey());
            if (used > 0 && info != null) {
                byThread.merge(info.getThreadName(), used, Long::sum);
            }
        }
        return byThread;
    }

    /** CPU nanoseconds since the start by {@linkplain #group thread group}, largest first, {@link #JVM} included. */
    Map<String, Long> nanosByGroup() {
        Map<String, Long> byThread = nanosByThread();
        Map<String, Long> groups = new HashMap<>();
        long javaThreads = 0;
        for (Map.Entry<String, Long> e : byThread.entrySet()) {
            groups.merge(group(e.getKey()), e.getValue(), Long::sum);
            javaThreads += e.getValue();
        }
        groups.put(JVM, Math.max(0, CpuClock.ownNanos() - processBefore - javaThreads));
        Map<String, Long> sorted = new LinkedHashMap<>();
        groups.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                .forEach(e -> sorted.put(e.getKey(), e.getValue()));
        return sorted;
    }

    /** CPU nanoseconds by group (from {@link #nanosByGroup()}) as microseconds per unit of work (a push, a like, a request), rounded to 0.1. */
    static Map<String, Double> perUnit(Map<String, Long> nanosByGroup, long units) {
        Map<String, Double> per = new LinkedHashMap<>();
        nanosByGroup.forEach((group, nanos) -> per.put(group, units <= 0 ? 0 : Math.round(nanos / 100.0 / units) / 10.0));
        return per;
    }

    /** The thread group a thread's name belongs to. */
    static String group(String name) {
        if (name.contains("coordinators") && name.contains("StreamThread")) {
            return "coordinators' stream threads";
        }
        if (name.contains("StreamThread")) {
            return "topology's stream threads";
        }
        if (name.startsWith("kafka-producer-network-thread")) {
            return "producers' network threads";
        }
        if (name.startsWith("pushline-worker")) {
            return "workers' poll threads";
        }
        if (name.startsWith("pushline-receipts") || name.startsWith("pushline-follow")) {
            return "receipts and send-time checks";
        }
        if (name.startsWith("pushline-apns") || name.startsWith("pushline-fcm") || name.startsWith("pushline-guard")
                || name.startsWith("pushline-webpush")) {
            return "providers (APNs, FCM, web push clients)";
        }
        if (name.startsWith("pushline-mock-apns") || name.startsWith("pushline-fake-fcm") || name.startsWith("pushline-mock-webpush")) {
            return "mock providers";
        }
        if (name.startsWith("pushline-ingest")) {
            return "ingest";
        }
        if (name.startsWith("kafka-admin-client-thread") || name.startsWith("pushline-lag") || name.startsWith("pushline-expansion-gate")
                || name.startsWith("pushline-dashboard") || name.startsWith("kafka-coordinator-heartbeat-thread")) {
            return "heartbeats, lag, gate, dashboard";
        }
        return "other (bench harness)";
    }

    private static Map<Long, Long> snapshot(ThreadMXBean threads) {
        Map<Long, Long> nanos = new HashMap<>();
        for (long id : threads.getAllThreadIds()) {
            long cpu = threads.getThreadCpuTime(id);
            if (cpu >= 0) {
                nanos.put(id, cpu);
            }
        }
        return nanos;
    }
}
