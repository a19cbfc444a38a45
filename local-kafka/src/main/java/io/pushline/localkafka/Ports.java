package io.pushline.localkafka;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;

/** Port checks on 127.0.0.1, done before launching so a taken port fails fast with a clear message. */
final class Ports {

    private Ports() {}

    /** A port that was free a moment ago; the child may still lose a race for it, and then fails to start. */
    static int free() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(BrokerFiles.HOST))) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new LocalBrokerException("cannot find a free port on " + BrokerFiles.HOST + ": " + e.getMessage(), e);
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
