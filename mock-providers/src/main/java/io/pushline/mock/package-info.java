/**
 * Stand-ins for the push providers, speaking their real wire protocols on loopback.
 *
 * <p>{@link io.pushline.mock.MockApns} wraps Pushy's {@code MockApnsServer} (HTTP/2 over TLS);
 * {@link io.pushline.mock.FakeFcm} implements FCM HTTP v1 {@code messages:send} over plain HTTP;
 * {@link io.pushline.mock.MockWebPush} is a web push service (RFC 8030) that decrypts every push and checks its VAPID
 * authorization with crypto of its own. All three record every accepted push in a {@link io.pushline.mock.PushLedger} and answer each push
 * as a pluggable {@link io.pushline.mock.Behaviour} decides, so tests, the demo and load tests can
 * script faults against the real client libraries. Nothing here depends on another Pushline module.
 */
package io.pushline.mock;
