package io.pushline.app;

import io.pushline.admin.AccessControl;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.acl.AccessControlEntryFilter;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.errors.SecurityDisabledException;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourcePatternFilter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * {@code pushline acls}: the Kafka ACLs a principal needs for one Pushline role ({@link AccessControl}), printed, or
 * created through the Admin API with {@code --apply}. Applying is idempotent: bindings already there are counted, not
 * created again, and ACLs the principal holds beyond the role are reported and left alone.
 */
@Command(name = "acls", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Prints, or with --apply creates, the Kafka ACLs a principal needs for a Pushline role:",
                "pipeline (pushline run), publisher (writes pushline.events) or admin (pushline coordinators, pushline dlq)."},
        footer = {"", "Applying needs Alter on the cluster (a super user's settings in --kafka-config). Without --apply nothing is sent."})
final class AclsCommand implements Callable<Integer> {
    private static final int TIMEOUT_SECONDS = 30;

    enum Format { TABLE, KAFKA_ACLS }

    @Spec
    CommandSpec spec;

    @Mixin
    ClusterOptions cluster;

    @Option(names = "--principal", paramLabel = "User:NAME", required = true,
            description = "Whom to grant the role to: User: and a SASL user name or a client certificate's subject.")
    String principal;

    @Option(names = "--role", paramLabel = "ROLE", required = true, description = "pipeline, publisher or admin.")
    String role;

    @Option(names = "--apply", description = "Create the ACLs that are missing (idempotent), and report them.")
    boolean apply;

    @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "table",
            description = "Without --apply: table, or kafka-acls (the same ACLs as kafka-acls.sh command lines; default: ${DEFAULT-VALUE}).",
            converter = FormatConverter.class)
    Format format;

    @Override
    public Integer call() throws Exception {
        AccessControl.AclRole parsedRole;
        List<AclBinding> wanted;
        try {
            parsedRole = AccessControl.AclRole.parse(role);
            wanted = AccessControl.bindings(parsedRole, principal);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        if (apply && format != Format.TABLE) {
            throw new ParameterException(spec.commandLine(), "--format is for printing; --apply reports what it created as a table");
        }
        PrintWriter out = spec.commandLine().getOut();
        if (!apply) {
            if (format == Format.KAFKA_ACLS) {
                printKafkaAcls(out, wanted);
            } else {
                out.printf("ACLs of role %s for %s (allow, from any host):%n", parsedRole.label(), principal);
                printTable(out, wanted);
                out.printf("%d ACLs; `pushline acls --principal %s --role %s --apply` creates them.%n", wanted.size(), principal,
                        parsedRole.label());
            }
            return 0;
        }
        Map<String, Object> clients = cluster.clients(spec);
        return KafkaFailures.guarded(spec, "acls", clients, TIMEOUT_SECONDS + "s",
                "Alter on the cluster to create ACLs (use a super user's settings)", () -> applyAcls(clients, parsedRole, wanted));
    }

    private int applyAcls(Map<String, Object> clients, AccessControl.AclRole parsedRole, List<AclBinding> wanted) throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        try (Admin admin = Admin.create(clients)) {
            AclBindingFilter ofPrincipal = new AclBindingFilter(ResourcePatternFilter.ANY,
                    new AccessControlEntryFilter(principal, null, AclOperation.ANY, AclPermissionType.ANY));
            Collection<AclBinding> held;
            try {
                held = await(admin.describeAcls(ofPrincipal).values(), "describing the ACLs of " + principal);
            } catch (ExecutionException e) {
                if (e.getCause() instanceof SecurityDisabledException) {
                    spec.commandLine().getErr().println("acls: the cluster at " + clients.get("bootstrap.servers")
                            + " runs no authorizer (authorizer.class.name), so it has no ACLs to create: every"
                            + " authenticated principal may do anything there");
                    return 1;
                }
                throw unwrapped(e);
            }
            Set<AclBinding> present = new HashSet<>(held);
            List<AclBinding> missing = wanted.stream().filter(b -> !present.contains(b)).toList();
            if (!missing.isEmpty()) {
                try {
                    await(admin.createAcls(missing).all(), "creating " + missing.size() + " ACL(s)");
                } catch (ExecutionException e) {
                    throw unwrapped(e);
                }
            }
            out.printf("role %s for %s: created %d ACL(s), %d already there%n", parsedRole.label(), principal, missing.size(),
                    wanted.size() - missing.size());
            if (!missing.isEmpty()) {
                printTable(out, missing);
            }
            Set<AclBinding> needed = new HashSet<>(wanted);
            List<AclBinding> beyond = held.stream().filter(b -> !needed.contains(b)).toList();
            if (!beyond.isEmpty()) {
                out.printf("note: %s also holds %d ACL(s) that role %s does not define (left alone; another role's, or to be"
                        + " removed with kafka-acls --remove):%n", principal, beyond.size(), parsedRole.label());
                printTable(out, beyond);
            }
            return 0;
        }
    }

    /** An Admin future's cause, as thrown by the client, for {@link KafkaFailures}. */
    private static Exception unwrapped(ExecutionException e) {
        return e.getCause() instanceof Exception cause ? cause : e;
    }

    /** Waits for an Admin future within {@link #TIMEOUT_SECONDS}, failing as Kafka's clients do when it does not come. */
    private static <T> T await(org.apache.kafka.common.KafkaFuture<T> future, String what) throws Exception {
        try {
            return future.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new org.apache.kafka.common.errors.TimeoutException("no answer to " + what + " within " + TIMEOUT_SECONDS + "s");
        }
    }

    /** One row per resource pattern: type, pattern type, name, permission and its operations. */
    static void printTable(PrintWriter out, List<AclBinding> bindings) {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"RESOURCE", "PATTERN", "NAME", "PERMISSION", "OPERATIONS"});
        byResource(bindings).forEach((resource, entries) -> rows.add(new String[] {
                AccessControl.camelCase(resource.resourceType()), AccessControl.camelCase(resource.patternType()),
                resource.name(), AccessControl.camelCase(entries.get(0).entry().permissionType()),
                String.join(",", entries.stream().map(b -> AccessControl.camelCase(b.entry().operation())).toList())}));
        TextTable.print(out, rows, rows.get(0).length);
    }

    /** The same ACLs as kafka-acls.sh invocations, one per resource pattern, to run against the same cluster. */
    private void printKafkaAcls(PrintWriter out, List<AclBinding> bindings) {
        String commandConfig = cluster.kafkaConfig == null ? "ADMIN.properties" : cluster.kafkaConfig.toString();
        byResource(bindings).forEach((resource, entries) -> {
            StringBuilder line = new StringBuilder("kafka-acls.sh --bootstrap-server ").append(cluster.bootstrapServers)
                    .append(" --command-config ").append(shellQuoted(commandConfig))
                    .append(" --add --allow-principal ").append(shellQuoted(principal)).append(" --allow-host '*'");
            entries.forEach(b -> line.append(" --operation ").append(AccessControl.camelCase(b.entry().operation())));
            String option = switch (resource.resourceType()) {
                case TOPIC -> "--topic";
                case GROUP -> "--group";
                case TRANSACTIONAL_ID -> "--transactional-id";
                default -> throw new IllegalStateException("no role grants on " + resource.resourceType());
            };
            line.append(' ').append(option).append(' ').append(shellQuoted(resource.name()))
                    .append(" --resource-pattern-type ").append(resource.patternType().name().toLowerCase(Locale.ROOT));
            out.println(line);
        });
    }

    private static Map<ResourcePattern, List<AclBinding>> byResource(List<AclBinding> bindings) {
        Map<ResourcePattern, List<AclBinding>> byResource = new LinkedHashMap<>();
        for (AclBinding binding : bindings) {
            byResource.computeIfAbsent(binding.pattern(), r -> new ArrayList<>()).add(binding);
        }
        return byResource;
    }

    /** Single-quoted for a POSIX shell when it holds anything but plain name characters. */
    static String shellQuoted(String value) {
        return value.matches("[A-Za-z0-9._:/=@+-]+") ? value : "'" + value.replace("'", "'\\''") + "'";
    }

    /** {@code table} or {@code kafka-acls}, with the message naming both. */
    static final class FormatConverter implements picocli.CommandLine.ITypeConverter<Format> {
        @Override
        public Format convert(String value) {
            return switch (value) {
                case "table" -> Format.TABLE;
                case "kafka-acls" -> Format.KAFKA_ACLS;
                default -> throw new picocli.CommandLine.TypeConversionException("--format must be table or kafka-acls, was '" + value + "'");
            };
        }
    }
}
