package io.pushline.localkafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.ServerSocket;
import org.junit.jupiter.api.Test;

/** Chosen ports stay out of the kernel's ephemeral range, where an outgoing connection could take them first. */
class PortsTest {

    @Test
    void choosesFreePortsBelowTheEphemeralRange() throws Exception {
        int ephemeralStart = Ports.ephemeralStart();
        for (int i = 0; i < 50; i++) {
            int port = Ports.free();
            assertThat(port).isBetween(Ports.LOWEST, ephemeralStart - 1);
            try (ServerSocket bound = new ServerSocket(port, 1, InetAddress.getByName(BrokerFiles.HOST))) {
                assertThat(Ports.isFree(port)).as("a port in use").isFalse();
            }
        }
    }
}
