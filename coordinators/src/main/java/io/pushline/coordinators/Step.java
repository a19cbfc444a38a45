package io.pushline.coordinators;

/**
 * What runs in one state of a flow. A step emits its effects through {@link StepContext#emit} and they count only if it
 * returns normally: a step that throws has emitted nothing. It must not block (it runs on the stream thread) and must
 * be safe to run again: after a crash, the step that was running is run again and its records carry the same ids.
 */
@FunctionalInterface
public interface Step {
    /**
     * @throws PermanentStepFailure when another try cannot help; the coordinator is parked at once
     * @throws Exception            for anything else; retried with backoff if the flow deems it retryable
     */
    void run(StepContext context) throws Exception;
}
