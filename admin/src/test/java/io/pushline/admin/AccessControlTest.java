package io.pushline.admin;

import io.pushline.contracts.Topics;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourceType;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The ACL sets of the roles, without a broker. (How {@code pushline acls} prints them: {@code AclsCommandTest} in app.) */
class AccessControlTest {

    @Test
    void aPublisherMayWriteEventsAndNothingElse() {
        assertThat(AccessControl.bindings(AccessControl.AclRole.PUBLISHER, "User:svc").stream().map(AccessControlTest::describe))
                .containsExactly("User:svc Allow Write Topic Literal pushline.events");
    }

    @Test
    void anAdminReadsParkedAndDeadLettersAndWritesCommandsAndReplayTargetsOnly() {
        assertThat(AccessControl.bindings(AccessControl.AclRole.ADMIN, "User:ops").stream().map(AccessControlTest::describe))
                .containsExactly(
                        "User:ops Allow Read Topic Literal pushline.coordinators.parked",
                        "User:ops Allow Write Topic Literal pushline.coordinators.commands",
                        "User:ops Allow Read Topic Literal pushline.dead-letters",
                        "User:ops Allow Write Topic Literal pushline.events",
                        "User:ops Allow Write Topic Literal pushline.push.high",
                        "User:ops Allow Write Topic Literal pushline.push.bulk");
    }

    @Test
    void thePipelineCoversEveryTopicItsStreamsAppsItsGroupsAndNothingOnTheCluster() {
        List<AclBinding> pipeline = AccessControl.bindings(AccessControl.AclRole.PIPELINE, "User:pipeline");
        Set<String> topics = pipeline.stream().filter(b -> b.pattern().resourceType() == ResourceType.TOPIC
                        && b.pattern().patternType() == PatternType.LITERAL).map(b -> b.pattern().name()).collect(Collectors.toSet());
        assertThat(topics).containsAll(Topics.catalogue(1).stream().map(t -> t.name()).toList())
                .contains("pushline.push.high.retry-5s", "pushline.push.bulk.retry-5m");
        assertThat(pipeline.stream().map(AccessControlTest::describe)).contains(
                "User:pipeline Allow Read Group Literal pushline-topology",
                "User:pipeline Allow Read Group Literal pushline-coordinators",
                "User:pipeline Allow Read Group Literal pushline-workers-high",
                "User:pipeline Allow Read Group Literal pushline-workers-bulk",
                "User:pipeline Allow Delete Topic Prefixed pushline-topology-",
                "User:pipeline Allow Create Topic Prefixed pushline-coordinators-",
                "User:pipeline Allow Write TransactionalId Prefixed pushline-topology-",
                "User:pipeline Allow Write TransactionalId Prefixed pushline-coordinators-",
                "User:pipeline Allow DescribeConfigs Topic Literal pushline.state.devices");
        assertThat(pipeline).isNotEmpty().allSatisfy(b -> {
            assertThat(b.pattern().resourceType()).isNotEqualTo(ResourceType.CLUSTER);
            assertThat(b.entry().permissionType()).isEqualTo(AclPermissionType.ALLOW);
            assertThat(b.entry().host()).isEqualTo("*");
            assertThat(b.entry().operation()).isNotIn(AclOperation.ALL, AclOperation.ALTER, AclOperation.ALTER_CONFIGS);
        });
        assertThat(pipeline).doesNotHaveDuplicates();
    }

    @Test
    void principalsAreUsersWithANameNeverTheWildcard() {
        assertThat(AccessControl.requirePrincipal("User:CN=client,O=Pushline mock provider")).isEqualTo("User:CN=client,O=Pushline mock provider");
        assertThatThrownBy(() -> AccessControl.requirePrincipal("alice")).hasMessage(
                "--principal must be of the form User:NAME (a SASL user name, or a client certificate's subject), was 'alice'");
        assertThatThrownBy(() -> AccessControl.requirePrincipal("User: alice")).hasMessageContaining("without surrounding spaces");
        assertThatThrownBy(() -> AccessControl.requirePrincipal("User:*")).hasMessageContaining("never to everyone");
        assertThatThrownBy(() -> AccessControl.requirePrincipal("User:a\nb")).hasMessageContaining("control characters");
        assertThatThrownBy(() -> AccessControl.AclRole.parse("Admin")).hasMessage("--role must be pipeline, publisher or admin, was 'Admin'");
    }

    private static String describe(AclBinding b) {
        return b.entry().principal() + " " + AccessControl.camelCase(b.entry().permissionType()) + " "
                + AccessControl.camelCase(b.entry().operation()) + " " + AccessControl.camelCase(b.pattern().resourceType()) + " "
                + AccessControl.camelCase(b.pattern().patternType()) + " " + b.pattern().name();
    }
}
