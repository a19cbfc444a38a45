package io.pushline.contracts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigInteger;
import java.security.KeyPairGenerator;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

/** WEBPUSH devices and tasks: the browser's PushSubscription JSON, the derived token, and what is refused. */
class WebPushContractTest {
  private static final CloudEventCodec CODEC = new CloudEventCodec();
  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
  static final String ENDPOINT = "https://fcm.googleapis.com/fcm/send/dpH5lCsTSSM:APA91bHqjZxM0VImWWqDRN7U0a3AycjUf4O-byuxb_"
      + "wJsKRaKvV_iKw56s16ekq6FUqoCF7k2nICUpd8fHPxVTgqLunFeVeB9lLCQZyohyAztTH8ZQL9WCxKpA6dvTG_TUIhQUFq_n";
  static final String P256DH = p256dh();
  static final String AUTH = B64.encodeToString(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16});

  private static String p256dh() {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"));
      ECPublicKey key = (ECPublicKey) g.generateKeyPair().getPublic();
      byte[] point = new byte[65];
      point[0] = 4;
      copy32(key.getW().getAffineX(), point, 1);
      copy32(key.getW().getAffineY(), point, 33);
      return B64.encodeToString(point);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static void copy32(BigInteger n, byte[] out, int at) {
    byte[] b = n.toByteArray();
    int len = Math.min(b.length, 32);
    System.arraycopy(b, b.length - len, out, at + 32 - len, len);
  }

  /** A registration as a web app sends it: its subscription exactly as {@code PushSubscription.toJSON()} gives it. */
  private static String registration(String tokenField, String subscription) {
    return "{\"userId\":\"user-1\"," + tokenField + "\"platform\":\"WEBPUSH\",\"appId\":\"web.example\","
        + "\"registeredAt\":\"2026-12-06T12:00:00Z\",\"subscription\":" + subscription + "}";
  }

  private static String subscription(String endpoint, String p256dh, String auth) {
    return "{\"endpoint\":\"" + endpoint + "\",\"expirationTime\":null,\"keys\":{\"p256dh\":\"" + p256dh + "\",\"auth\":\"" + auth + "\"}}";
  }

  private static Decoded decode(EventType type, String json) {
    return CODEC.decode(Samples.headers(type.ceType()), Samples.utf8(json));
  }

  @Test
  void theTokenIsDerivedFromTheEndpointTheSameWayInEveryLanguage() {
    // Computed outside Java: python3 -c "import hashlib,base64; print('wp-' + base64.urlsafe_b64encode(
    //   hashlib.sha256(endpoint.encode()).digest()).decode().rstrip('='))"
    assertThat(PushSubscription.tokenOf(ENDPOINT)).isEqualTo("wp-leF9ZJFdm0-BNlsajtwUj9IvqeoobvzQJCM0EbrkkRw");
    Decoded decoded = decode(EventType.DEVICE_REGISTERED, registration("", subscription(ENDPOINT, P256DH, AUTH)));
    assertThat(decoded).isInstanceOf(Decoded.Ok.class);
    DeviceRegistered device = (DeviceRegistered) ((Decoded.Ok) decoded).envelope().data();
    assertThat(device.token()).isEqualTo("wp-leF9ZJFdm0-BNlsajtwUj9IvqeoobvzQJCM0EbrkkRw");
    assertThat(device.platform()).isEqualTo(Platform.WEBPUSH);
    assertThat(device.subscription()).isEqualTo(new PushSubscription(ENDPOINT, null, new PushSubscription.Keys(P256DH, AUTH)));
    assertThat(EventType.DEVICE_REGISTERED.keyOf(device)).isEqualTo(device.token());
  }

  @Test
  void anAppsOwnTokenForTheBrowserIsKept() {
    Decoded decoded = decode(EventType.DEVICE_REGISTERED,
        registration("\"token\":\"web-install-42\",", subscription(ENDPOINT, P256DH, AUTH)));
    assertThat(((DeviceRegistered) ((Decoded.Ok) decoded).envelope().data()).token()).isEqualTo("web-install-42");
  }

  @Test
  void aWebRegistrationAndAWebTaskSurviveTheRoundTrip() {
    PushSubscription subscription = new PushSubscription("http://127.0.0.1:8443/push/abc", 1_900_000_000_000L,
        new PushSubscription.Keys(P256DH + "=", AUTH + "=="));   // padded keys are accepted as given
    DeviceRegistered device = new DeviceRegistered("user-1", null, Platform.WEBPUSH, "web.example",
        Samples.T0, subscription);
    PushTask task = new PushTask(PushIds.pushId("urn:pushline:test", Samples.EVENT_ID, device.token()), Samples.EVENT_ID,
        "user-1", device.token(), Platform.WEBPUSH, "web.example", "Hi", "there", Map.of("k", "v"), "post-1", 60,
        Priority.HIGH, Lane.BULK, null, null, null, subscription);
    for (EventData data : List.of(device, task)) {
      ProducerRecord<String, byte[]> record = CODEC.toRecord("t", Envelope.of(Samples.EVENT_ID, Samples.SOURCE, Samples.T0, data));
      for (CloudEventCodec codec : List.of(CODEC, CODEC.trusting(data.type()))) {
        Decoded decoded = codec.decode(record.headers(), record.value());
        assertThat(decoded).isInstanceOf(Decoded.Ok.class);
        assertThat(((Decoded.Ok) decoded).envelope().data()).isEqualTo(data);
      }
    }
  }

  @Test
  void badSubscriptionsAreRefusedNamingTheField() {
    String shortKey = B64.encodeToString(new byte[64]);
    String compressedPoint = B64.encodeToString(Arrays.copyOf(new byte[] {2}, 65));
    Map<String, String> cases = new java.util.LinkedHashMap<>();
    cases.put(subscription("http://push.example.com/x", P256DH, AUTH), "subscription.endpoint: must match");
    cases.put(subscription("ftp://127.0.0.1/x", P256DH, AUTH), "subscription.endpoint: must match");
    cases.put(subscription("https://user@push.example.com/x", P256DH, AUTH), "subscription.endpoint: must match");
    cases.put(subscription("https://push.example.com", P256DH, AUTH), "subscription.endpoint: must match");
    cases.put(subscription("https://push.example.com/" + "x".repeat(2048), P256DH, AUTH), "subscription.endpoint: must be at most 2048");
    cases.put(subscription(ENDPOINT, shortKey, AUTH), "subscription.keys.p256dh: must match");
    cases.put(subscription(ENDPOINT, compressedPoint, AUTH), "subscription.keys.p256dh: must match");
    byte[] ones = new byte[65];
    Arrays.fill(ones, (byte) 0xff);
    ones[0] = 4;
    cases.put(subscription(ENDPOINT, Base64.getEncoder().encodeToString(ones), AUTH),
        "subscription.keys.p256dh: must match");   // base64 ('/'), not base64url
    cases.put(subscription(ENDPOINT, P256DH, B64.encodeToString(new byte[15])), "subscription.keys.auth: must match");
    cases.put(subscription(ENDPOINT, P256DH, B64.encodeToString(new byte[17])), "subscription.keys.auth: must match");
    cases.put("{\"endpoint\":\"" + ENDPOINT + "\",\"keys\":{\"p256dh\":\"" + P256DH + "\",\"auth\":\"" + AUTH
        + "\",\"extra\":\"1\"}}", "subscription.keys.extra: unknown property");
    cases.put("{\"endpoint\":\"" + ENDPOINT + "\"}", "subscription.keys: required property missing");
    cases.put("{\"endpoint\":\"" + ENDPOINT + "\",\"expirationTime\":-1,\"keys\":{\"p256dh\":\"" + P256DH + "\",\"auth\":\""
        + AUTH + "\"}}", "subscription.expirationTime: must have a minimum value of 0");
    cases.put("null", "subscription: must be object but was null");
    cases.forEach((subscription, detail) -> {
      Decoded decoded = decode(EventType.DEVICE_REGISTERED, registration("", subscription));
      assertThat(decoded).as(subscription).isInstanceOf(Decoded.Invalid.class);
      assertThat(((Decoded.Invalid) decoded).detail()).as(subscription).contains(detail).doesNotContain(P256DH, "fcm/send");
    });
  }

  @Test
  void aWebDeviceNeedsItsSubscriptionAndOthersMayNotHaveOne() throws Exception {
    Decoded noSubscription = decode(EventType.DEVICE_REGISTERED,
        "{\"userId\":\"u\",\"platform\":\"WEBPUSH\",\"appId\":\"a\",\"registeredAt\":\"2026-12-06T12:00:00Z\"}");
    assertThat(((Decoded.Invalid) noSubscription).detail()).contains("subscription: required property missing");
    ObjectNode apns = (ObjectNode) Json.MAPPER.valueToTree(Samples.all().get(EventType.DEVICE_REGISTERED));
    apns.set("subscription", Json.MAPPER.readTree(subscription(ENDPOINT, P256DH, AUTH)));
    assertThat(((Decoded.Invalid) decode(EventType.DEVICE_REGISTERED, apns.toString())).detail())
        .contains("subscription: must be null but was object");
    apns.remove("subscription");
    apns.remove("token");
    assertThat(((Decoded.Invalid) decode(EventType.DEVICE_REGISTERED, apns.toString())).detail())
        .contains("token: required property missing");
    ObjectNode task = (ObjectNode) Json.MAPPER.valueToTree(Samples.all().get(EventType.PUSH_TASK));
    task.put("platform", "WEBPUSH");
    assertThat(((Decoded.Invalid) decode(EventType.PUSH_TASK, task.toString())).detail())
        .contains("webPush: required property missing");
    // The record holds the same rules for the trusted path, which skips the schema.
    assertThat(CODEC.trusting(EventType.PUSH_TASK).decode(Samples.headers(EventType.PUSH_TASK.ceType()), Samples.utf8(task.toString())))
        .isInstanceOf(Decoded.Invalid.class);
    assertThatThrownBy(() -> new DeviceRegistered("u", "tok-12345", Platform.APNS, "a", Samples.T0,
        new PushSubscription(ENDPOINT, null, new PushSubscription.Keys(P256DH, AUTH))))
        .hasMessageContaining("subscription is for WEBPUSH only");
    assertThatThrownBy(() -> new PushSubscription("http://10.0.0.1/x", null, new PushSubscription.Keys(P256DH, AUTH)))
        .hasMessageContaining("http: only to a loopback");
  }

  @Test
  void theSchemaAndTheRecordAgreeOnKeys() {
    SplittableRandom random = new SplittableRandom(18);
    for (int i = 0; i < 2_000; i++) {
      byte[] point = new byte[63 + random.nextInt(5)];
      for (int j = 0; j < point.length; j++) {
        point[j] = (byte) random.nextInt(256);
      }
      if (random.nextBoolean()) {
        point[0] = 4;
      }
      byte[] secret = new byte[15 + random.nextInt(3)];
      String p = random.nextBoolean() ? B64.encodeToString(point) : Base64.getUrlEncoder().encodeToString(point);
      String a = random.nextBoolean() ? B64.encodeToString(secret) : Base64.getUrlEncoder().encodeToString(secret);
      boolean schemaOk = decode(EventType.DEVICE_REGISTERED, registration("", subscription(ENDPOINT, p, a))) instanceof Decoded.Ok;
      boolean recordOk;
      try {
        new PushSubscription.Keys(p, a);
        recordOk = true;
      } catch (IllegalArgumentException e) {
        recordOk = false;
      }
      assertThat(schemaOk).as("p256dh %s, auth %s", p, a).isEqualTo(recordOk);
    }
  }

  @Test
  void everySchemaWithAPlatformNamesEveryPlatform() {
    // A receipt of a web push was refused by the receipts schema once (its enum had two platforms): never again.
    for (EventType type : EventType.values()) {
      com.fasterxml.jackson.databind.JsonNode platform = Schemas.document(type).path("properties").path("platform");
      if (!platform.isMissingNode()) {
        List<String> names = new java.util.ArrayList<>();
        platform.path("enum").forEach(n -> names.add(n.asText()));
        assertThat(names).as(type.schemaName()).containsExactly(Arrays.stream(Platform.values()).map(Enum::name).toArray(String[]::new));
      }
    }
    PushReceipt receipt = new PushReceipt("p-1", Samples.EVENT_ID, PushSubscription.tokenOf(ENDPOINT), Platform.WEBPUSH,
        ReceiptStatus.DELIVERED, null, null, Samples.T0);
    ProducerRecord<String, byte[]> record = CODEC.toRecord("t", Envelope.of(Samples.EVENT_ID, Samples.SOURCE, Samples.T0, receipt));
    assertThat(((Decoded.Ok) CODEC.decode(record.headers(), record.value())).envelope().data()).isEqualTo(receipt);
  }

  @Test
  void nothingShowsTheEndpointPathOrTheKeys() {
    PushSubscription subscription = new PushSubscription(ENDPOINT, null, new PushSubscription.Keys(P256DH, AUTH));
    DeviceRegistered device = new DeviceRegistered("user-1", null, Platform.WEBPUSH, "web.example", Samples.T0, subscription);
    PushTask task = new PushTask("p", "e", "user-1", device.token(), Platform.WEBPUSH, "web.example", "t", "b", Map.of(),
        null, null, Priority.HIGH, Lane.HIGH, null, null, null, subscription);
    for (Object o : List.of(subscription, subscription.keys(), device, task)) {
      assertThat(o.toString()).doesNotContain("fcm/send", P256DH, AUTH, device.token());
    }
    assertThat(subscription.toString()).contains("https://fcm.googleapis.com");
  }
}
