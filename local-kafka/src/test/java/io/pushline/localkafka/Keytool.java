package io.pushline.localkafka;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Throwaway PKCS12 stores made by the JDK's {@code keytool}, passwords passed through the environment
 * ({@code -storepass:env}), never as arguments.
 */
final class Keytool {
    private static final String PASSWORD_ENV = "PUSHLINE_TEST_STORE_PASSWORD";

    private final Path dir;
    private final String password;

    Keytool(Path dir, String password) {
        this.dir = dir;
        this.password = password;
    }

    String password() {
        return password;
    }

    /** A self-signed EC key and certificate for {@code 127.0.0.1} and {@code localhost}, in {@code <name>.p12}. */
    Path keyStore(String name) throws Exception {
        Path store = dir.resolve(name + ".p12");
        run("-genkeypair", "-alias", name, "-keyalg", "EC", "-groupname", "secp256r1", "-sigalg", "SHA256withECDSA",
                "-dname", "CN=" + name, "-ext", "SAN=ip:127.0.0.1,dns:localhost", "-validity", "2",
                "-storetype", "PKCS12", "-keystore", store.toString(), "-storepass:env", PASSWORD_ENV);
        return store;
    }

    /** A PKCS12 trust store trusting the certificates of {@code keyStores}. */
    Path trustStore(String name, Path... keyStores) throws Exception {
        Path store = dir.resolve(name + ".p12");
        for (Path keyStore : keyStores) {
            String alias = keyStore.getFileName().toString().replace(".p12", "");
            Path pem = dir.resolve(alias + ".pem");
            run("-exportcert", "-rfc", "-alias", alias, "-keystore", keyStore.toString(), "-storetype", "PKCS12",
                    "-storepass:env", PASSWORD_ENV, "-file", pem.toString());
            run("-importcert", "-noprompt", "-alias", alias, "-file", pem.toString(), "-storetype", "PKCS12",
                    "-keystore", store.toString(), "-storepass:env", PASSWORD_ENV);
        }
        return store;
    }

    private void run(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        command.addAll(List.of(args));
        Path out = dir.resolve("keytool.log");
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(out.toFile()));
        builder.environment().put(PASSWORD_ENV, password);
        Process process = builder.start();
        if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
            process.destroyForcibly();
            throw new IllegalStateException("keytool " + String.join(" ", args) + " failed: " + Files.readString(out, StandardCharsets.UTF_8));
        }
    }
}
