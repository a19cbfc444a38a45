package io.pushline.push;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.URL;
import org.junit.jupiter.api.Test;

class FcmEndpointTest {

    @Test
    void rewritesOnlyFcmKeepingPathAndQuery() throws Exception {
        URL send = URI.create("https://fcm.googleapis.com/v1/projects/p/messages:send?x=1").toURL();
        URL oauth = URI.create("https://oauth2.googleapis.com/token").toURL();

        assertThat(FcmEndpoint.rewrite(send, "http://127.0.0.1:8080/emulator"))
                .hasToString("http://127.0.0.1:8080/emulator/v1/projects/p/messages:send?x=1");
        assertThat(FcmEndpoint.rewrite(oauth, "http://127.0.0.1:8080")).isSameAs(oauth);
    }
}
