/**
 * A real single-node KRaft broker run as a child process, for {@code pushline demo}: {@link io.pushline.localkafka.LocalBroker}.
 */
package io.pushline.localkafka;
