package io.pushline.localkafka;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Ports on 127.0.0.1 for brokers and controllers, checked before launching so a taken port fails fast with a clear
 * message.
 *
 * <p>A chosen port is free when chosen and bound seconds later by a child JVM. If it came from the kernel's ephemeral
 * range (as port 0 gives), any outgoing connection on the machine, such as a Kafka client's, may take it meanwhile as
 * its local port, and the broker fails with "Address already in use" (it happened in CI). So {@link #free()} picks at
 * random below that range, where the kernel never assigns ports by itself: only another listener asking for that very
 * port can race us, and {@link #isFree} sees any that already did.
 */
final class Ports {

    /** The lowest port {@link #free()} picks; below it are many fixed services' ports. */
    static final int LOWEST = 20_000;
    /** Below the ephemeral ranges of Linux (32768) and macOS/Windows (49152) when the kernel's cannot be read. */
    private static final int DEFAULT_EPHEMERAL_START = 32_768;
    private static final Path LINUX_EPHEMERAL_RANGE = Path.of("/proc/sys/net/ipv4/ip_local_port_range");
    private static final int ATTEMPTS = 200;

    private Ports() {}

    /** A port that was free a moment ago, outside the ephemeral range; another listener may still take it first. */
    static int free() {
        int end = ephemeralStart();
        if (end - LOWEST >= 1_000) {
            for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
                int port = ThreadLocalRandom.current().nextInt(LOWEST, end);
                if (isFree(port)) {
                    return port;
                }
            }
        }
        // A kernel whose ephemeral range starts low (or a crowded machine): let it choose.
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(BrokerFiles.HOST))) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new LocalBrokerException("cannot find a free port on " + BrokerFiles.HOST + ": " + e.getMessage(), e);
        }
    }

    /** The first port the kernel hands out to outgoing connections (Linux's own setting; else a common default). */
    static int ephemeralStart() {
        try {
            // readAllLines, not readString: the JDK reads procfs files (size 0) wrongly with readString
            String[] range = String.join(" ", Files.readAllLines(LINUX_EPHEMERAL_RANGE)).trim().split("\\s+");
            return Integer.parseInt(range[0]);
        } catch (IOException | RuntimeException e) {
            return DEFAULT_EPHEMERAL_START;
        }
    }

    static boolean isFree(int port) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true); // as Kafka does: a port in TIME_WAIT is usable
            socket.bind(new InetSocketAddress(InetAddress.getByName(BrokerFiles.HOST), port), 1);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
