package io.pushline.testkit;

import static java.lang.annotation.ElementType.TYPE;
import static java.lang.annotation.RetentionPolicy.RUNTIME;
import static java.util.concurrent.TimeUnit.MINUTES;

import java.lang.annotation.Documented;
import java.lang.annotation.Retention;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Marks a test class as an integration test against the shared real Kafka broker of this JVM.
 *
 * <p>The class is tagged {@code integration} (so {@code -DskipITs} leaves it out), every test method gets a
 * five-minute timeout, and {@link KafkaBroker} can be injected into constructors and methods. Which broker runs
 * is chosen by the {@code pushline.kafka} system property; see {@link KafkaBrokerExtension}.
 */
@Documented
@Target(TYPE)
@Retention(RUNTIME)
@Tag("integration")
@ExtendWith(KafkaBrokerExtension.class)
@Timeout(value = 5, unit = MINUTES)
public @interface KafkaIntegrationTest {}
