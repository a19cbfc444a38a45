/**
 * Bearer-token credentials shared by the HTTP ingest (publishers) and the admin API (admins): parsing the JSON that
 * lists them, hashing tokens with SHA-256, and comparing them in constant time.
 *
 * <p>Owns nothing else. Depends on no Pushline module (only Jackson); must never log or print a token or its hash.
 */
package io.pushline.credentials;
