package io.pushline.push;

import com.google.api.client.http.HttpTransport;
import com.google.api.client.http.javanet.NetHttpTransport;
import java.net.HttpURLConnection;
import java.net.MalformedURLException;
import java.net.URI;
import java.net.URL;
import java.util.Locale;

/**
 * An HTTP transport for the Firebase Admin SDK that sends what it addresses to
 * {@code https://fcm.googleapis.com} to another base URL (a fake server or an emulator), keeping
 * path and query. Anything else goes where it was addressed. The SDK offers no public way to set
 * the FCM host, but it accepts any {@link HttpTransport} in {@code FirebaseOptions}.
 */
final class FcmEndpoint {

    static final String FCM_HOST = "fcm.googleapis.com";

    private FcmEndpoint() {
    }

    static HttpTransport rewritingTransport(URI baseUrl) {
        String base = stripTrailingSlash(baseUrl.toString());
        return new NetHttpTransport.Builder()
                .setConnectionFactory(url -> (HttpURLConnection) rewrite(url, base).openConnection())
                .build();
    }

    static URL rewrite(URL url, String base) throws MalformedURLException {
        if ("https".equals(url.getProtocol()) && FCM_HOST.equals(url.getHost().toLowerCase(Locale.ROOT))) {
            return URI.create(base + url.getFile()).toURL();
        }
        return url;
    }

    /** @throws IllegalArgumentException naming the endpoint when it is not an absolute http(s) URI without query or fragment */
    static URI validate(URI endpoint) {
        String scheme = endpoint.getScheme();
        if (scheme == null || !(scheme.equalsIgnoreCase("http") || scheme.equalsIgnoreCase("https"))
                || endpoint.getHost() == null || endpoint.getRawQuery() != null || endpoint.getRawFragment() != null) {
            throw new IllegalArgumentException("endpoint must be an absolute http(s) URI without query or fragment, was " + endpoint);
        }
        return endpoint;
    }

    private static String stripTrailingSlash(String url) {
        String result = url;
        while (result.endsWith("/")) {
            result = result.substring(0, result.length() - 1);
        }
        return result;
    }
}
