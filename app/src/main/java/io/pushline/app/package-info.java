/**
 * The {@code pushline} command, and nothing else: picocli commands that parse options (with messages naming the option
 * and the bad value, exit code 2), call a module and format its result as a table or JSON. Servers, Kafka logic and
 * services live in the modules named for them (ingest, admin, observability, pipeline, local-stack);
 * {@code DependencyDirectionTest} keeps servers out of this package.
 *
 * <p>May depend on every module but load-tests and the test kit.
 */
package io.pushline.app;
