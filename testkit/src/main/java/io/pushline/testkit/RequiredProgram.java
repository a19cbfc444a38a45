package io.pushline.testkit;

import org.junit.jupiter.api.Assumptions;

/**
 * For tests that need a program of their own (chromium, promtool, docker-compose, kcat): on a developer's machine
 * without it the test is skipped with the reason, but under {@code CI=true} it fails, so a CI run can never go green
 * without running it ({@code .ci/run} installs them).
 */
public final class RequiredProgram {
    private RequiredProgram() {
    }

    /**
     * Skips the calling test with {@code reason} when {@code present} is false, or fails it when the environment
     * variable {@code CI} is {@code true}.
     */
    public static void require(boolean present, String reason) {
        if (present) {
            return;
        }
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
            throw new AssertionError("CI=true and a program this test needs is missing: " + reason);
        }
        Assumptions.assumeTrue(false, reason);
    }
}
