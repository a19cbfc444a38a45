package io.pushline.app;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** How {@code pushline acls} prints a role's ACLs ({@code io.pushline.admin.AccessControl}), without a broker. */
class AclsCommandTest {

    @Test
    void printedAsATableOrAsKafkaAclsCommandLines() {
        CliRun.Result table = CliRun.run("acls", "--principal", "User:ops", "--role", "admin");
        assertThat(table.code()).isZero();
        assertThat(table.out()).contains("ACLs of role admin for User:ops (allow, from any host):")
                .containsPattern("RESOURCE +PATTERN +NAME +PERMISSION +OPERATIONS")
                .containsPattern("Topic +Literal +pushline.dead-letters +Allow +Read")
                .contains("6 ACLs; `pushline acls --principal User:ops --role admin --apply` creates them.");

        CliRun.Result pipeline = CliRun.run("acls", "--principal", "User:pipeline", "--role", "pipeline");
        assertThat(pipeline.out()).containsPattern("Topic +Prefixed +pushline-coordinators- +Allow +Create,Read,Write,Delete,DescribeConfigs");

        CliRun.Result commands = CliRun.run("acls", "--principal", "User:CN=client,O=Acme Inc", "--role", "publisher",
                "--format", "kafka-acls", "--bootstrap-servers", "kafka-1:9093", "--kafka-config", "/etc/pushline/super.properties");
        assertThat(commands.code()).isZero();
        assertThat(commands.out().strip()).isEqualTo("kafka-acls.sh --bootstrap-server kafka-1:9093 --command-config"
                + " /etc/pushline/super.properties --add --allow-principal 'User:CN=client,O=Acme Inc' --allow-host '*'"
                + " --operation Write --topic pushline.events --resource-pattern-type literal");
    }
}
