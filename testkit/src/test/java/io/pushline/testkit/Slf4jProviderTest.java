package io.pushline.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import org.slf4j.spi.SLF4JServiceProvider;

/** The test kit drags in Kafka's broker; it must not drag in a second SLF4J provider next to logback. */
class Slf4jProviderTest {

    @Test
    void exactlyOneSlf4jProviderAndItIsLogback() {
        List<String> providers = new ArrayList<>();
        ServiceLoader.load(SLF4JServiceProvider.class).forEach(p -> providers.add(p.getClass().getName()));

        assertThat(providers).containsExactly("ch.qos.logback.classic.spi.LogbackServiceProvider");
        assertThat(LoggerFactory.getILoggerFactory().getClass().getName()).startsWith("ch.qos.logback.");
    }

    @Test
    void noSlf4j1StyleBindingEither() {
        assertThat(Slf4jProviderTest.class.getClassLoader().getResource("org/slf4j/impl/StaticLoggerBinder.class")).isNull();
    }
}
