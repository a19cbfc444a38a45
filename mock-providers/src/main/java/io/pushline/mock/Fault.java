package io.pushline.mock;

/**
 * Provider-neutral failures a mock can answer with; each mock maps them onto its own wire format.
 *
 * <table>
 *   <caption>Wire format per mock</caption>
 *   <tr><th>fault</th><th>{@link MockApns}</th><th>{@link FakeFcm}</th></tr>
 *   <tr><td>UNREGISTERED</td><td>410 {@code Unregistered} + timestamp</td><td>404 {@code UNREGISTERED}</td></tr>
 *   <tr><td>BAD_DEVICE_TOKEN</td><td>400 {@code BadDeviceToken}</td><td>400 {@code INVALID_ARGUMENT} (registration token)</td></tr>
 *   <tr><td>TOO_MANY_REQUESTS</td><td>429 {@code TooManyRequests}</td><td>429 {@code QUOTA_EXCEEDED} (+ Retry-After)</td></tr>
 *   <tr><td>SERVICE_UNAVAILABLE</td><td>503 {@code ServiceUnavailable}</td><td>503 {@code UNAVAILABLE} (+ Retry-After)</td></tr>
 *   <tr><td>INTERNAL_ERROR</td><td>500 {@code InternalServerError}</td><td>500 {@code INTERNAL}</td></tr>
 *   <tr><td>CONNECTION_DROP</td><td>GOAWAY ({@code INTERNAL_ERROR}) and the connection closed, no answer to the push</td>
 *       <td>the connection closed without an answer</td></tr>
 * </table>
 */
public enum Fault {
    UNREGISTERED,
    BAD_DEVICE_TOKEN,
    TOO_MANY_REQUESTS,
    SERVICE_UNAVAILABLE,
    INTERNAL_ERROR,
    /** The connection is dropped instead of answering; the push is not recorded. */
    CONNECTION_DROP,
    /** APNs 400 {@code BadTopic}; FCM, which has no topics, answers 403 {@code SENDER_ID_MISMATCH} instead. */
    BAD_TOPIC,
    /** APNs 400 {@code TopicDisallowed}; FCM answers 403 {@code SENDER_ID_MISMATCH} instead. */
    TOPIC_DISALLOWED,
    /** APNs 413 {@code PayloadTooLarge}; FCM 400 {@code INVALID_ARGUMENT} ("message is too big"). */
    PAYLOAD_TOO_LARGE,
    /** FCM 403 {@code SENDER_ID_MISMATCH}; APNs answers 400 {@code TopicDisallowed}, its nearest equivalent. */
    SENDER_ID_MISMATCH,
    /** FCM 401 {@code THIRD_PARTY_AUTH_ERROR} (APNs certificate or key rejected); APNs answers 403 {@code InvalidProviderToken}. */
    THIRD_PARTY_AUTH_ERROR
}
