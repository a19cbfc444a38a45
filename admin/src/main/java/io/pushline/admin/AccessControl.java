package io.pushline.admin;


import io.pushline.contracts.Lane;
import io.pushline.contracts.TopicSpec;
import io.pushline.contracts.Topics;
import io.pushline.coordinators.CoordinatorTopology;
import io.pushline.topology.StreamsSettings;
import io.pushline.workers.RetryTopics;
import io.pushline.workers.WorkerConfig;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The Kafka ACLs each kind of Pushline principal needs, and nothing more: the one place that says who may do what on
 * a cluster with an authorizer ({@code pushline acls} prints and applies them; {@code AccessControlIntegrationTest}
 * runs each role with exactly these). Every binding allows, from any host; nothing here denies.
 *
 * <p>Kafka's implications keep the lists short: Read, Write, Delete and Alter each imply Describe on the same resource,
 * so Describe is listed only where nothing implies it. Idempotent producers need no {@code IdempotentWrite} on the
 * cluster: since Kafka 3.0 (KIP-679) Write on any topic lets a principal initialise an idempotent producer, and
 * transactional producers need Write on their transactional id instead. No role gets anything on the cluster.
 *
 * <p>Stateless; the lists are derived from the topic catalogue, the Streams application ids, the workers' groups and
 * the retry topics, so they follow the code that uses those names.
 */
public final class AccessControl {

    /** The kinds of principal. */
    public enum AclRole {
        /**
         * {@code pushline run}, every role (router, coordinators, workers, ingest) and the topic provisioning at start:
         * <ul>
         *   <li>every catalogue topic and every retry topic of both lanes (literal): Read, Write, Create (the
         *       provisioner and the workers create missing ones, after a validate-only create) and DescribeConfigs
         *       (the provisioner checks cleanup policy and retention);</li>
         *   <li>each Kafka Streams application ({@code pushline-topology}, {@code pushline-coordinators}, both
         *       exactly-once): Read on its consumer group (literal, the application id); Create, Read, Write, Delete
         *       (repartition purges) and DescribeConfigs on its internal topics (prefixed {@code <application id>-});
         *       Write on its transactional ids (prefixed {@code <application id>-}, which Streams follows with its
         *       process id and thread index);</li>
         *   <li>the workers' consumer groups ({@code pushline-workers-high}, {@code pushline-workers-bulk}, literal):
         *       Read (the lag gauges and the expansion gate describe them, which Read implies). The workers' producer
         *       is idempotent, not transactional; their receipt and gate readers use no group.</li>
         * </ul>
         */
        PIPELINE,
        /**
         * A publishing service ({@code io.pushline.publisher.Publisher}, the HTTP ingest's clients' stand-in, any Kafka
         * client): Write on {@code pushline.events} (literal; it implies the Describe its metadata requests need), nothing
         * else.
         */
        PUBLISHER,
        /**
         * An operator running {@code pushline coordinators list|retry|discard} and {@code pushline dlq list|replay}: Read on
         * {@code pushline.coordinators.parked} and {@code pushline.dead-letters}; Write on
         * {@code pushline.coordinators.commands} and on the topics a replay writes to ({@code pushline.events},
         * {@code pushline.push.high}, {@code pushline.push.bulk}). All literal. No consumer group (both commands read
         * by assignment), so an admin can neither join the pipeline's groups nor read its internal or state topics.
         */
        ADMIN;

        /** The role's name on the command line. */
        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }

        /**
         * @throws IllegalArgumentException naming the roles, if {@code text} is none of them
         */
        public static AclRole parse(String text) {
            for (AclRole role : values()) {
                if (role.label().equals(text)) {
                    return role;
                }
            }
            throw new IllegalArgumentException("--role must be pipeline, publisher or admin, was '" + text + "'");
        }
    }

    /** Where an admin operation's "not authorised" line points: the command that grants {@link AclRole#ADMIN}. */
    public static final String GRANTED_BY_ADMIN = "`pushline acls --principal User:NAME --role admin --apply` grants it";
    private static final String USER_PREFIX = "User:";

    private AccessControl() {
    }

    /**
     * Checks a principal as Kafka's ACLs name it: {@code User:} and a SASL user name or a certificate's subject.
     *
     * @return the principal, unchanged
     * @throws IllegalArgumentException naming the value, if it has another type, no name, the wildcard {@code *}
     *     (a role is granted to someone, never to everyone), surrounding spaces or control characters
     */
    public static String requirePrincipal(String principal) {
        String problem = null;
        if (principal == null || !principal.startsWith(USER_PREFIX)) {
            problem = "must be of the form User:NAME (a SASL user name, or a client certificate's subject)";
        } else {
            String name = principal.substring(USER_PREFIX.length());
            if (name.isEmpty() || !name.equals(name.strip())) {
                problem = "needs a name after User: without surrounding spaces";
            } else if (name.equals("*")) {
                problem = "may not be the wildcard User:*: a role is granted to one principal, never to everyone";
            } else if (name.chars().anyMatch(Character::isISOControl)) {
                problem = "may not contain control characters";
            }
        }
        if (problem != null) {
            throw new IllegalArgumentException("--principal " + problem + ", was '" + principal + "'");
        }
        return principal;
    }

    /** The bindings {@code principal} needs to act as {@code role}, in a stable order: topics, groups, transactional ids. */
    public static List<AclBinding> bindings(AclRole role, String principal) {
        requirePrincipal(principal);
        Grants grants = new Grants(principal);
        switch (role) {
            case PIPELINE -> {
                List<String> topics = new ArrayList<>(Topics.catalogue(1).stream().map(TopicSpec::name).toList());
                for (Lane lane : Lane.values()) {
                    topics.addAll(RetryTopics.names(WorkerConfig.defaults(lane)));
                }
                for (String topic : topics) {
                    grants.allow(ResourceType.TOPIC, topic, PatternType.LITERAL,
                            AclOperation.READ, AclOperation.WRITE, AclOperation.CREATE, AclOperation.DESCRIBE_CONFIGS);
                }
                List<String> streamsApps = List.of(StreamsSettings.DEFAULT_APPLICATION_ID, CoordinatorTopology.DEFAULT_APPLICATION_ID);
                for (String app : streamsApps) {
                    grants.allow(ResourceType.TOPIC, app + "-", PatternType.PREFIXED, AclOperation.CREATE, AclOperation.READ,
                            AclOperation.WRITE, AclOperation.DELETE, AclOperation.DESCRIBE_CONFIGS);
                }
                for (String app : streamsApps) {
                    grants.allow(ResourceType.GROUP, app, PatternType.LITERAL, AclOperation.READ);
                }
                for (Lane lane : Lane.values()) {
                    grants.allow(ResourceType.GROUP, WorkerConfig.defaults(lane).groupId(), PatternType.LITERAL, AclOperation.READ);
                }
                for (String app : streamsApps) {
                    grants.allow(ResourceType.TRANSACTIONAL_ID, app + "-", PatternType.PREFIXED, AclOperation.WRITE);
                }
            }
            case PUBLISHER -> grants.allow(ResourceType.TOPIC, Topics.EVENTS, PatternType.LITERAL, AclOperation.WRITE);
            case ADMIN -> {
                grants.allow(ResourceType.TOPIC, Topics.COORDINATORS_PARKED, PatternType.LITERAL, AclOperation.READ);
                grants.allow(ResourceType.TOPIC, Topics.COORDINATOR_COMMANDS, PatternType.LITERAL, AclOperation.WRITE);
                grants.allow(ResourceType.TOPIC, Topics.DEAD_LETTERS, PatternType.LITERAL, AclOperation.READ);
                for (String target : List.of(Topics.EVENTS, Topics.PUSH_HIGH, Topics.PUSH_BULK)) {
                    grants.allow(ResourceType.TOPIC, target, PatternType.LITERAL, AclOperation.WRITE);
                }
            }
        }
        return List.copyOf(grants.bindings);
    }

    /** {@code DESCRIBE_CONFIGS} as kafka-acls spells it: {@code DescribeConfigs}. */
    public static String camelCase(Enum<?> value) {
        StringBuilder out = new StringBuilder();
        for (String word : value.name().split("_")) {
            out.append(word.charAt(0)).append(word.substring(1).toLowerCase(Locale.ROOT));
        }
        return out.toString();
    }

    private static final class Grants {
        private final String principal;
        private final List<AclBinding> bindings = new ArrayList<>();

        Grants(String principal) {
            this.principal = principal;
        }

        void allow(ResourceType type, String name, PatternType pattern, AclOperation... operations) {
            ResourcePattern resource = new ResourcePattern(type, name, pattern);
            for (AclOperation operation : operations) {
                bindings.add(new AclBinding(resource, new AccessControlEntry(principal, "*", operation, AclPermissionType.ALLOW)));
            }
        }
    }
}
