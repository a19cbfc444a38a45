package io.pushline.mock;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import javax.crypto.Cipher;
import javax.crypto.KeyAgreement;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.util.Arrays;
import java.util.Base64;

/**
 * The receiving side of web push, on the JDK's own crypto and written apart from any sender library, so that a test
 * of a sender against {@link MockWebPush} checks it against an independent reading of the RFCs:
 * <ul>
 *   <li>RFC 8291 / RFC 8188 ({@code aes128gcm}): the body's header (salt, record size, the sender's ephemeral P-256
 *       key), ECDH with the subscriber's private key, the two HKDF steps keyed by the subscription's auth secret,
 *       AES-128-GCM, and the padding delimiter of a single last record;</li>
 *   <li>RFC 8292 (VAPID): the {@code vapid t=JWT, k=KEY} authorization, an ES256 JWT checked with the key {@code k}.</li>
 * </ul>
 * Every failure is a {@link GeneralSecurityException} or {@link IllegalArgumentException} with a reason a test can
 * read; nothing secret goes into one. Stateless.
 */
final class WebPushCrypto {
    static final Base64.Encoder B64URL = Base64.getUrlEncoder().withoutPadding();
    static final Base64.Decoder B64URL_DECODER = Base64.getUrlDecoder();
    private static final ECParameterSpec P256 = p256();
    private static final ObjectMapper JSON = new ObjectMapper();

    private WebPushCrypto() {
    }

    /** A new P-256 key pair (a subscriber's, or a test's VAPID keys). */
    static KeyPair newKeyPair() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"));
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("P-256 is part of every Java platform", e);
        }
    }

    /** The 65-byte uncompressed form (0x04, x, y) of a P-256 public key, as {@code p256dh} and VAPID's {@code k} carry it. */
    static byte[] uncompressed(ECPublicKey key) {
        byte[] out = new byte[65];
        out[0] = 4;
        put32(key.getW().getAffineX(), out, 1);
        put32(key.getW().getAffineY(), out, 33);
        return out;
    }

    /** The P-256 public key of a 65-byte uncompressed point. */
    static ECPublicKey publicKey(byte[] uncompressed) throws GeneralSecurityException {
        if (uncompressed.length != 65 || uncompressed[0] != 4) {
            throw new GeneralSecurityException("not an uncompressed P-256 point (65 bytes starting 0x04), " + uncompressed.length + " bytes");
        }
        ECPoint point = new ECPoint(new BigInteger(1, Arrays.copyOfRange(uncompressed, 1, 33)),
                new BigInteger(1, Arrays.copyOfRange(uncompressed, 33, 65)));
        return (ECPublicKey) KeyFactory.getInstance("EC").generatePublic(new ECPublicKeySpec(point, P256));
    }

    /**
     * The plaintext of an {@code aes128gcm} web push body (RFC 8291), for the subscriber with {@code keys} (its private
     * key and the 65-byte public key it published as {@code p256dh}) and its 16-byte {@code auth} secret.
     */
    static byte[] decrypt(byte[] body, KeyPair keys, byte[] auth) throws GeneralSecurityException {
        ByteBuffer in = ByteBuffer.wrap(body);
        if (body.length < 16 + 4 + 1) {
            throw new GeneralSecurityException("body shorter than the aes128gcm header");
        }
        byte[] salt = new byte[16];
        in.get(salt);
        long recordSize = Integer.toUnsignedLong(in.getInt());
        int idLength = in.get() & 0xff;
        if (idLength != 65 || in.remaining() < idLength + 17) {
            throw new GeneralSecurityException("the header's key id is not a 65-byte P-256 key (was " + idLength + " bytes)");
        }
        byte[] senderKey = new byte[65];
        in.get(senderKey);
        byte[] ciphertext = new byte[in.remaining()];
        in.get(ciphertext);
        if (recordSize < 18 || ciphertext.length > recordSize) {
            throw new GeneralSecurityException("one record expected: " + ciphertext.length + " bytes of ciphertext, record size " + recordSize);
        }
        KeyAgreement agreement = KeyAgreement.getInstance("ECDH");
        agreement.init(keys.getPrivate());
        agreement.doPhase(publicKey(senderKey), true);
        byte[] ecdhSecret = agreement.generateSecret();
        byte[] receiverKey = uncompressed((ECPublicKey) keys.getPublic());
        byte[] keyInfo = concat("WebPush: info\0".getBytes(StandardCharsets.US_ASCII), receiverKey, senderKey);
        byte[] ikm = hkdf(auth, ecdhSecret, keyInfo, 32);
        byte[] cek = hkdf(salt, ikm, "Content-Encoding: aes128gcm\0".getBytes(StandardCharsets.US_ASCII), 16);
        byte[] nonce = hkdf(salt, ikm, "Content-Encoding: nonce\0".getBytes(StandardCharsets.US_ASCII), 12);
        Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
        cipher.init(Cipher.DECRYPT_MODE, new SecretKeySpec(cek, "AES"), new GCMParameterSpec(128, nonce));
        byte[] padded = cipher.doFinal(ciphertext);
        // The last (here, only) record ends with the delimiter 0x02, then zero padding.
        int end = padded.length - 1;
        while (end >= 0 && padded[end] == 0) {
            end--;
        }
        if (end < 0 || padded[end] != 2) {
            throw new GeneralSecurityException("no last-record delimiter (0x02) after the plaintext");
        }
        return Arrays.copyOf(padded, end);
    }

    /**
     * Checks a VAPID {@code Authorization} header ({@code vapid t=JWT, k=KEY}): the JWT is ES256, signed by {@code k},
     * its {@code aud} is {@code origin}, its {@code exp} is in the future and at most 24 h ahead of {@code nowSeconds},
     * and it names a {@code sub}. Returns {@code k} (base64url) for the caller to compare with the key the subscription
     * was made for.
     *
     * @throws GeneralSecurityException naming what is wrong
     */
    static String verifyVapid(String authorization, String origin, long nowSeconds) throws GeneralSecurityException {
        if (authorization == null || !authorization.regionMatches(true, 0, "vapid ", 0, 6)) {
            throw new GeneralSecurityException("no 'Authorization: vapid t=..., k=...' header");
        }
        String token = null;
        String key = null;
        for (String part : authorization.substring(6).split(",")) {
            String p = part.trim();
            if (p.startsWith("t=")) {
                token = p.substring(2);
            } else if (p.startsWith("k=")) {
                key = p.substring(2);
            }
        }
        if (token == null || key == null) {
            throw new GeneralSecurityException("the vapid authorization lacks t= or k=");
        }
        String[] jwt = token.split("\\.");
        if (jwt.length != 3) {
            throw new GeneralSecurityException("t= is not a JWT (three dot-separated parts)");
        }
        JsonNode header = json(jwt[0], "header");
        if (!"ES256".equals(header.path("alg").asText(null))) {
            throw new GeneralSecurityException("the JWT is not ES256: " + header);
        }
        Signature verifier = Signature.getInstance("SHA256withECDSAinP1363Format");
        verifier.initVerify(publicKey(B64URL_DECODER.decode(key)));
        verifier.update((jwt[0] + "." + jwt[1]).getBytes(StandardCharsets.US_ASCII));
        if (!verifier.verify(B64URL_DECODER.decode(jwt[2]))) {
            throw new GeneralSecurityException("the JWT's ES256 signature does not verify with k=");
        }
        JsonNode claims = json(jwt[1], "claims");
        String aud = claims.path("aud").asText(null);
        if (!origin.equals(aud)) {
            throw new GeneralSecurityException("aud is " + aud + ", not the push service's origin " + origin);
        }
        JsonNode exp = claims.path("exp");
        if (!exp.canConvertToLong()) {
            throw new GeneralSecurityException("exp is not a number: " + exp);
        }
        long expires = exp.asLong();
        if (expires <= nowSeconds || expires > nowSeconds + 24 * 3600) {
            throw new GeneralSecurityException("exp " + expires + " is not within the next 24 h of " + nowSeconds);
        }
        if (!claims.path("sub").isTextual()) {
            throw new GeneralSecurityException("no sub claim (a mailto: or https: contact)");
        }
        return key;
    }

    /** A JWT part (base64url JSON) as an object. */
    private static JsonNode json(String part, String what) throws GeneralSecurityException {
        try {
            JsonNode node = JSON.readTree(B64URL_DECODER.decode(part));
            if (node == null || !node.isObject()) {
                throw new GeneralSecurityException("the JWT's " + what + " is not a JSON object");
            }
            return node;
        } catch (IOException | IllegalArgumentException e) {
            throw new GeneralSecurityException("the JWT's " + what + " is not base64url JSON");
        }
    }

    /** HKDF-SHA256 (RFC 5869): extract with {@code salt}, expand with {@code info} to {@code length} (≤ 32) bytes. */
    static byte[] hkdf(byte[] salt, byte[] ikm, byte[] info, int length) throws GeneralSecurityException {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(salt, "HmacSHA256"));
        byte[] prk = mac.doFinal(ikm);
        mac.init(new SecretKeySpec(prk, "HmacSHA256"));
        mac.update(info);
        mac.update((byte) 1);
        return Arrays.copyOf(mac.doFinal(), length);
    }

    private static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) {
            n += p.length;
        }
        byte[] out = new byte[n];
        int at = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }

    private static void put32(BigInteger value, byte[] out, int at) {
        byte[] raw = value.toByteArray();   // big-endian, possibly with a leading sign byte or fewer than 32 bytes
        int copy = Math.min(raw.length, 32);
        System.arraycopy(raw, raw.length - copy, out, at + 32 - copy, copy);
    }

    private static ECParameterSpec p256() {
        return ((ECPublicKey) newKeyPair().getPublic()).getParams();
    }
}
