package io.pushline.loadtests;

/**
 * The tag of the small end-to-end runs of the scenarios whose runs are the costliest ({@code bench history}: two brokers
 * and six pipeline starts; {@code bench idle}: a broker alone, then every role). They are left out of {@code ./mvnw
 * verify} by default (load-tests' pom sets {@code surefire.excludedGroups} to this tag), because beside the app
 * module's fault lanes on two cores they cost the suite minutes it does not have. Run them with
 * {@code ./mvnw -pl load-tests -am verify -Dsurefire.excludedGroups=none -Dtest='HistoryCommandTest,IdleCommandTest'
 * -Dsurefire.failIfNoSpecifiedTests=false}; their option checks run in every build.
 */
final class BenchRuns {
    static final String TAG = "bench-run";

    private BenchRuns() {
    }
}
