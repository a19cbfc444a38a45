/**
 * Everything Pushline needs on one machine, for the demo and the benchmarks: {@link io.pushline.localstack.LocalStack}
 * starts a real KRaft broker (a child process, from local-kafka) or uses a given cluster, the mock APNs and FCM servers
 * with real providers pointed at them ({@link io.pushline.localstack.MockProviders}), and every role through the
 * pipeline; it offers the waits and counts a verdict needs.
 *
 * <p>The only module besides the app that may use the test servers and the local broker. Never depends on ingest,
 * admin or the app.
 */
package io.pushline.localstack;
