package io.pushline.loadtests;

import io.pushline.localstack.LocalStack;

import java.lang.management.ManagementFactory;
import java.time.Duration;

/**
 * CPU time used so far by this JVM (the pipeline's roles and the mock providers) and, when the stack started one, the
 * local broker's process: the cost per push of a scenario is the difference of two readings over the pushes between
 * them. Unlike a rate, it does not depend on what else the machine does at the time.
 */
final class CpuClock {
    private CpuClock() {
    }

    /** This JVM's CPU time, in nanoseconds. */
    static long ownNanos() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getProcessCpuTime();
        }
        return 0;
    }

    /** This JVM's CPU time plus the local broker's, in nanoseconds. */
    static long withBrokerNanos(LocalStack stack) {
        return ownNanos() + brokerNanos(stack);
    }

    /** The local broker's CPU time, in nanoseconds (0 without a local broker). */
    static long brokerNanos(LocalStack stack) {
        return stack.brokerPid() < 0 ? 0 : ProcessHandle.of(stack.brokerPid())
                .flatMap(h -> h.info().totalCpuDuration()).map(Duration::toNanos).orElse(0L);
    }
}
